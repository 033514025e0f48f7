import { Readable } from "node:stream";
import { ipv6Groups } from "@reelgate/outbound";
import { describe, expect, it } from "vitest";
import { decodeImageDataUrl, decodeStrictBase64 } from "../src/adapters/input-image/base64.ts";
import {
  addressPolicy,
  inputImageErrorCodes,
  inputImageReader,
  isCompleteImage,
  sniffImageType,
} from "../src/adapters/input-image/index.ts";
import { DomainError } from "../src/domain/errors.ts";
import { toApiError } from "../src/http/error-handler.ts";
import { imageOf, pngChunk, wholePngWith } from "./whole-images.ts";

const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
const jpeg = Buffer.from("ffd8ffe000104a464946", "hex");
const webp = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x24, 0, 0, 0]), Buffer.from("WEBPVP8 ")]);

const apiErrorOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) {
      const { status, param, code } = toApiError(error);
      return { status, param, code };
    }
    throw error;
  }
  throw new Error("expected a typed refusal");
};

describe("address policy", () => {
  const policy = addressPolicy();
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["fd12:3456::1", "private"],
    ["fc00::1", "private"],
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["169.254.10.10", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.10", "reserved"],
    ["2001:db8::1", "reserved"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["::ffff:10.0.0.1", "private"],
    ["::127.0.0.1", "loopback"],
    ["::ffff:0:127.0.0.1", "loopback"],
    ["64:ff9b::7f00:1", "loopback"],
    ["64:ff9b::169.254.169.254", "metadata"],
    ["2002:7f00:1::", "loopback"],
    ["not-an-address", "invalid"],
  ])("refuses %s as %s", (address, kind) => {
    expect(policy.blockedKind(address)).toBe(kind);
  });

  it.each(["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])(
    "lets the public address %s through",
    (address) => {
      expect(policy.blockedKind(address)).toBeNull();
    },
  );

  it("lets operator-allowed ranges through, in their IPv4-mapped form too, and nothing next to them", () => {
    const allowing = addressPolicy(["10.1.2.0/24", "fd12::/16", "127.0.0.2"]);
    expect(allowing.blockedKind("10.1.2.77")).toBeNull();
    expect(allowing.blockedKind("::ffff:10.1.2.77")).toBeNull();
    expect(allowing.blockedKind("fd12::5")).toBeNull();
    expect(allowing.blockedKind("127.0.0.2")).toBeNull();
    expect(allowing.blockedKind("10.1.3.1")).toBe("private");
    expect(allowing.blockedKind("127.0.0.1")).toBe("loopback");
  });

  it.each(["10.0.0.0/33", "nonsense", "10.0.0.0/8/8", "fd00::/129", "10.0.0.0/x"])(
    "fails loudly on the malformed CIDR %s",
    (cidr) => {
      expect(() => addressPolicy([cidr])).toThrow(/not an IPv4 or IPv6 network/);
    },
  );
});

describe("ipv6Groups", () => {
  it.each([
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["2001:db8::8:800:200c:417a", [0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a]],
    ["1:2:3:4:5:6:7:8", [1, 2, 3, 4, 5, 6, 7, 8]],
  ])("parses %s", (address, groups) => {
    expect(ipv6Groups(address)).toEqual(groups);
  });

  it.each(["1::2::3", "1:2:3", "12345::", "::ffff:300.0.0.1", "1:2:3:4:5:6:7:8:9"])("rejects %s", (address) => {
    expect(ipv6Groups(address)).toBeNull();
  });
});

describe("sniffImageType", () => {
  it("reads the type from magic bytes", () => {
    expect(sniffImageType(png)).toBe("image/png");
    expect(sniffImageType(jpeg)).toBe("image/jpeg");
    expect(sniffImageType(webp)).toBe("image/webp");
  });

  it.each([
    ["GIF", Buffer.from("GIF89a......")],
    ["HTML", Buffer.from("<html><body>png</body></html>")],
    ["a RIFF that is not WebP", Buffer.from("RIFF\x24\0\0\0WAVEfmt ")],
    ["a truncated PNG signature", png.subarray(0, 4)],
    ["nothing", Buffer.alloc(0)],
  ])("refuses %s", (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });
});

describe("base64", () => {
  it("decodes padded base64 and tolerates whitespace", () => {
    const text = png.toString("base64");
    expect(decodeStrictBase64(`${text.slice(0, 8)}\n${text.slice(8)} \r\n`, 1024)).toEqual(png);
  });

  it.each([
    ["a URL-safe alphabet", "ab-_"],
    ["missing padding", "iVBORw0KGgo"],
    ["padding inside", "ab==cd=="],
    ["a stray character", "iVBO*w0KGgo="],
    ["a relative URL", "//example.com/a.png"],
  ])("refuses %s", (_name, text) => {
    expect(apiErrorOf(() => decodeStrictBase64(text, 1024))).toEqual({
      status: 400,
      param: "input_reference",
      code: inputImageErrorCodes.invalid,
    });
  });

  it("refuses an empty string", () => {
    expect(apiErrorOf(() => decodeStrictBase64("  \n", 1024)).code).toBe(inputImageErrorCodes.invalid);
  });

  it("applies the size cap to the decoded length, exactly", () => {
    const bytes = Buffer.alloc(100, 7);
    expect(decodeStrictBase64(bytes.toString("base64"), 100)).toEqual(bytes);
    expect(apiErrorOf(() => decodeStrictBase64(bytes.toString("base64"), 99))).toEqual({
      status: 413,
      param: "input_reference",
      code: inputImageErrorCodes.tooLarge,
    });
  });

  it("decodes image data URLs, parameters included", () => {
    expect(decodeImageDataUrl(`data:image/png;base64,${png.toString("base64")}`, 1024)).toEqual(png);
    expect(decodeImageDataUrl(`data:image/jpeg;name=a.jpg;base64,${jpeg.toString("base64")}`, 1024)).toEqual(jpeg);
  });

  it.each([
    ["a non-image type", `data:text/html;base64,${Buffer.from("<b>").toString("base64")}`],
    ["no type", `data:;base64,${png.toString("base64")}`],
    ["percent-encoding", "data:image/svg+xml,%3Csvg%3E"],
    ["no comma", "data:image/png;base64"],
    ["invalid base64 data", "data:image/png;base64,@@@@"],
  ])("refuses a data URL with %s", (_name, url) => {
    expect(apiErrorOf(() => decodeImageDataUrl(url, 1024))).toMatchObject({ status: 400, param: "input_reference" });
  });
});

// "IEND" and FF D9 inside data do not end anything.
const wholePng = wholePngWith(Buffer.from("49454e44ffd9", "hex"));
const segment = (marker: number, payload: Buffer) => {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
};
const wholeJpeg = Buffer.concat([
  Buffer.from([0xff, 0xd8]),
  segment(0xe0, Buffer.from("JFIF\0\x01\x02\0\0\x01\0\x01\0\0", "latin1")),
  // an EXIF thumbnail: a whole JPEG of its own, whose EOI must not count as the image's
  segment(0xe1, Buffer.from("ffd8ffdb0003ffda0002aaffd9", "hex")),
  segment(0xdb, Buffer.alloc(65, 2)),
  segment(0xda, Buffer.alloc(10, 3)),
  Buffer.from("12ff0034ffd056ff00ffd778", "hex"), // entropy data: stuffed FF 00 and restart markers
  Buffer.from([0xff, 0xd9]),
]);
const webpOf = (payload: Buffer) => {
  const head = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WEBP")]);
  head.writeUInt32LE(4 + payload.length, 4);
  return Buffer.concat([head, payload]);
};
const wholeWebp = webpOf(Buffer.concat([Buffer.from("VP8L"), Buffer.from([4, 0, 0, 0]), Buffer.alloc(4, 9)]));

describe("isCompleteImage", () => {
  it.each([
    ["PNG", wholePng, "image/png"],
    ["PNG with zero padding after IEND", Buffer.concat([wholePng, Buffer.alloc(16)]), "image/png"],
    ["JPEG", wholeJpeg, "image/jpeg"],
    ["JPEG with zero padding after EOI", Buffer.concat([wholeJpeg, Buffer.alloc(32)]), "image/jpeg"],
    [
      "JPEG with a trailer after EOI (motion photo)",
      Buffer.concat([wholeJpeg, Buffer.from("ftypmp42....")]),
      "image/jpeg",
    ],
    ["WebP", wholeWebp, "image/webp"],
  ] as const)("accepts a whole %s", (_name, bytes, type) => {
    expect(sniffImageType(bytes)).toBe(type);
    expect(isCompleteImage(bytes, type)).toBe(true);
  });

  const cuts = (bytes: Buffer) => [bytes.length - 1, bytes.length - 2, Math.floor(bytes.length / 2), 20];
  it.each([
    ["PNG", wholePng, "image/png"],
    ["JPEG", wholeJpeg, "image/jpeg"],
    ["WebP", wholeWebp, "image/webp"],
  ] as const)("refuses a %s cut short at any point", (_name, bytes, type) => {
    for (const length of cuts(bytes)) expect(isCompleteImage(bytes.subarray(0, length), type), `${length}`).toBe(false);
  });

  it.each([
    [
      "a PNG that is only a signature and noise",
      Buffer.concat([wholePng.subarray(0, 8), Buffer.alloc(40, 0x41)]),
      "image/png",
    ],
    [
      "a PNG whose last chunk claims more bytes than there are",
      Buffer.concat([wholePng.subarray(0, -12), pngChunk("IEND", Buffer.alloc(4)).subarray(0, 12)]),
      "image/png",
    ],
    [
      "a JPEG cut inside an EXIF thumbnail after its EOI",
      wholeJpeg.subarray(0, wholeJpeg.indexOf("ffd9", 20, "hex") + 2),
      "image/jpeg",
    ],
    ["a JPEG with EOI but no scan", Buffer.from("ffd8ffe000044a46ffd9", "hex"), "image/jpeg"],
    [
      "a JPEG with garbage where a marker belongs",
      Buffer.concat([wholeJpeg.subarray(0, 20), Buffer.alloc(8, 1), Buffer.from([0xff, 0xd9])]),
      "image/jpeg",
    ],
    ["a WebP with bytes after its RIFF size", Buffer.concat([wholeWebp, Buffer.alloc(2)]), "image/webp"],
  ] as const)("refuses %s", (_name, bytes, type) => {
    expect(isCompleteImage(bytes, type)).toBe(false);
  });
});

describe("inputImageReader refuses a cut-off image in every form", () => {
  const reader = inputImageReader({ maxBytes: 1024 });
  const cut = wholePng.subarray(0, wholePng.length - 6);
  const refusal = async (read: Promise<unknown>) => {
    const error = await read.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(DomainError);
    const { status, param, code } = toApiError(error);
    return { status, param, code };
  };
  const invalidImage = { status: 415, param: "input_reference", code: "invalid_image" };

  it("as a file part", async () => {
    expect(await refusal(reader.read({ kind: "file", stream: Readable.from([cut]) }))).toEqual(invalidImage);
  });
  it("as a data URL", async () => {
    const value = `data:image/png;base64,${cut.toString("base64")}`;
    expect(await refusal(reader.read({ kind: "string", value }))).toEqual(invalidImage);
  });
  it("as bare base64", async () => {
    expect(await refusal(reader.read({ kind: "string", value: cut.toString("base64") }))).toEqual(invalidImage);
  });
  it("and takes the whole image, with its cap on show", async () => {
    expect(reader.maxBytes).toBe(1024);
    const real = [wholePng, await imageOf("jpeg", 8, 6), await imageOf("webp", 8, 6)];
    for (const bytes of real) {
      const image = await reader.read({ kind: "string", value: bytes.toString("base64") });
      expect(image.bytes).toEqual(bytes);
    }
  });
});

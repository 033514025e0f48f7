import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { Readable } from "node:stream";
import { listenOnFreePort } from "@reelgate/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  inputImageErrorCodes as codes,
  type HostLookup,
  type InputReference,
  inputImageReader,
} from "../src/adapters/input-image/index.ts";
import { DomainError } from "../src/domain/errors.ts";
import { toApiError } from "../src/http/error-handler.ts";
import { imageOf, wholePngWith } from "./whole-images.ts";

// A self-signed certificate for images.test: no system trusts it, which is what the HTTPS test relies on.
const untrusted = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFE4OMoGnpAz91r8L
BnPI7bV2wTk96hWZ7USJOf6w9NuhRANCAATbc7pkp9myYJL4MPBN1RmLEjrkjhR/
I3H2Ka3ar0offgTgJzX1mZa2Z6gNI+78mc4es/x5plG2os+h2WuUFw+5
-----END PRIVATE KEY-----`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUBLuj/N06zZruEKFPd2ukxqlJjIowCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLaW1hZ2VzLnRlc3QwIBcNMjYxMTI0MTkwMjQ2WhgPMjEyNjEw
MzExOTAyNDZaMBYxFDASBgNVBAMMC2ltYWdlcy50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAE23O6ZKfZsmCS+DDwTdUZixI65I4UfyNx9imt2q9KH34E4Cc1
9ZmWtmeoDSPu/JnOHrP8eaZRtqLPodlrlBcPuaNrMGkwHQYDVR0OBBYEFNo43PRG
MXP7I7R7edlSqfL1deHAMB8GA1UdIwQYMBaAFNo43PRGMXP7I7R7edlSqfL1deHA
MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILaW1hZ2VzLnRlc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAP9I9kjpEAErfnCqZHrWIsSLtpK5k5XhWFpKYoC1Ko/oAiB0
TV+uMuGC6j9SUdDU2pxF+IES5SLmd2s1GPTVrc3EDw==
-----END CERTIFICATE-----`,
};

// Real images: the reader decodes them whole.
const png = wholePngWith(randomBytes(2000));
const jpeg = await imageOf("jpeg", 16, 9);
const webp = await imageOf("webp", 16, 9);
const maxBytes = 4096;

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const listen = async (host: string, routes: Record<string, Route>) => {
  const hits: Array<{ path: string; host: string | undefined }> = [];
  const server: Server = createServer((req, res) => {
    hits.push({ path: req.url ?? "", host: req.headers.host });
    const route =
      routes[req.url ?? ""] ??
      Object.entries(routes).find(([p]) => p.endsWith("*") && req.url?.startsWith(p.slice(0, -1)))?.[1];
    if (route) route(req, res);
    else res.writeHead(404).end("not found");
  });
  const port = await listenOnFreePort(server, host);
  return {
    port,
    hits,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};

const serve =
  (bytes: Buffer, type = "image/png"): Route =>
  (_req, res) => {
    res.writeHead(200, { "content-type": type, "content-length": bytes.length }).end(bytes);
  };
const redirect =
  (location: () => string, status = 302): Route =>
  (_req, res) => {
    res.writeHead(status, { location: location() }).end();
  };

let images: Awaited<ReturnType<typeof listen>>;
let loopback: Awaited<ReturnType<typeof listen>>;
// The image host stands for a public server: it lives on 127.0.0.2, which the reader is told to allow.
const imagesUrl = (path: string) => `http://images.test:${images.port}${path}`;
const loopbackUrl = (path: string) => `http://127.0.0.1:${loopback.port}${path}`;

const fakeDns: HostLookup = async (hostname) => {
  const answers: Record<string, string[]> = {
    "images.test": ["127.0.0.2"],
    "evil.test": ["127.0.0.1"],
    "mixed.test": ["127.0.0.2", "10.0.0.1"],
    "v6loop.test": ["::1"],
  };
  const found = answers[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

const readerOptions = { maxBytes, timeoutMs: 2000, maxRedirects: 3, allowedCidrs: ["127.0.0.2/32"], lookup: fakeDns };
const reader = inputImageReader(readerOptions);
const fromString = (value: string): InputReference => ({ kind: "string", value });

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) {
      const { status, param, code } = toApiError(error);
      return { status, param, code };
    }
    throw error;
  }
  throw new Error("expected the read to fail");
};

beforeAll(async () => {
  loopback = await listen("127.0.0.1", { "/a.png": serve(png) });
  images = await listen("127.0.0.2", {
    "/a.png": serve(png),
    "/a.jpg": serve(jpeg, "image/jpeg"),
    "/a.webp": serve(webp, "application/octet-stream"),
    "/not-image": serve(Buffer.from("<html>I am not a png</html>"), "image/png"),
    "/missing-image": (_req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("gone"),
    "/to-loopback": redirect(() => loopbackUrl("/a.png")),
    "/to-evil": redirect(() => `http://evil.test:${loopback.port}/a.png`, 307),
    "/to-v6-literal": redirect(() => `http://[::ffff:7f00:1]:${loopback.port}/a.png`, 301),
    "/to-ftp": redirect(() => "ftp://images.test/a.png"),
    "/hop/*": (req, res) => {
      const left = Number(req.url?.split("/").at(-1));
      if (left === 0) serve(png)(req, res);
      else redirect(() => imagesUrl(`/hop/${left - 1}`), 303)(req, res);
    },
    "/relative": redirect(() => "/a.png", 308),
    "/huge-declared": (_req, res) => {
      // Headers only: a reader that waited for the body would hit its deadline instead of answering 413.
      res.writeHead(200, { "content-type": "image/png", "content-length": 1 << 30 });
      res.flushHeaders();
    },
    "/huge-streamed": (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(png);
      for (let i = 0; i < 16; i++) res.write(randomBytes(1024));
      res.end();
    },
    "/truncated": (_req, res) => {
      res.writeHead(200, { "content-type": "image/png", "content-length": png.length });
      res.write(png.subarray(0, 100), () => res.socket?.destroy());
    },
    "/silent": () => {},
  });
});

afterAll(() => {
  images?.close();
  loopback?.close();
});

describe("hostile and broken input_reference values", () => {
  const bad = (status: number, code: string) => ({ status, param: "input_reference", code });
  it.each([
    ["loopback IPv4", () => loopbackUrl("/a.png"), bad(400, codes.blocked)],
    ["loopback IPv6", () => `http://[::1]:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["a private address", () => "http://10.0.0.1/a.png", bad(400, codes.blocked)],
    ["CGNAT", () => "http://100.64.1.1/a.png", bad(400, codes.blocked)],
    ["cloud metadata", () => "http://169.254.169.254/latest/meta-data/", bad(400, codes.blocked)],
    ["IPv6 metadata", () => "http://[fd00:ec2::254]/", bad(400, codes.blocked)],
    ["IPv4-mapped IPv6 loopback", () => `http://[::ffff:127.0.0.1]:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["IPv4-mapped IPv6 in hex", () => `http://[::ffff:7f00:1]:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["NAT64 of loopback", () => `http://[64:ff9b::7f00:1]:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["decimal IPv4", () => `http://2130706433:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["hex IPv4", () => `http://0x7f.1:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["octal IPv4", () => `http://0177.0.0.1:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["the unspecified address", () => `http://0.0.0.0:${loopback.port}/a.png`, bad(400, codes.blocked)],
    ["a hostname resolving to loopback", () => `http://evil.test:${loopback.port}/a.png`, bad(400, codes.blocked)],
    [
      "a hostname resolving to IPv6 loopback",
      () => `http://v6loop.test:${loopback.port}/a.png`,
      bad(400, codes.blocked),
    ],
    [
      "a hostname with one internal answer among public ones",
      () => `http://mixed.test:${images.port}/a.png`,
      bad(400, codes.blocked),
    ],
    ["a redirect to loopback", () => imagesUrl("/to-loopback"), bad(400, codes.blocked)],
    ["a redirect to a hostname resolving to loopback", () => imagesUrl("/to-evil"), bad(400, codes.blocked)],
    ["a redirect to an IPv4-mapped literal", () => imagesUrl("/to-v6-literal"), bad(400, codes.blocked)],
    ["a redirect to ftp", () => imagesUrl("/to-ftp"), bad(400, codes.scheme)],
    ["more than 3 redirects", () => imagesUrl("/hop/4"), bad(400, codes.redirects)],
    ["an upstream 404", () => imagesUrl("/missing-image"), bad(400, codes.fetchFailed)],
    ["a host that does not resolve", () => "http://nowhere.test/a.png", bad(400, codes.fetchFailed)],
    ["oversized by Content-Length", () => imagesUrl("/huge-declared"), bad(413, codes.tooLarge)],
    ["oversized while streaming", () => imagesUrl("/huge-streamed"), bad(413, codes.tooLarge)],
    ["a truncated body", () => imagesUrl("/truncated"), bad(400, codes.fetchFailed)],
    ["a non-image payload served as image/png", () => imagesUrl("/not-image"), bad(415, codes.notAnImage)],
    ["ftp://", () => "ftp://images.test/a.png", bad(400, codes.scheme)],
    ["file://", () => "file:///etc/passwd", bad(400, codes.scheme)],
    ["javascript:", () => "javascript:alert(1)", bad(400, codes.scheme)],
    ["credentials in the URL", () => `http://user:secret@images.test:${images.port}/a.png`, bad(400, codes.invalid)],
    ["invalid base64", () => "iVBORw0KGgo*AAAA", bad(400, codes.invalid)],
    [
      "base64 that is not an image",
      () => Buffer.from("plain text, honestly").toString("base64"),
      bad(415, codes.notAnImage),
    ],
    [
      "a data URL with a non-image type",
      () => `data:text/plain;base64,${png.toString("base64")}`,
      bad(400, codes.invalid),
    ],
    ["a data URL that is not base64", () => "data:image/png,%89PNG", bad(400, codes.invalid)],
    [
      "an oversized data URL",
      () => `data:image/png;base64,${randomBytes(maxBytes + 1).toString("base64")}`,
      bad(413, codes.tooLarge),
    ],
    ["an empty string", () => "", bad(400, codes.invalid)],
  ])("refuses %s", async (_name, input, expected) => {
    expect(await failureOf(reader.read(fromString(input())))).toEqual(expected);
  });

  it("never connected to the loopback server", () => {
    expect(loopback.hits).toEqual([]);
  });

  it("refuses real localhost resolved by the system DNS", async () => {
    const systemReader = inputImageReader({ ...readerOptions, lookup: undefined });
    expect(await failureOf(systemReader.read(fromString(`http://localhost:${loopback.port}/a.png`)))).toEqual({
      status: 400,
      param: "input_reference",
      code: codes.blocked,
    });
    expect(loopback.hits).toEqual([]);
  });

  it("gives up on a server that never answers at the deadline", async () => {
    const impatient = inputImageReader({ ...readerOptions, timeoutMs: 150 });
    expect(await failureOf(impatient.read(fromString(imagesUrl("/silent"))))).toEqual({
      status: 400,
      param: "input_reference",
      code: codes.timeout,
    });
  });

  it("refuses an oversized file part and drains it so a multipart parser can go on", async () => {
    const stream = Readable.from([png, randomBytes(maxBytes)], { objectMode: false });
    expect(await failureOf(reader.read({ kind: "file", stream }))).toEqual({
      status: 413,
      param: "input_reference",
      code: codes.tooLarge,
    });
    if (!stream.readableEnded) await once(stream, "end");
    expect(stream.readableEnded).toBe(true);
  });

  it("refuses a file part whatever its declared type and name say", async () => {
    const stream = Readable.from([Buffer.from("#!/bin/sh\necho hi\n")]);
    const input = { kind: "file" as const, stream, filename: "cat.png", declaredType: "image/png" };
    expect((await failureOf(reader.read(input))).status).toBe(415);
  });
});

describe("accepted input_reference values", () => {
  const sha256 = createHash("sha256").update(png).digest("hex");

  it.each([
    ["a URL", () => fromString(imagesUrl("/a.png"))],
    ["a URL behind 3 redirects", () => fromString(imagesUrl("/hop/3"))],
    ["a relative redirect", () => fromString(imagesUrl("/relative"))],
    ["a data URL", () => fromString(`data:image/png;base64,${png.toString("base64")}`)],
    ["a data URL that lies about its type", () => fromString(`data:image/jpeg;base64,${png.toString("base64")}`)],
    ["bare base64 wrapped in lines", () => fromString(png.toString("base64").replace(/(.{76})/g, "$1\n"))],
    ["a file part", () => ({ kind: "file" as const, stream: Readable.from([png.subarray(0, 9), png.subarray(9)]) })],
  ])("reads the same PNG from %s", async (_name, input) => {
    const image = await reader.read(input());
    expect(image.contentType).toBe("image/png");
    expect(image.sha256).toBe(sha256);
    expect(image.bytes.equals(png)).toBe(true);
  });

  it("sniffs JPEG and WebP whatever the server calls them", async () => {
    expect((await reader.read(fromString(imagesUrl("/a.jpg")))).contentType).toBe("image/jpeg");
    const image = await reader.read(fromString(imagesUrl("/a.webp")));
    expect(image.contentType).toBe("image/webp");
    expect(image.bytes.equals(webp)).toBe(true);
  });

  it("checks every hop of a redirect chain and sends the original Host", async () => {
    const asked: string[] = [];
    const recordingDns: HostLookup = (host) => {
      asked.push(host);
      return fakeDns(host);
    };
    const counting = inputImageReader({ ...readerOptions, lookup: recordingDns });
    const before = images.hits.length;
    await counting.read(fromString(imagesUrl("/hop/2")));
    expect(asked).toEqual(["images.test", "images.test", "images.test"]);
    expect(images.hits.slice(before).map((hit) => hit.host)).toEqual(Array(3).fill(`images.test:${images.port}`));
  });

  it("connects to the address it checked, never asking DNS twice (no rebinding)", async () => {
    let answers = 0;
    const rebinding: HostLookup = async () => [{ address: answers++ === 0 ? "127.0.0.2" : "127.0.0.1", family: 4 }];
    const image = await inputImageReader({ ...readerOptions, lookup: rebinding }).read(
      fromString(`http://rebind.test:${images.port}/a.png`),
    );
    expect(image.sha256).toBe(sha256);
    expect(answers).toBe(1);
    expect(loopback.hits).toEqual([]);
  });
});

describe("https", () => {
  it("speaks TLS to the checked address with the URL's host name, and refuses an untrusted certificate", async () => {
    const serverNames: string[] = [];
    const server = createTlsServer(
      {
        ...untrusted,
        SNICallback: (name, done) => {
          serverNames.push(name);
          done(null);
        },
      },
      serve(png),
    );
    const port = await listenOnFreePort(server, "127.0.0.2");
    try {
      const url = `https://images.test:${port}/a.png`;
      expect(await failureOf(reader.read(fromString(url)))).toEqual({
        status: 400,
        param: "input_reference",
        code: codes.fetchFailed,
      });
      expect(serverNames).toEqual(["images.test"]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("host names in REELGATE_OUTBOUND_ALLOW", () => {
  it("let an exempt host name reach its private address, and only that name", async () => {
    const exempt = await listen("127.0.0.3", { "/a.png": serve(png) });
    try {
      // Both names resolve to the same private address: only the one the operator named is exempt.
      const lookup: HostLookup = async () => [{ address: "127.0.0.3", family: 4 }];
      const exempting = inputImageReader({ ...readerOptions, allowedCidrs: [], allowedHosts: ["exempt.test"], lookup });
      const image = await exempting.read(fromString(`http://exempt.test:${exempt.port}/a.png`));
      expect(image.bytes.equals(png)).toBe(true);
      expect(await failureOf(exempting.read(fromString(`http://other.test:${exempt.port}/a.png`)))).toEqual({
        status: 400,
        param: "input_reference",
        code: codes.blocked,
      });
      expect(exempt.hits.map((hit) => hit.host)).toEqual([`exempt.test:${exempt.port}`]);
    } finally {
      exempt.close();
    }
  });
});

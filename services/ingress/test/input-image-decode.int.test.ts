import { createServer, type Server, type ServerResponse } from "node:http";
import { buffer } from "node:stream/consumers";
import { deflateSync } from "node:zlib";
import { openAiErrorSchema } from "@reelgate/contracts";
import { listenOnFreePort } from "@reelgate/testkit";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { inputImageReader } from "../src/adapters/input-image/index.ts";
import { form, type Ingress, ingress, KEY, multipartHeaders, OTHER_KEY, POOR_KEY } from "./harness.ts";
import { hostileImages, imageOf, pngChunk } from "./whole-images.ts";

const auth = (key = KEY) => ({ authorization: `Bearer ${key}` });

/** An image host on loopback that counts every connection made to it, and can hold answers until released. */
const imageHost = async (image: Buffer) => {
  let connections = 0;
  const held: ServerResponse[] = [];
  let holding = false;
  const server: Server = createServer((request, response) => {
    if (request.url === "/held.png" && holding) return void held.push(response);
    response.writeHead(200, { "content-type": "image/png", "content-length": image.length }).end(image);
  });
  server.on("connection", () => {
    connections += 1;
  });
  const port = await listenOnFreePort(server);
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    get connections() {
      return connections;
    },
    get heldCount() {
      return held.length;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const response of held.splice(0))
        response.writeHead(200, { "content-type": "image/png", "content-length": image.length }).end(image);
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};

const expectRefused = async (
  api: Ingress,
  response: { statusCode: number; json: () => unknown },
  status: number,
  code: string,
) => {
  expect(response.statusCode).toBe(status);
  const { error } = openAiErrorSchema.parse(response.json());
  expect(error.code).toBe(code);
  expect(await api.recorded()).toBe(0);
  expect(api.storedFiles()).toEqual([]);
  return error;
};

/** The input image a recorded video carries, as stored, and what the event says of it. */
const storedInput = async (api: Ingress, videoId: string) => {
  const [requested] = await api.store.readStream(`task-${videoId}`, 0, 1);
  if (!requested) throw new Error(`no VideoRequested for ${videoId}`);
  const { inputReference: reference } = requested.data as {
    inputReference: { key: string; width?: number; height?: number };
  };
  const found = await api.objects.get(reference.key);
  if (!found) throw new Error(`no stored input image at ${reference.key}`);
  const bytes = await buffer(found.body);
  return { reference, bytes, metadata: await sharp(bytes).metadata() };
};

describe("input images are decoded, not just sniffed (issue 9.8)", () => {
  let api: Ingress;
  afterEach(async () => api.close());

  for (const [name, bytes] of Object.entries(hostileImages)) {
    it(`refuses ${name} with 415, as a file part and as base64; nothing stored or recorded`, async () => {
      api = await ingress();
      const upload = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: { ...auth(), ...multipartHeaders },
        payload: form([
          { name: "prompt", value: "animate" },
          { name: "input_reference", value: bytes, filename: "a.png" },
        ]),
      });
      await expectRefused(api, upload, 415, "invalid_image");
      const base64 = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth(),
        payload: { prompt: "animate", input_reference: bytes.toString("base64") },
      });
      await expectRefused(api, base64, 415, "invalid_image");
    });
  }

  it("refuses a small file declaring a canvas of 100 million pixels with 413, before decoding it", async () => {
    api = await ingress();
    const header = Buffer.alloc(13);
    header.writeUInt32BE(10_000, 0);
    header.writeUInt32BE(10_000, 4);
    header.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([
      Buffer.from("89504e470d0a1a0a", "hex"),
      pngChunk("IHDR", header),
      pngChunk("IDAT", deflateSync(Buffer.alloc(1000))),
      pngChunk("IEND"),
    ]);
    const response = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth(),
      payload: { prompt: "animate", input_reference: bomb.toString("base64") },
    });
    await expectRefused(api, response, 413, "image_too_large");
  });

  it("accepts real PNG, JPEG and WebP and records the dimensions of what it stored", async () => {
    api = await ingress();
    for (const format of ["png", "jpeg", "webp"] as const) {
      const image = await imageOf(format, 1280, 720);
      const response = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth(),
        payload: { prompt: "animate", size: "1280x720", input_reference: image.toString("base64") },
      });
      expect(response.statusCode).toBe(200);
      const stored = await storedInput(api, response.json().id);
      expect(stored.reference).toMatchObject({ width: 1280, height: 720, contentType: `image/${format}` });
      // Already the video's size: stored byte for byte as sent.
      expect(stored.bytes.equals(image)).toBe(true);
    }
  });
});

describe("input_fit fits the image to the video's size before it is stored (issue 13.4)", () => {
  let api: Ingress;
  beforeAll(async () => {
    api = await ingress();
  });
  afterAll(async () => api.close());

  // A 4:3 picture: red, with a blue band down each side (cover crops them away, contain keeps them and pads).
  const picture = async () =>
    sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 220, g: 20, b: 20 } } })
      .composite([
        {
          input: { create: { width: 40, height: 600, channels: 3, background: { r: 0, g: 0, b: 255 } } },
          left: 0,
          top: 0,
        },
        {
          input: { create: { width: 40, height: 600, channels: 3, background: { r: 0, g: 0, b: 255 } } },
          left: 760,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
  const pixel = async (bytes: Buffer, x: number, y: number) => {
    const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const at = (y * info.width + x) * info.channels;
    return [data[at]!, data[at + 1]!, data[at + 2]!];
  };
  const create = async (fields: Record<string, unknown>) => {
    const response = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth(),
      payload: {
        prompt: "animate",
        size: "1280x720",
        input_reference: (await picture()).toString("base64"),
        ...fields,
      },
    });
    expect(response.statusCode).toBe(200);
    return storedInput(api, response.json().id);
  };

  it("cover (the default) scales and centre-crops to the size", async () => {
    const stored = await create({});
    expect([stored.metadata.width, stored.metadata.height]).toEqual([1280, 720]);
    expect(stored.reference).toMatchObject({ width: 1280, height: 720, fit: "cover" });
    // 800×600 → 1280×960, cropped to 720 rows: the side bands stay (64 px wide), the middle is red.
    const [r, , b] = await pixel(stored.bytes, 640, 360);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(40);
  });

  it("contain scales and pads with black", async () => {
    const stored = await create({ input_fit: "contain" });
    expect([stored.metadata.width, stored.metadata.height]).toEqual([1280, 720]);
    // 800×600 → 960×720, centred: 160 px of black padding each side.
    expect(await pixel(stored.bytes, 20, 360)).toEqual([0, 0, 0]);
    const [, , b] = await pixel(stored.bytes, 170, 360);
    expect(b).toBeGreaterThan(200);
  });

  it("none keeps the image as sent", async () => {
    const sent = await picture();
    const stored = await create({ input_fit: "none" });
    expect(stored.bytes.equals(sent)).toBe(true);
    expect(stored.reference).toMatchObject({ width: 800, height: 600, fit: "none" });
  });

  it("refuses an unknown input_fit with 400 naming it; multipart takes it as a field", async () => {
    const before = await api.recorded();
    const response = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth(),
      payload: { prompt: "animate", input_fit: "stretch" },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe("input_fit");
    expect(await api.recorded()).toBe(before);
    const multipart = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: { ...auth(), ...multipartHeaders },
      payload: form([
        { name: "prompt", value: "animate" },
        { name: "size", value: "720x1280" },
        { name: "input_fit", value: "contain" },
        { name: "input_reference", value: await picture(), filename: "p.png" },
      ]),
    });
    expect(multipart.statusCode).toBe(200);
    const stored = await storedInput(api, multipart.json().id);
    expect(stored.reference).toMatchObject({ width: 720, height: 1280, fit: "contain" });
    expect([stored.metadata.width, stored.metadata.height]).toEqual([720, 1280]);
  });
});

describe("the cheap checks come before the image is fetched (issue 9.9)", () => {
  let api: Ingress;
  let host: Awaited<ReturnType<typeof imageHost>>;
  beforeAll(async () => {
    host = await imageHost(await imageOf("png", 1280, 720));
  });
  afterAll(() => host.close());
  afterEach(async () => api.close());

  it("a $0 key's create with a remote image URL is a 402 and makes no connection to the image host", async () => {
    api = await ingress();
    const response = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: auth(POOR_KEY),
      payload: { prompt: "animate", input_reference: host.url("/a.png") },
    });
    await expectRefused(api, response, 402, "insufficient_quota");
    const multipart = await api.app.inject({
      method: "POST",
      url: "/v1/videos",
      headers: { ...auth(POOR_KEY), ...multipartHeaders },
      payload: form([
        { name: "prompt", value: "animate" },
        { name: "input_reference[image_url]", value: host.url("/a.png") },
      ]),
    });
    await expectRefused(api, multipart, 402, "insufficient_quota");
    expect(host.connections).toBe(0);
  });

  it("invalid fields are refused before any fetch", async () => {
    api = await ingress();
    for (const fields of [{ seconds: "3" }, { size: "1x1" }, { model: "no-such-model" }, { prompt: 42 }]) {
      const response = await api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth(),
        payload: { prompt: "animate", input_reference: host.url("/a.png"), ...fields },
      });
      expect(response.statusCode).toBe(400);
    }
    expect(host.connections).toBe(0);
    expect(await api.recorded()).toBe(0);
  });

  it("caps image fetches in flight per account (429) and in all (503), with a clear error", async () => {
    api = await ingress({
      images: inputImageReader({ allowedCidrs: ["127.0.0.0/8"], maxFetchesPerAccount: 2, maxFetches: 3 }),
    });
    host.hold();
    const start = (key: string) =>
      api.app.inject({
        method: "POST",
        url: "/v1/videos",
        headers: auth(key),
        payload: { prompt: "animate", size: "1280x720", input_reference: host.url("/held.png") },
      });
    const first = [start(KEY), start(KEY)];
    await expect.poll(() => host.heldCount, { timeout: 10_000 }).toBe(2);
    const perAccount = await start(KEY);
    expect(perAccount.statusCode).toBe(429);
    expect(perAccount.headers["retry-after"]).toBe("1");
    expect(perAccount.json().error).toMatchObject({ code: "image_fetches_busy", param: "input_reference" });
    const third = start(OTHER_KEY);
    await expect.poll(() => host.heldCount, { timeout: 10_000 }).toBe(3);
    const overall = await start(OTHER_KEY);
    expect(overall.statusCode).toBe(503);
    expect(overall.json().error.code).toBe("image_fetches_busy");
    expect(await api.recorded()).toBe(0);
    host.release();
    const done = await Promise.all([...first, third]);
    expect(done.map((response) => response.statusCode)).toEqual([200, 200, 200]);
    expect(await api.recorded()).toBe(3);
  });
});

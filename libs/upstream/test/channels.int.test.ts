import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@reelgate/testkit";
import { describe, expect, it } from "vitest";
import { ChannelsFileError, parseChannelsFile } from "../src/channels.ts";
import { channelsSource } from "../src/channels-source.ts";
import { watchChannels } from "../src/watch-channels.ts";

const yaml = (weight: number, extra = "") => `
channels:
  - id: main
    provider: azure
    base_url: https://res.openai.azure.com
    api_key: \${KEY}
    models: { sora-2: sora-2 }
    weight: ${weight}${extra}
`;

describe("channels file", () => {
  it("expands environment references, applies defaults, and names the field of a bad file", () => {
    const [channel] = parseChannelsFile("c.yaml", yaml(2), { KEY: "secret" });
    expect(channel).toMatchObject({ api_key: "secret", weight: 2, priority: 0, disabled: false, timeout_seconds: 30 });
    expect(channel?.max_concurrent).toBeUndefined();
    expect(() => parseChannelsFile("c.yaml", yaml(0), { KEY: "k" })).toThrow(/c\.yaml[\s\S]*channels\.0\.weight/);
    expect(() => parseChannelsFile("c.yaml", yaml(1), {})).toThrow(/\$\{KEY\} is not set/);
    expect(() => parseChannelsFile("c.json", "{ nope", {})).toThrow(ChannelsFileError);
  });

  it("is picked up again when edited; a bad edit is reported and the last good one kept", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "channels-")), "channels.yaml");
    writeFileSync(file, yaml(1));
    const env = { KEY: "k" };
    const errors: string[] = [];
    const watch = watchChannels(
      { file, initial: parseChannelsFile(file, yaml(1), env), intervalMs: 20, env },
      { onError: (error) => errors.push(error.message) },
    );
    try {
      writeFileSync(file, yaml(5, "\n    disabled: true"));
      await waitFor("the re-weighted channel", () => watch.current()[0]?.weight === 5);
      expect(watch.current()[0]?.disabled).toBe(true);
      writeFileSync(file, yaml(5, "\n    provider_typo: 1"));
      await waitFor("the bad edit to be reported", () => errors.length > 0);
      expect(errors[0]).toMatch(/provider_typo/);
      expect(watch.current()[0]).toMatchObject({ weight: 5, disabled: true });
      writeFileSync(
        file,
        `${yaml(5)}  - id: added\n    provider: openai\n    base_url: https://x.test/v1\n    api_key: k\n    models: {}\n`,
      );
      await waitFor("the added channel", () => watch.current().length === 2);
    } finally {
      watch.close();
    }
  });

  it("channelsSource: the simulator channel without a file; with one, follows its edits until closed", async () => {
    const none = channelsSource({ file: undefined, simulatorUrl: "http://sim.test/v1", modelNames: ["sora-2"] });
    expect(none.usingSimulator).toBe(true);
    expect(none.current().map((channel) => [channel.id, channel.base_url])).toEqual([
      ["simulator", "http://sim.test/v1"],
    ]);
    none.close();

    const file = join(mkdtempSync(join(tmpdir(), "channels-")), "channels.yaml");
    writeFileSync(file, yaml(1));
    const lines: string[] = [];
    const log = {
      info: (_: object, message: string) => lines.push(message),
      error: (_: object, m: string) => lines.push(m),
    };
    const env = { KEY: "old-key" };
    expect(() => channelsSource({ file, simulatorUrl: "http://sim.test/v1", modelNames: [], env: {} })).toThrow(
      /\$\{KEY\} is not set/,
    );
    const source = channelsSource(
      { file, simulatorUrl: "http://sim.test/v1", modelNames: [], intervalMs: 20, env },
      { log },
    );
    try {
      expect(source.usingSimulator).toBe(false);
      expect(source.current()[0]?.api_key).toBe("old-key");
      // A rotated key and an added channel are seen without a restart.
      writeFileSync(
        file,
        `${yaml(1).replace(/\$\{KEY\}/, "new-key")}  - id: added\n    provider: openai\n    base_url: https://x.test/v1\n    api_key: k\n    models: {}\n`,
      );
      await waitFor("the edit to be read", () => source.current().length === 2);
      expect(source.current()[0]?.api_key).toBe("new-key");
      expect(lines).toContain("channels file reloaded");
    } finally {
      source.close();
    }
  });

  it("takes the new providers' fields, and a bad one names the file, the channel and the field", () => {
    const file = `
channels:
  - id: wan
    provider: dashscope
    base_url: https://dashscope-intl.aliyuncs.com/api/v1
    api_key: k
    models: { wan2.5: { text: wan2.5-t2v-preview, image: wan2.5-i2v-preview } }
  - id: veo-vertex
    provider: vertex
    base_url: https://us-central1-aiplatform.googleapis.com/v1
    key_file: /etc/reelgate/sa.json
    project: p
    location: us-central1
    models: { veo-3.1: veo-3.1-generate-preview }
`;
    const [wan, vertex] = parseChannelsFile("c.yaml", file, {});
    expect(wan?.models["wan2.5"]).toEqual({ text: "wan2.5-t2v-preview", image: "wan2.5-i2v-preview" });
    expect(vertex).toMatchObject({ key_file: "/etc/reelgate/sa.json", api_key: "" });
    const kling = `
channels:
  - id: kling-main
    provider: kling
    base_url: https://api-singapore.klingai.com
    api_key: ak
    models: { kling-v2: kling-v2-master }
`;
    expect(() => parseChannelsFile("k.yaml", kling, {})).toThrow(
      /k\.yaml[\s\S]*channels\.0\.api_secret \(channel 'kling-main'\): required for provider 'kling'/,
    );
    expect(() => parseChannelsFile("v.yaml", file.replace("    project: p\n", ""), {})).toThrow(
      /v\.yaml[\s\S]*channels\.1\.project \(channel 'veo-vertex'\)/,
    );
    expect(() => parseChannelsFile("p.yaml", kling.replace("provider: kling", "provider: klingon"), {})).toThrow(
      /p\.yaml[\s\S]*channels\.0\.provider \(channel 'kling-main'\)/,
    );
    expect(() => parseChannelsFile("m.yaml", file.replace("image: wan2.5-i2v-preview", "picture: x"), {})).toThrow(
      /m\.yaml[\s\S]*channels\.0\.models/,
    );
  });

  it("takes runway and luma channels, and a `video` model for Runway's edits", () => {
    const file = `
channels:
  - id: runway
    provider: runway
    base_url: https://api.dev.runwayml.com
    api_key: \${RUNWAY_KEY}
    models: { gen4.5: { text: gen4.5, image: gen4_turbo, video: aleph2 } }
    media_hosts: [dnznrvs05pmza.cloudfront.net]
  - id: luma
    provider: luma
    base_url: https://api.lumalabs.ai/dream-machine/v1
    api_key: \${LUMA_KEY}
    models: { ray-2: ray-2 }
`;
    const [runway, luma] = parseChannelsFile("c.yaml", file, { RUNWAY_KEY: "rk", LUMA_KEY: "lk" });
    expect(runway).toMatchObject({ provider: "runway", api_key: "rk" });
    expect(runway?.models["gen4.5"]).toEqual({ text: "gen4.5", image: "gen4_turbo", video: "aleph2" });
    expect(luma).toMatchObject({ provider: "luma", api_key: "lk", models: { "ray-2": "ray-2" } });
    const keyless = file.replace(/ {4}api_key: \$\{LUMA_KEY\}\n/, "");
    expect(() => parseChannelsFile("l.yaml", keyless, { RUNWAY_KEY: "rk" })).toThrow(
      /l\.yaml[\s\S]*channels\.1\.api_key \(channel 'luma'\): required for provider 'luma'/,
    );
  });
});

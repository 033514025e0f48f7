import { newWebhookSecret } from "@reelgate/contracts";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { activeSecrets, signedHeaders } from "../src/adapters/sign.ts";

describe("Standard Webhooks signing", () => {
  it("signs so the standardwebhooks verifier accepts it, with each active secret", () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const now = new Date();
    const secrets = activeSecrets(
      { id: "whe_1", current, previous, previousValidUntil: Math.floor(now.getTime() / 1000) + 60 },
      Math.floor(now.getTime() / 1000),
    );
    expect(secrets).toEqual([current, previous]);
    const body = JSON.stringify({
      id: "evt_1",
      object: "event",
      type: "video.completed",
      created_at: 1,
      data: { id: "video_1" },
    });
    const headers = signedHeaders("evt_1", body, secrets, now);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const secret of secrets) expect(new Webhook(secret).verify(body, headers)).toMatchObject({ id: "evt_1" });
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it("drops the previous secret once its overlap has ended", () => {
    expect(activeSecrets({ id: "w", current: "a", previous: "b", previousValidUntil: 100 }, 100)).toEqual(["a"]);
    expect(activeSecrets({ id: "w", current: "a", previous: "b", previousValidUntil: null }, 0)).toEqual(["a"]);
  });
});

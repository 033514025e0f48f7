import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { klingTokens } from "../src/kling-provider.ts";

describe("Kling's JWT", () => {
  it("is HS256 for the access key, 30 min, nbf 5 s back; kept until 5 min before expiry, then minted again", async () => {
    let now = 1_800_000_000;
    const token = klingTokens("ak", "sk", () => now);
    const first = await token();
    expect(decodeProtectedHeader(first)).toEqual({ alg: "HS256", typ: "JWT" });
    expect(decodeJwt(first)).toMatchObject({ iss: "ak", exp: now + 1800, nbf: now - 5 });
    await jwtVerify(first, new TextEncoder().encode("sk"), { currentDate: new Date(now * 1000) });
    now += 24 * 60;
    expect(await token()).toBe(first);
    now += 2 * 60;
    const second = await token();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).exp).toBe(now + 1800);
  });
});

import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { presentedKey } from "../src/http/auth.ts";

/** The key as the regular expression alone read it, before "Bearer " got a path of its own. */
const byExpression = (headers: Record<string, string>) => {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1]?.trim();
  const apiKey = headers["api-key"];
  return bearer || (typeof apiKey === "string" ? apiKey.trim() : undefined) || undefined;
};

const asking = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;

describe("the key a request presents", () => {
  it("is what the regular expression alone gave, for every form of the header", () => {
    const spaces = ["", " ", "  ", "\t", " \t ", "\u00a0", " \u00a0", "\u3000"];
    const keys = ["rg-abc123", "rg key", "", "Bearer", "x\u00a0y"];
    const schemes = ["Bearer", "bearer", "BEARER", "Bearerx", "Basic", ""];
    const cases: Record<string, string>[] = [{}, { "api-key": " rg-azure " }, { "api-key": "" }];
    for (const scheme of schemes)
      for (const before of spaces)
        for (const key of keys)
          for (const after of spaces) {
            const authorization = `${scheme}${before}${key}${after}`;
            cases.push({ authorization }, { authorization, "api-key": "rg-azure" });
          }
    for (const headers of cases)
      expect(presentedKey(asking(headers)), JSON.stringify(headers)).toBe(byExpression(headers));
    expect(presentedKey(asking({ authorization: "Bearer rg-abc123" }))).toBe("rg-abc123");
    expect(presentedKey(asking({ authorization: "Bearer  rg-abc123 " }))).toBe("rg-abc123");
    expect(presentedKey(asking({ authorization: "Bearer ", "api-key": "rg-azure" }))).toBe("rg-azure");
  });
});

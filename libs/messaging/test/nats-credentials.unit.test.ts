import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { natsAuthOptions } from "../src/connect.ts";

describe("NATS credentials (NATS_USER / NATS_PASSWORD or NATS_CREDS)", () => {
  it("connects without credentials when none are given, with a user and password when both are", () => {
    expect(natsAuthOptions({})).toEqual({});
    expect(natsAuthOptions({ NATS_USER: "billing", NATS_PASSWORD: "pw" })).toEqual({ user: "billing", pass: "pw" });
  });

  it("authenticates with a .creds file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "reelgate-creds-")), "service.creds");
    writeFileSync(file, "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n");
    expect(natsAuthOptions({ NATS_CREDS: file }).authenticator).toBeTypeOf("function");
  });

  it.each([
    [{ NATS_USER: "billing" }, /NATS_PASSWORD: NATS_USER is set without a password/],
    [{ NATS_PASSWORD: "pw" }, /NATS_USER: NATS_PASSWORD is set without a user/],
    [{ NATS_CREDS: "/nowhere/x.creds" }, /NATS_CREDS: cannot read \/nowhere\/x\.creds/],
    [{ NATS_CREDS: "/x.creds", NATS_USER: "u", NATS_PASSWORD: "p" }, /NATS_CREDS: give either/],
  ])("refuses %o, naming the variable", (credentials, message) => {
    expect(() => natsAuthOptions(credentials)).toThrow(message);
  });
});

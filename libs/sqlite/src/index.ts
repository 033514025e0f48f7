export * from "./group-commit.ts";
export * from "./open.ts";

export * from "./node-flags.ts";
export * from "./processes.ts";
export * from "./stack.ts";
export * from "./supervise.ts";

export * from "./processes.ts";
export * from "./stack.ts";
export * from "./supervise.ts";

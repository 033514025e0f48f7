export * from "./processes.ts";
export * from "./stack.ts";

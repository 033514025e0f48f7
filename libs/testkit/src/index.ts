export * from "./decider-spec.ts";
export * from "./docker.ts";
export * from "./infrastructure.ts";
export * from "./mongodb.ts";
export * from "./nats-server.ts";
export * from "./ports.ts";
export * from "./wait-for.ts";

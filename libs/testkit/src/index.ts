export { deciderSpec } from "./decider-spec.ts";
export { dockerEngine } from "./docker.ts";
export { testEnvelope } from "./envelope.ts";
export { testNats, uniqueNamespace } from "./infrastructure.ts";
export { describeOnMongo, type TestMongo, testMongo } from "./mongodb.ts";
export { natsServerBinary, type RunningNats, startNatsServer } from "./nats-server.ts";
export { freePort, listenOnFreePort } from "./ports.ts";
export { commitFromAnotherProcess, countingPragmas } from "./sqlite-pragmas.ts";
export { waitFor } from "./wait-for.ts";

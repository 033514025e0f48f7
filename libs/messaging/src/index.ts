export { type ConnectOptions, connectNats, type NatsCredentials, natsAuthOptions } from "./connect.ts";
export {
  type Consumer,
  type ConsumerMetrics,
  type ConsumerOptions,
  defaultRetryDelayMs,
  startConsumer,
} from "./consumer.ts";
export {
  countDeadLetters,
  DEAD_REASON_HEADER,
  type DeadLetter,
  deadLetter,
  publishDeadLetter,
  readDeadLetters,
  replayDeadLetter,
  type StoredDeadLetter,
} from "./dead-letter.ts";
export {
  type DeadLetterSelection,
  deadLetterPage,
  describeDeadLetter,
  isServiceName,
  type ReplayOptions,
  replayDeadLetters,
  selectDeadLetters,
} from "./dead-letter-admin.ts";
export { PoisonMessageError } from "./errors.ts";
export { type Handler, type HandlerContext, type HandlerResult, retryAfter } from "./handle-message.ts";
export { isNatsStarting, type NatsStartOptions, whileNatsStarts } from "./nats-start.ts";
export {
  inboxPrefixOf,
  mayPublish,
  type NatsPermissions,
  natsAuthorization,
  servicePermissions,
} from "./permissions.ts";
export { waitForQuiet } from "./quiet.ts";
export { type Outbox, type Relay, type RelayOptions, startRelay } from "./relay.ts";
export { type RpcFailure, type RpcServer, type RpcServerOptions, requestRpc, serveRpc } from "./rpc.ts";
export { ensureStreams } from "./streams.ts";
export { whileWorking } from "./while-working.ts";

/**
 * Thrown by a handler for a message that can never succeed (it would fail the same way on every
 * redelivery): the consumer dead-letters it with this message as the reason and does not retry it.
 */
export class PoisonMessageError extends Error {
  override name = "PoisonMessageError";
}

import { RuleError } from "@reelgate/runtime";

/** A command the notifier's rules refuse (runtime's RuleError, under the notifier's own name). */
export class NotifierRuleError extends RuleError {
  override name = "NotifierRuleError";
}

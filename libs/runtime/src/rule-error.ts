import type { RefusalKind } from "@reelgate/contracts";

/**
 * A command a domain's rules refuse: what kind of refusal it is (not an HTTP status: only the service that
 * answers clients decides how a kind is shown), with a machine-readable code and field. Each service names its
 * own subclass (`AccountRuleError`, `NotifierRuleError`), so its `instanceof` checks and the `name` it answers
 * with stay its own.
 */
export class RuleError extends Error {
  override name = "RuleError";
  readonly kind: RefusalKind;
  readonly code: string;
  readonly param: string | null;
  constructor(message: string, kind: RefusalKind, { code, param = null }: { code: string; param?: string | null }) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.param = param;
  }

  /** The refusal as an RPC reply carries it. */
  toReply() {
    return { ok: false as const, kind: this.kind, message: this.message, code: this.code, param: this.param };
  }
}

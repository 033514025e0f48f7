/**
 * A command a domain's rules refuse: the HTTP status it maps to, with a machine-readable code and field. Each
 * service names its own subclass (`AccountRuleError`, `NotifierRuleError`), so its `instanceof` checks and the
 * `name` it answers with stay its own.
 */
export class RuleError extends Error {
  override name = "RuleError";
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
  constructor(message: string, status: number, { code, param = null }: { code: string; param?: string | null }) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

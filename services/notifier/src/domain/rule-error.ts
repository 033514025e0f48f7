/** A command the notifier's rules refuse: the HTTP status it maps to, with a machine-readable code and field. */
export class NotifierRuleError extends Error {
  override name = "NotifierRuleError";
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

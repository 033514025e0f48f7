/** The console's only way to the API: same origin, the credential from session storage in a header, never in a URL. */

export type Role = "tenant" | "admin";
export interface Session {
  role: Role;
  secret: string;
}

const storageKey = "reelgate.session";

export const loadSession = (): Session | null => {
  try {
    const raw = sessionStorage.getItem(storageKey);
    const parsed = raw ? (JSON.parse(raw) as Session) : null;
    return parsed && (parsed.role === "tenant" || parsed.role === "admin") && typeof parsed.secret === "string"
      ? parsed
      : null;
  } catch {
    return null;
  }
};
export const saveSession = (session: Session | null) => {
  if (session) sessionStorage.setItem(storageKey, JSON.stringify(session));
  else sessionStorage.removeItem(storageKey);
};

/** An answer in OpenAI's error shape; `param` names the field at fault. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  constructor(status: number, message: string, param: string | null, code: string | null) {
    super(message);
    this.status = status;
    this.param = param;
    this.code = code;
  }
}

export interface Answer<T> {
  body: T;
  headers: Headers;
}

export const call = async <T>(session: Session, method: string, path: string, body?: unknown): Promise<Answer<T>> => {
  const headers: Record<string, string> = { authorization: `Bearer ${session.secret}` };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, ...(payload ? { body: payload } : {}) });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = (json as { error?: { message?: string; param?: string | null; code?: string | null } } | null)?.error;
    throw new ApiFailure(
      response.status,
      error?.message ?? `HTTP ${response.status}`,
      error?.param ?? null,
      error?.code ?? null,
    );
  }
  return { body: json as T, headers: response.headers };
};

export const get = async <T>(session: Session, path: string) => (await call<T>(session, "GET", path)).body;

/** A stored variant (thumbnail) fetched with the key and shown through a blob: URL the caller must revoke. */
export const blobUrl = async (session: Session, path: string) => {
  const response = await fetch(path, { headers: { authorization: `Bearer ${session.secret}` } });
  if (!response.ok) throw new ApiFailure(response.status, `HTTP ${response.status}`, null, null);
  return URL.createObjectURL(await response.blob());
};

export interface Model {
  id: string;
  sizes: string[];
  seconds: string[];
  prices: { size: string; seconds: string; price_usd: string }[];
}
export interface Video {
  id: string;
  object: "video";
  model: string;
  status: "queued" | "in_progress" | "completed" | "failed";
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt?: string | null;
  seconds: string;
  size: string;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}
export interface Account {
  id: string;
  name: string;
  balance_usd: string;
  reserved_usd: string;
}
export interface LedgerEntry {
  id: string;
  version: number;
  type: string;
  occurred_at: string;
  video_id: string | null;
  amount_usd: string | null;
  quoted_usd: string | null;
  reference: string | null;
  reason: string | null;
  balance_usd: string;
  reserved_usd: string;
}
export interface Page<T> {
  object: "list";
  data: T[];
  has_more: boolean;
}

/** Every ledger entry of an account, page by page (the ledger's cursor is the last version read). */
export const wholeLedger = async (session: Session, path: string) => {
  const entries: LedgerEntry[] = [];
  for (;;) {
    const after = entries.at(-1)?.version ?? 0;
    const page = await get<Page<LedgerEntry>>(session, `${path}?after=${after}&limit=1000`);
    entries.push(...page.data);
    if (!page.has_more || page.data.length === 0) return entries;
  }
};

/** Micro-dollars of a 6-place USD string, so sums are exact. */
export const microsOf = (usd: string | null) => {
  if (!usd) return 0;
  const negative = usd.startsWith("-");
  const [whole = "0", fraction = ""] = usd.replace("-", "").split(".");
  const micros = Number(whole) * 1_000_000 + Number(fraction.padEnd(6, "0").slice(0, 6));
  return negative ? -micros : micros;
};
export const usd = (micros: number) => `$${(micros / 1_000_000).toFixed(micros % 10_000 === 0 ? 2 : 6)}`;

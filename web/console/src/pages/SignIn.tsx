import { type FormEvent, useState } from "react";
import { ApiFailure, get, type Role, type Session } from "../api.ts";
import { FieldError } from "../ui.tsx";

/** Checks the credential against the API before keeping it (in session storage: gone when the tab closes). */
export const SignIn = ({ onSignIn }: { onSignIn: (session: Session) => void }) => {
  const [role, setRole] = useState<Role>("tenant");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const session = { role, secret: secret.trim() };
    setBusy(true);
    setError(null);
    try {
      await get(session, role === "admin" ? "/admin/v1/accounts?limit=1" : "/v1/account");
      onSignIn(session);
    } catch (failure) {
      setError(
        failure instanceof ApiFailure && failure.status === 401
          ? `That ${role === "admin" ? "admin token" : "API key"} was not accepted.`
          : String(failure instanceof Error ? failure.message : failure),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card narrow" onSubmit={submit} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <fieldset>
        <legend>As</legend>
        <label className="inline">
          <input type="radio" name="role" checked={role === "tenant"} onChange={() => setRole("tenant")} /> A user, with
          an API key
        </label>
        <label className="inline">
          <input type="radio" name="role" checked={role === "admin"} onChange={() => setRole("admin")} /> The operator,
          with the admin token
        </label>
      </fieldset>
      <label htmlFor="secret">{role === "admin" ? "Admin token" : "API key"}</label>
      <input
        id="secret"
        type="password"
        autoComplete="off"
        required
        value={secret}
        onChange={(event) => setSecret(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? "secret-error" : "secret-help"}
      />
      <p id="secret-help" className="help">
        Kept in this tab's session storage only, sent as a header, never put in a URL.
      </p>
      <FieldError id="secret-error" error={error} />
      <button type="submit" disabled={busy}>
        {busy ? "Checking…" : "Sign in"}
      </button>
    </form>
  );
};

import {
  derivedId,
  newWebhookEndpointId,
  newWebhookSecret,
  streamId,
  type WebhookEndpointJson,
} from "@reelgate/contracts";
import type { EventStore } from "@reelgate/event-store";
import { aggregateRepository, type EventMeta } from "@reelgate/runtime";
import {
  decideEndpoint,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
  evolveEndpoint,
  initialEndpoint,
  SECRET_OVERLAP_SECONDS,
} from "../domain/endpoint.ts";
import { NotifierRuleError } from "../domain/rule-error.ts";
import type { EndpointDoc, NotifierStores } from "./stores.ts";

/** What the hint shows of a secret: enough to tell two apart, nothing to sign with. */
export const secretHint = (secret: string) => `whsec_…${secret.slice(-4)}`;

export const endpointJson = (doc: EndpointDoc): WebhookEndpointJson => ({
  id: doc.id,
  object: "webhook_endpoint",
  name: doc.name,
  url: doc.url,
  event_types: doc.eventTypes,
  created_at: doc.createdAt,
  updated_at: doc.updatedAt,
  signing_secret_hint: doc.secretHint,
});

const toDoc = (state: EndpointState, v: number): EndpointDoc => ({
  id: state.endpointId!,
  accountId: state.accountId!,
  name: state.name,
  url: state.url,
  eventTypes: state.eventTypes,
  secretHint: state.secretHint,
  createdAt: state.createdAt,
  updatedAt: state.updatedAt,
  deleted: state.deleted,
  v,
});

/** A receiver URL must at least be an http(s) URL; https and the address rules are enforced on every delivery. */
const checkUrl = (url: string, param: string) => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NotifierRuleError("must be an absolute URL", "invalid", { code: "invalid_url", param });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new NotifierRuleError("must be an https URL", "invalid", { code: "invalid_url", param });
  if (parsed.username || parsed.password)
    throw new NotifierRuleError("must not carry credentials", "invalid", { code: "invalid_url", param });
  return parsed.toString();
};

/** The endpoint commands: each appends to `webhook-{id}` and then writes the endpoint's view. */
export const webhookEndpoints = ({
  store,
  stores,
  now,
  onAppended,
}: {
  store: EventStore;
  stores: NotifierStores;
  now: () => Date;
  onAppended: () => void;
}) => {
  const repository = aggregateRepository<EndpointState, EndpointCommand, EndpointEvent>(store, {
    initialState: initialEndpoint,
    evolve: evolveEndpoint,
    decide: decideEndpoint,
  });
  const seconds = () => Math.floor(now().getTime() / 1000);

  /** Writes the view from the stream; an older version never replaces a newer one (two writers may race). */
  const project = async (endpointId: string) => {
    const { state, version } = await repository.load(streamId("webhook", endpointId));
    if (!state.endpointId) return undefined;
    const doc = toDoc(state, version);
    await stores.endpoints.update(endpointId, (current) => (current && current.v >= version ? undefined : doc));
    return doc;
  };

  const execute = async (endpointId: string, accountId: string, command: EndpointCommand, commitId: string) => {
    const meta: EventMeta = { commitId, correlationId: endpointId, causationId: null, accountId, now: now() };
    const decision = await repository.execute(streamId("webhook", endpointId), command, meta);
    if (decision.events.length > 0) onAppended();
    return (await project(endpointId))!;
  };

  const own = async (accountId: string, endpointId: string) => {
    const found = await stores.endpoints.get(endpointId);
    if (!found || found.doc.deleted || found.doc.accountId !== accountId)
      throw new NotifierRuleError("No webhook endpoint found.", "not_found", { code: "not_found" });
    return found.doc;
  };

  return {
    project,
    async create(accountId: string, body: { name: string; url: string; event_types: string[] }) {
      const endpointId = newWebhookEndpointId();
      const url = checkUrl(body.url, "url");
      const secret = newWebhookSecret();
      // The secret is kept before the endpoint exists, so no delivery is ever left without one.
      await stores.secrets.put({ id: endpointId, current: secret, previous: null, previousValidUntil: null }, null);
      const command: EndpointCommand = {
        type: "CreateEndpoint",
        endpointId,
        accountId,
        name: body.name,
        url,
        eventTypes: body.event_types,
        secretHint: secretHint(secret),
        now: seconds(),
      };
      try {
        const doc = await execute(endpointId, accountId, command, derivedId("webhook-create", endpointId));
        return { ...endpointJson(doc), signing_secret: secret };
      } catch (error) {
        await stores.secrets.delete(endpointId);
        throw error;
      }
    },
    async retrieve(accountId: string, endpointId: string) {
      return endpointJson(await own(accountId, endpointId));
    },
    /** Newest first (OpenAI's order); `after` is the last id of the previous page. */
    async list(accountId: string, after: string | undefined, limit: number) {
      let cursor: { value: number; id: string } | undefined;
      if (after) {
        const last = await stores.endpoints.get(after);
        if (!last || last.doc.accountId !== accountId)
          throw new NotifierRuleError(`no webhook endpoint '${after}'`, "invalid", {
            code: "invalid_value",
            param: "after",
          });
        cursor = { value: last.doc.createdAt, id: last.doc.id };
      }
      const docs = await stores.endpoints.find({
        where: { accountId, deleted: false },
        orderBy: { field: "createdAt", direction: "desc" },
        ...(cursor ? { after: cursor } : {}),
        limit: limit + 1,
      });
      const data = docs.slice(0, limit).map(endpointJson);
      return {
        object: "list" as const,
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: docs.length > limit,
      };
    },
    async update(accountId: string, endpointId: string, body: { name?: string; url?: string; event_types?: string[] }) {
      await own(accountId, endpointId);
      const command: EndpointCommand = {
        type: "UpdateEndpoint",
        accountId,
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.url === undefined ? {} : { url: checkUrl(body.url, "url") }),
        ...(body.event_types === undefined ? {} : { eventTypes: body.event_types }),
        now: seconds(),
      };
      return endpointJson(
        await execute(endpointId, accountId, command, derivedId("webhook-update", crypto.randomUUID())),
      );
    },
    async delete(accountId: string, endpointId: string) {
      await own(accountId, endpointId);
      const command: EndpointCommand = { type: "DeleteEndpoint", accountId, now: seconds() };
      await execute(endpointId, accountId, command, derivedId("webhook-delete", endpointId));
      return { id: endpointId, object: "webhook_endpoint.deleted" as const, deleted: true as const };
    },
    async rotateSecret(accountId: string, endpointId: string, keepOld: boolean) {
      // Checked first: a rotation must never touch another account's secret.
      await own(accountId, endpointId);
      const secret = newWebhookSecret();
      const nowSeconds = seconds();
      const command: EndpointCommand = {
        type: "RotateSecret",
        accountId,
        secretHint: secretHint(secret),
        keepOld,
        now: nowSeconds,
      };
      const previousValidUntil = keepOld ? nowSeconds + SECRET_OVERLAP_SECONDS : null;
      await stores.secrets.update(endpointId, (current) => ({
        id: endpointId,
        current: secret,
        previous: keepOld ? (current?.current ?? null) : null,
        previousValidUntil,
      }));
      const doc = await execute(endpointId, accountId, command, derivedId("webhook-rotate", crypto.randomUUID()));
      return { ...endpointJson(doc), signing_secret: secret };
    },
    /** Endpoints of the account that take this event type, as the views hold them now. */
    async subscribed(accountId: string, eventType: string) {
      const docs = await stores.endpoints.find({ where: { accountId, deleted: false }, limit: 1000 });
      return docs.filter((doc) => doc.eventTypes.includes(eventType));
    },
    own,
    /** Any account's endpoint, deleted or not (the admin history). */
    exists: async (endpointId: string) => Boolean(await stores.endpoints.get(endpointId)),
  };
};

export type WebhookEndpoints = ReturnType<typeof webhookEndpoints>;

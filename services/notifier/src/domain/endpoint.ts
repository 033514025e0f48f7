import type { EventOf } from "@reelgate/contracts";
import { checkEventTypes } from "./event-types.ts";
import { NotifierRuleError } from "./rule-error.ts";

export type EndpointEvent = EventOf<
  "WebhookEndpointCreated" | "WebhookEndpointUpdated" | "WebhookSecretRotated" | "WebhookEndpointDeleted"
>;

export interface EndpointState {
  endpointId: string | null;
  accountId: string | null;
  name: string;
  url: string;
  eventTypes: string[];
  secretHint: string | null;
  /** Unix seconds: while `now` is before it, the previous secret signs too. */
  previousValidUntil: number | null;
  createdAt: number;
  updatedAt: number;
  deleted: boolean;
}

export const initialEndpoint = (): EndpointState => ({
  endpointId: null,
  accountId: null,
  name: "",
  url: "",
  eventTypes: [],
  secretHint: null,
  previousValidUntil: null,
  createdAt: 0,
  updatedAt: 0,
  deleted: false,
});

export const evolveEndpoint = (state: EndpointState, event: EndpointEvent): EndpointState => {
  switch (event.type) {
    case "WebhookEndpointCreated": {
      const { endpointId, accountId, name, url, eventTypes, secretHint, createdAt } = event.data;
      return { ...state, endpointId, accountId, name, url, eventTypes, secretHint, createdAt, updatedAt: createdAt };
    }
    case "WebhookEndpointUpdated": {
      const { name, url, eventTypes, updatedAt } = event.data;
      return { ...state, name, url, eventTypes, updatedAt };
    }
    case "WebhookSecretRotated":
      return {
        ...state,
        secretHint: event.data.secretHint,
        previousValidUntil: event.data.previousValidUntil,
        updatedAt: event.data.rotatedAt,
      };
    case "WebhookEndpointDeleted":
      return { ...state, deleted: true, updatedAt: event.data.deletedAt };
  }
};

/** How long a kept old secret still signs after a rotation (OpenAI's keep_old_secret_active_for_24_hours). */
export const SECRET_OVERLAP_SECONDS = 24 * 3600;

export type EndpointCommand =
  | {
      type: "CreateEndpoint";
      endpointId: string;
      accountId: string;
      name: string;
      url: string;
      eventTypes: string[];
      secretHint: string;
      now: number;
    }
  | { type: "UpdateEndpoint"; accountId: string; name?: string; url?: string; eventTypes?: string[]; now: number }
  | { type: "RotateSecret"; accountId: string; secretHint: string; keepOld: boolean; now: number }
  | { type: "DeleteEndpoint"; accountId: string; now: number };

/** An endpoint of another account is as absent as one never made: its id tells the caller nothing. */
const mustBeOwn = (state: EndpointState, accountId: string) => {
  if (!state.endpointId || state.deleted || state.accountId !== accountId)
    throw new NotifierRuleError("No webhook endpoint found.", "not_found", { code: "not_found" });
};

/** The endpoint's rules. Pure; URLs are checked (scheme, host) by the caller, and again on every delivery. */
export const decideEndpoint = (command: EndpointCommand, state: EndpointState): EndpointEvent[] => {
  switch (command.type) {
    case "CreateEndpoint": {
      if (state.endpointId) return [];
      const eventTypes = checkEventTypes(command.eventTypes, "event_types");
      const { endpointId, accountId, name, url, secretHint, now } = command;
      return [
        {
          type: "WebhookEndpointCreated",
          data: { endpointId, accountId, name, url, eventTypes, secretHint, createdAt: now },
        },
      ];
    }
    case "UpdateEndpoint": {
      mustBeOwn(state, command.accountId);
      const next = {
        name: command.name ?? state.name,
        url: command.url ?? state.url,
        eventTypes: command.eventTypes ? checkEventTypes(command.eventTypes, "event_types") : state.eventTypes,
      };
      // An unchanged update does not advance updated_at (OpenAI's rule).
      const same =
        next.name === state.name && next.url === state.url && next.eventTypes.join() === state.eventTypes.join();
      if (same) return [];
      return [
        { type: "WebhookEndpointUpdated", data: { endpointId: state.endpointId!, ...next, updatedAt: command.now } },
      ];
    }
    case "RotateSecret":
      mustBeOwn(state, command.accountId);
      return [
        {
          type: "WebhookSecretRotated",
          data: {
            endpointId: state.endpointId!,
            secretHint: command.secretHint,
            previousValidUntil: command.keepOld ? command.now + SECRET_OVERLAP_SECONDS : null,
            rotatedAt: command.now,
          },
        },
      ];
    case "DeleteEndpoint":
      mustBeOwn(state, command.accountId);
      return [{ type: "WebhookEndpointDeleted", data: { endpointId: state.endpointId!, deletedAt: command.now } }];
  }
};

import { deciderSpec } from "@reelgate/testkit";
import { describe, it } from "vitest";
import {
  decideEndpoint,
  type EndpointEvent,
  evolveEndpoint,
  initialEndpoint,
  SECRET_OVERLAP_SECONDS,
} from "../src/domain/endpoint.ts";
import { NotifierRuleError } from "../src/domain/rule-error.ts";

const spec = deciderSpec({ initialState: initialEndpoint, evolve: evolveEndpoint, decide: decideEndpoint });
const created: EndpointEvent = {
  type: "WebhookEndpointCreated",
  data: {
    endpointId: "whe_1",
    accountId: "acct_1",
    name: "n",
    url: "https://example.com/hook",
    eventTypes: ["video.completed"],
    secretHint: "whsec_…abcd",
    createdAt: 100,
  },
};
const create = {
  type: "CreateEndpoint" as const,
  endpointId: "whe_1",
  accountId: "acct_1",
  name: "n",
  url: "https://example.com/hook",
  eventTypes: ["video.completed"],
  secretHint: "whsec_…abcd",
  now: 100,
};

describe("webhook endpoint decider", () => {
  it("creates an endpoint once", () => {
    spec.given([]).when(create).thenEmits([created]);
    spec.given([created]).when(create).thenNothingHappened();
  });

  it("refuses event types it does not send", () =>
    spec
      .given([])
      .when({ ...create, eventTypes: ["batch.completed"] })
      .thenThrows(NotifierRuleError, /batch\.completed/));

  it("does not advance updated_at on an unchanged update", () =>
    spec
      .given([created])
      .when({ type: "UpdateEndpoint", accountId: "acct_1", name: "n", now: 200 })
      .thenNothingHappened());

  it("keeps the old secret 24 hours only when asked", () => {
    spec
      .given([created])
      .when({ type: "RotateSecret", accountId: "acct_1", secretHint: "whsec_…wxyz", keepOld: true, now: 200 })
      .thenEmits([
        {
          type: "WebhookSecretRotated",
          data: {
            endpointId: "whe_1",
            secretHint: "whsec_…wxyz",
            previousValidUntil: 200 + SECRET_OVERLAP_SECONDS,
            rotatedAt: 200,
          },
        },
      ]);
    spec
      .given([created])
      .when({ type: "RotateSecret", accountId: "acct_1", secretHint: "whsec_…wxyz", keepOld: false, now: 200 })
      .thenEmits([
        {
          type: "WebhookSecretRotated",
          data: { endpointId: "whe_1", secretHint: "whsec_…wxyz", previousValidUntil: null, rotatedAt: 200 },
        },
      ]);
  });

  it("answers 404 for another account's endpoint and for a deleted one", () => {
    spec
      .given([created])
      .when({ type: "DeleteEndpoint", accountId: "acct_2", now: 1 })
      .thenThrows(NotifierRuleError, /No webhook endpoint/);
    spec
      .given([created, { type: "WebhookEndpointDeleted", data: { endpointId: "whe_1", deletedAt: 2 } }])
      .when({ type: "UpdateEndpoint", accountId: "acct_1", name: "m", now: 3 })
      .thenThrows(NotifierRuleError, /No webhook endpoint/);
  });
});

import { type Category, type NatsNames, natsNames } from "@reelgate/contracts";

/** What one NATS user may publish and subscribe to (nats-server's `permissions` block). */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May reply to requests it received (the reply subject of each), and nothing else on `_INBOX`. */
  allowResponses?: boolean;
}

/** What every service needs: the JetStream API (streams, consumers, pulls), acks of what it pulls, its inboxes. */
const common = (service: string, names: NatsNames, categories: Category[]): NatsPermissions => ({
  publish: [
    "$JS.API.>",
    "$JS.ACK.>",
    // Its own events (the outbox relay) and its own dead letters, nobody else's.
    ...categories.map((category) => names.eventSubject(category, "*")),
    names.deadLetterSubject(service),
  ],
  // Replies (JetStream API answers, PubAcks, pulled messages, RPC answers) come to its own inboxes.
  subscribe: ["_INBOX.>"],
});

const merge = (base: NatsPermissions, extra: Partial<NatsPermissions>): NatsPermissions => ({
  publish: [...base.publish, ...(extra.publish ?? [])],
  subscribe: [...base.subscribe, ...(extra.subscribe ?? [])],
  ...(extra.allowResponses ? { allowResponses: true } : {}),
});

/**
 * Each service's NATS user and what it may do: the one table the launcher's generated nats-server
 * config and deploy/k8s's account config are made from. A new service is one entry here.
 */
export const servicePermissions = (namespace = "reelgate"): Record<string, NatsPermissions> => {
  const names = natsNames(namespace);
  return {
    // Writes tasks, characters and API keys; asks billing (admin commands) and the notifier (webhook endpoints); answers
    // the notifier's question of what a video's GET says now.
    ingress: merge(common("ingress", names, ["task", "apikey", "character"]), {
      publish: [names.rpcSubject("billing", "*"), names.rpcSubject("notifier", "*")],
      subscribe: [names.rpcSubject("ingress", "*")],
      allowResponses: true,
    }),
    // The only one that may answer billing's commands.
    billing: merge(common("billing", names, ["account"]), {
      subscribe: [names.rpcSubject("billing", "*")],
      allowResponses: true,
    }),
    // Also keeps its channel state in a JetStream KV bucket.
    poller: merge(common("poller", names, ["job"]), { publish: [`$KV.${namespace}_poller_channels.>`] }),
    storage: common("storage", names, ["asset"]),
    // Webhook endpoints and deliveries; answers ingress's endpoint commands, asks ingress for a video's status.
    notifier: merge(common("notifier", names, ["webhook", "delivery"]), {
      publish: [names.rpcSubject("ingress", "*")],
      subscribe: [names.rpcSubject("notifier", "*")],
      allowResponses: true,
    }),
  };
};

const quote = (text: string) => JSON.stringify(text);

/**
 * A nats-server `authorization` block giving each service its own user with only its permissions.
 * `password(service)` is what goes in the file: a literal (the launcher's generated passwords) or a
 * `$VARIABLE` nats-server reads from its environment (deploy/k8s, where the passwords live in a Secret).
 */
export const natsAuthorization = (
  permissions: Record<string, NatsPermissions>,
  password: (service: string) => string,
): string => {
  const users = Object.entries(permissions).map(([service, allowed]) =>
    [
      "    {",
      `      user: ${quote(service)}`,
      `      password: ${password(service)}`,
      "      permissions: {",
      `        publish: { allow: [${allowed.publish.map(quote).join(", ")}] }`,
      `        subscribe: { allow: [${allowed.subscribe.map(quote).join(", ")}] }`,
      ...(allowed.allowResponses ? ["        allow_responses: true"] : []),
      "      }",
      "    }",
    ].join("\n"),
  );
  return `authorization {\n  users: [\n${users.join("\n")}\n  ]\n}\n`;
};

/** Whether a NATS subject matches a permission's subject pattern (`*` one token, `>` the rest). */
const matches = (pattern: string, subject: string) => {
  const want = pattern.split(".");
  const have = subject.split(".");
  for (const [i, token] of want.entries()) {
    if (token === ">") return have.length > i;
    if (i >= have.length || (token !== "*" && token !== have[i])) return false;
  }
  return want.length === have.length;
};

/** Whether the permissions allow publishing on the subject. */
export const mayPublish = (permissions: NatsPermissions, subject: string) =>
  permissions.publish.some((pattern) => matches(pattern, subject));

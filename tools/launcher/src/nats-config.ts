import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { natsAuthorization, servicePermissions } from "@reelgate/messaging";
import { dataDirSecret } from "@reelgate/service-kit";

export interface LocalNatsConfig {
  /** The nats-server config file (readable by its owner only: it holds the passwords). */
  file: string;
  /** Each service's NATS_USER / NATS_PASSWORD. */
  credentials: Record<string, { NATS_USER: string; NATS_PASSWORD: string }>;
}

/**
 * `npm start`'s nats-server config: JetStream under the data dir, listening on loopback only, and a user
 * per service with only the subjects it needs (libs/messaging's permission table). The passwords are
 * generated once and kept under the data dir, so a restart of nats-server or of a service keeps them.
 */
export const writeLocalNatsConfig = ({
  dataDir,
  port,
  namespace,
}: {
  dataDir: string;
  port: number;
  namespace: string;
}): LocalNatsConfig => {
  const permissions = servicePermissions(namespace);
  const credentials = Object.fromEntries(
    Object.keys(permissions).map((service) => [
      service,
      { NATS_USER: service, NATS_PASSWORD: dataDirSecret(dataDir, `nats-${service}`) },
    ]),
  );
  const file = join(dataDir, "nats-server.conf");
  const config = [
    "# Written by the launcher at each start (tools/launcher/src/nats-config.ts); edits are overwritten.",
    `host: "127.0.0.1"`,
    `port: ${port}`,
    `jetstream { store_dir: ${JSON.stringify(join(dataDir, "nats"))} }`,
    natsAuthorization(permissions, (service) => JSON.stringify(credentials[service]!.NATS_PASSWORD)),
  ].join("\n");
  writeFileSync(file, config, { mode: 0o600 });
  return { file, credentials };
};

import { natsAuthorization, servicePermissions } from "@reelgate/messaging";

const header = `# NATS users and permissions for Reelgate (REELGATE_NAMESPACE "reelgate"): include this file in your
# nats-server config (\`include ./authorization.conf\`). Each service has its own user with only the subjects
# it needs; billing alone may answer rpc.billing.*. The passwords come from the nats-server pod's environment
# (envFrom the Secret reelgate-nats). Made from libs/messaging/src/permissions.ts; do not edit by hand:
#   npx node deploy/test/nats-authorization.ts > deploy/k8s/nats/authorization.conf
# deploy/test/manifests.int.test.ts checks that this file is what the table gives.
`;

/** deploy/k8s/nats/authorization.conf as the permission table makes it. */
export const k8sNatsAuthorization = () =>
  header + natsAuthorization(servicePermissions("reelgate"), (service) => `$NATS_PASSWORD_${service.toUpperCase()}`);

if (import.meta.main) process.stdout.write(k8sNatsAuthorization());

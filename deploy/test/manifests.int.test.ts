import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { secretProblem } from "@reelgate/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type JsonObject, type K8sObject, parseYamlDocuments, renderKustomize } from "./kustomize.ts";
import { k8sNatsAuthorization } from "./nats-authorization.ts";
import { createValidator, type Validator } from "./validate.ts";

const SERVICES = ["ingress", "billing", "poller", "storage", "notifier"] as const;
const CONFIG_KEYS = [
  "NATS_URL",
  "MONGODB_URL",
  "S3_ENDPOINT",
  "S3_BUCKET",
  "S3_REGION",
  "LOG_LEVEL",
  "REELGATE_PUBLIC_URL",
];
const SECRET_KEYS = ["REELGATE_ADMIN_TOKEN", "REELGATE_SIGNING_SECRET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"];
/** Ingress's probes are on its operations port; the others have only an operations port. */
const PROBE_PORT: Record<string, number> = {
  ingress: 8081,
  billing: 8080,
  poller: 8080,
  storage: 8080,
  notifier: 8080,
};
const K8S_DIR = fileURLToPath(new URL("../k8s", import.meta.url));

const kubectl = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!kubectl) console.warn("kubectl not on PATH: comparing the in-repo renderer with `kubectl kustomize` is skipped");

const TARGETS = [
  { name: "base", dir: "base", namespace: undefined },
  { name: "production overlay", dir: "overlays/production", namespace: "reelgate" },
] as const;

// The overlay needs secrets.env, which is never committed: render from a copy that has one made from the example.
let workdir: string;
const renders = new Map<string, K8sObject[]>();

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), "reelgate-k8s-"));
  cpSync(K8S_DIR, workdir, { recursive: true });
  // What an operator does: copy each example and fill in random values.
  for (const file of ["secrets.env", "nats.env"]) {
    const example = readFileSync(join(workdir, `overlays/production/${file}.example`), "utf8");
    writeFileSync(
      join(workdir, "overlays/production", file),
      example.replace(/^([A-Z0-9_]+)=$/gm, (_line, key: string) => `${key}=${randomBytes(32).toString("base64url")}`),
    );
  }
  for (const target of TARGETS) renders.set(target.name, renderKustomize(join(workdir, target.dir)));
});

afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

let validator: Validator;
beforeAll(async () => {
  validator = await createValidator();
});

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);
const get = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((current, key) => (current as Record<string | number, unknown> | undefined)?.[key], value);
const selects = (selector: unknown, labels: unknown) =>
  isObject(selector) &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => isObject(labels) && labels[key] === value);
const idOf = (object: K8sObject) => `${object.kind}/${object.metadata.namespace ?? "-"}/${object.metadata.name}`;

const containerOf = (deployment: K8sObject, name: string) => {
  const containers = get(deployment, "spec", "template", "spec", "containers") as JsonObject[];
  return containers.find((container) => container.name === name);
};

/** A probe's or Service's port: a number, or the name of one of the container's ports. */
const resolvePort = (container: JsonObject, port: unknown) =>
  typeof port === "number"
    ? port
    : (container.ports as JsonObject[] | undefined)?.find((candidate) => candidate.name === port)?.containerPort;

/**
 * Makes two renders comparable: generated ConfigMap/Secret names lose their hash suffix (kustomize's hash
 * is not reproduced byte for byte), and lists keyed by name are put in name order.
 */
const normalize = (objects: K8sObject[]): Map<string, Json> => {
  const generated = objects
    .filter((object) => object.kind === "ConfigMap" || object.kind === "Secret")
    .map((object) => object.metadata.name)
    .filter((name) => /-[a-z0-9]{10}$/.test(name));
  let text = JSON.stringify(objects);
  for (const name of generated) text = text.replaceAll(`"${name}"`, `"${name.slice(0, -11)}"`);
  const sortLists = (value: Json): Json => {
    if (Array.isArray(value)) {
      const items = value.map(sortLists);
      const key = ["name", "mountPath"].find((candidate) => items.every((item) => isObject(item) && candidate in item));
      return key
        ? items.sort((a, b) => String((a as JsonObject)[key]).localeCompare(String((b as JsonObject)[key])))
        : items;
    }
    if (isObject(value))
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, sortLists(child)]));
    return value;
  };
  return new Map((JSON.parse(text) as K8sObject[]).map((object) => [idOf(object), sortLists(object)]));
};

describe.each(TARGETS)("deploy/k8s/$dir", (target) => {
  const objects = () => renders.get(target.name)!;

  it("renders every object valid against the Kubernetes schemas, with no unknown field", () => {
    expect(objects().length).toBeGreaterThan(0);
    const problems = objects().flatMap((object) => {
      const result = validator.validate(object);
      return result.ok ? [] : result.errors.map((error) => `${idOf(object)} ${error}`);
    });
    expect(problems).toEqual([]);
  });

  it("has no duplicate objects and the expected namespace", () => {
    const ids = objects().map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
    for (const object of objects()) expect(object.metadata.namespace).toBe(target.namespace);
  });

  it.each(SERVICES)("runs %s: Deployment, probes, configuration, security, resources", (service) => {
    const name = `reelgate-${service}`;
    const deployment = find(objects(), "Deployment", name);
    expect(deployment, `Deployment ${name}`).toBeDefined();
    const podSpec = get(deployment, "spec", "template", "spec") as JsonObject;
    const podLabels = get(deployment, "spec", "template", "metadata", "labels");
    expect(get(deployment, "metadata", "labels", "app.kubernetes.io/name")).toBe(name);
    expect(get(deployment, "metadata", "labels", "app.kubernetes.io/part-of")).toBe("reelgate");
    expect(selects(get(deployment, "spec", "selector", "matchLabels"), podLabels)).toBe(true);

    const container = containerOf(deployment!, service)!;
    expect(container, `container ${service}`).toBeDefined();
    // The poller's heap settings, as tools/launcher/src/node-flags.ts starts it.
    const flags =
      service === "poller"
        ? ["--max-semi-space-size=8", "--initial-old-space-size=64", "--heap-growing-percent=25"]
        : [];
    expect(container.command).toEqual(["node", ...flags, `services/${service}/src/main.ts`]);
    expect(container.image).toMatch(/^ghcr\.io\/reelgate\/reelgate:[\w.-]+$/);
    expect(container.env).toContainEqual({ name: "PORT", value: "8080" });
    // The poller's malloc arenas, as tools/launcher/src/node-flags.ts starts it.
    if (service === "poller") {
      expect(container.env).toContainEqual({ name: "MALLOC_ARENA_MAX", value: "2" });
      expect(container.env).toContainEqual({ name: "NODE_COMPILE_CACHE", value: "/tmp/node-compile-cache" });
    }
    // Its own NATS user; the password is its own key of the Secret reelgate-nats, which the base does not ship.
    expect(container.env).toContainEqual({ name: "NATS_USER", value: service });
    const natsPassword = (container.env as JsonObject[]).find((variable) => variable.name === "NATS_PASSWORD");
    expect(get(natsPassword, "valueFrom", "secretKeyRef", "key")).toBe(`NATS_PASSWORD_${service.toUpperCase()}`);
    const natsSecretName = get(natsPassword, "valueFrom", "secretKeyRef", "name") as string;
    expect(natsSecretName).toMatch(/^reelgate-nats(-[a-z0-9]{10})?$/);

    for (const [probe, path] of [
      ["livenessProbe", "/healthz"],
      ["readinessProbe", "/readyz"],
    ] as const) {
      expect(get(container, probe, "httpGet", "path"), `${probe} path`).toBe(path);
      expect(resolvePort(container, get(container, probe, "httpGet", "port")), `${probe} port`).toBe(
        PROBE_PORT[service],
      );
    }

    const envFrom = container.envFrom as JsonObject[];
    const configMapName = envFrom.map((source) => get(source, "configMapRef", "name")).find(Boolean) as string;
    const secretName = envFrom.map((source) => get(source, "secretRef", "name")).find(Boolean) as string;
    expect(configMapName).toMatch(/^reelgate-config(-[a-z0-9]{10})?$/);
    expect(secretName).toMatch(/^reelgate-secrets(-[a-z0-9]{10})?$/);
    const configMap = find(objects(), "ConfigMap", configMapName);
    expect(configMap, `ConfigMap ${configMapName} is rendered`).toBeDefined();
    expect(Object.keys(configMap!.data as JsonObject)).toEqual(expect.arrayContaining(CONFIG_KEYS));
    const secret = find(objects(), "Secret", secretName);
    const natsSecret = find(objects(), "Secret", natsSecretName);
    if (target.dir === "base") {
      // The base ships no Secret: the operator creates both, so no placeholder can ever be deployed.
      expect([secretName, natsSecretName]).toEqual(["reelgate-secrets", "reelgate-nats"]);
      expect(secret).toBeUndefined();
      expect(natsSecret).toBeUndefined();
    } else {
      expect(secret, `Secret ${secretName} is rendered`).toBeDefined();
      expect(Object.keys(secret!.data as JsonObject)).toEqual(expect.arrayContaining(SECRET_KEYS));
      expect(natsSecret?.data, `Secret ${natsSecretName}`).toHaveProperty(`NATS_PASSWORD_${service.toUpperCase()}`);
    }
    for (const key of SECRET_KEYS) expect(configMap!.data, `${key} is not in the ConfigMap`).not.toHaveProperty(key);

    expect(get(podSpec, "securityContext", "runAsNonRoot")).toBe(true);
    expect(get(container, "securityContext", "runAsNonRoot")).toBe(true);
    expect(get(container, "securityContext", "readOnlyRootFilesystem")).toBe(true);
    expect(get(container, "securityContext", "allowPrivilegeEscalation")).toBe(false);
    expect(get(container, "securityContext", "capabilities", "drop")).toContain("ALL");
    const tmpMount = (container.volumeMounts as JsonObject[]).find((mount) => mount.mountPath === "/tmp");
    const tmpVolume = (podSpec.volumes as JsonObject[]).find((volume) => volume.name === tmpMount?.name);
    expect(tmpVolume?.emptyDir, "an emptyDir on /tmp").toBeDefined();

    for (const bound of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        expect(get(container, "resources", bound, resource), `${bound}.${resource}`).toBeDefined();
      }
    }
  });

  it.each(SERVICES)("exposes %s through a Service that selects exactly its pods", (service) => {
    const name = `reelgate-${service}`;
    const serviceObject = find(objects(), "Service", name);
    expect(serviceObject, `Service ${name}`).toBeDefined();
    const selector = get(serviceObject, "spec", "selector");
    for (const deployment of objects().filter((object) => object.kind === "Deployment")) {
      const labels = get(deployment, "spec", "template", "metadata", "labels");
      expect(selects(selector, labels), `${name} selects ${deployment.metadata.name}`).toBe(
        deployment.metadata.name === name,
      );
    }
    const container = containerOf(find(objects(), "Deployment", name)!, service)!;
    const [port] = get(serviceObject, "spec", "ports") as JsonObject[];
    expect(port?.port).toBe(service === "ingress" ? 80 : 8080);
    expect(resolvePort(container, port?.targetPort)).toBe(8080);
    // Ingress's Service carries only the public API, never its operations port.
    expect((get(serviceObject, "spec", "ports") as JsonObject[]).length).toBe(1);
  });

  it("lets only ingress take traffic from outside, on its public port; operations ports only from monitoring", () => {
    const policies = objects().filter((object) => object.kind === "NetworkPolicy");
    const deployments = objects().filter((object) => object.kind === "Deployment");
    const podLabels = (deployment: K8sObject) => get(deployment, "spec", "template", "metadata", "labels");
    const denyAll = policies.find((policy) => get(policy, "spec", "ingress") === undefined);
    expect(denyAll, "a default-deny policy").toBeDefined();
    for (const deployment of deployments)
      expect(selects(get(denyAll, "spec", "podSelector", "matchLabels"), podLabels(deployment))).toBe(true);
    // A rule without `from` admits everyone: only ingress's pods may have one, and only on the port `http`.
    for (const policy of policies) {
      for (const rule of (get(policy, "spec", "ingress") as JsonObject[] | undefined) ?? []) {
        if (rule.from !== undefined) {
          for (const peer of rule.from as JsonObject[])
            expect(get(peer, "namespaceSelector", "matchLabels"), policy.metadata.name).toEqual({
              "reelgate.io/monitoring": "true",
            });
          continue;
        }
        const selected = deployments.filter((deployment) =>
          selects(get(policy, "spec", "podSelector", "matchLabels"), podLabels(deployment)),
        );
        expect(selected.map((deployment) => deployment.metadata.name)).toEqual(["reelgate-ingress"]);
        expect(rule.ports).toEqual([{ port: "http", protocol: "TCP" }]);
      }
    }
  });

  it("keeps ingress available through voluntary disruptions", () => {
    const budget = find(objects(), "PodDisruptionBudget", "reelgate-ingress");
    expect(budget).toBeDefined();
    const deployment = find(objects(), "Deployment", "reelgate-ingress");
    expect(
      selects(
        get(budget, "spec", "selector", "matchLabels"),
        get(deployment, "spec", "template", "metadata", "labels"),
      ),
    ).toBe(true);
    expect((get(deployment, "spec", "replicas") as number) > (get(budget, "spec", "minAvailable") as number)).toBe(
      true,
    );
  });

  it.skipIf(!kubectl)("renders the same objects as `kubectl kustomize`", () => {
    const text = execFileSync("kubectl", ["kustomize", join(workdir, target.dir)], { encoding: "utf8" });
    const theirs = parseYamlDocuments(text, `kubectl kustomize ${target.dir}`) as K8sObject[];
    for (const object of theirs) expect(validator.validate(object), idOf(object)).toEqual({ ok: true });
    const [ours, reference] = [normalize(objects()), normalize(theirs)];
    expect([...ours.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [id, object] of reference) expect(ours.get(id), id).toEqual(object);
  });
});

describe("secrets and NATS permissions shipped in deploy/k8s", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
    );

  it("assigns no secret a value in any committed file: the services refuse placeholders, the operator fills them", () => {
    const secretLine =
      /^[ \t]*(REELGATE_ADMIN_TOKEN|REELGATE_SIGNING_SECRET|S3_SECRET_ACCESS_KEY|NATS_PASSWORD\w*)[ \t]*[=:][ \t]*(\S+)/gm;
    const assigned = files(K8S_DIR)
      .filter((file) => !/\/(secrets|nats)\.env$/.test(file))
      .flatMap((file) => [...readFileSync(file, "utf8").matchAll(secretLine)].map((match) => `${file}: ${match[0]}`))
      .filter((line) => !line.includes("$NATS_PASSWORD_"));
    expect(assigned).toEqual([]);
    expect(secretProblem("replace-me-admin-token")).toBeDefined();
  });

  it("the overlay's Secrets, filled as the examples say, hold values the services accept", () => {
    const production = renders.get("production overlay")!;
    const secret = production.find(
      (object) => object.kind === "Secret" && object.metadata.name.startsWith("reelgate-secrets"),
    );
    for (const key of ["REELGATE_ADMIN_TOKEN", "REELGATE_SIGNING_SECRET"]) {
      const value = Buffer.from(String(get(secret, "data", key)), "base64").toString("utf8");
      expect(secretProblem(value), key).toBeUndefined();
    }
  });

  it("ships the NATS authorization the permission table gives: billing alone answers rpc.billing.*", () => {
    const shipped = readFileSync(join(K8S_DIR, "nats/authorization.conf"), "utf8");
    expect(shipped).toBe(k8sNatsAuthorization());
    // One block per user: `user: "name"` up to the next user.
    const answering = shipped
      .split(/user: "/)
      .slice(1)
      .filter((block) => /subscribe: \{ allow: \[[^\]]*rpc\.billing/.test(block))
      .map((block) => block.slice(0, block.indexOf('"')));
    expect(answering).toEqual(["billing"]);
  });
});

describe("the production overlay", () => {
  it("pins the image and scales every service up from the base", () => {
    const base = renders.get("base")!;
    const production = renders.get("production overlay")!;
    for (const service of SERVICES) {
      const name = `reelgate-${service}`;
      const [before, after] = [find(base, "Deployment", name)!, find(production, "Deployment", name)!];
      expect(get(after, "spec", "replicas") as number).toBeGreaterThan(get(before, "spec", "replicas") as number);
      expect(containerOf(after, service)!.image).not.toMatch(/:latest$/);
    }
  });

  it("mounts the channels file where REELGATE_CHANNELS_FILE points, for the services that call upstreams", () => {
    const production = renders.get("production overlay")!;
    const config = production.find((object) => object.metadata.name.startsWith("reelgate-config"))!;
    const file = (config.data as JsonObject).REELGATE_CHANNELS_FILE as string;
    for (const service of ["poller", "storage"]) {
      const deployment = find(production, "Deployment", `reelgate-${service}`)!;
      const mount = (containerOf(deployment, service)!.volumeMounts as JsonObject[]).find((candidate) =>
        file.startsWith(`${candidate.mountPath}/`),
      );
      const volume = (get(deployment, "spec", "template", "spec", "volumes") as JsonObject[]).find(
        (candidate) => candidate.name === mount?.name,
      );
      const configMap = find(production, "ConfigMap", get(volume, "configMap", "name") as string);
      expect(configMap?.data, `${service} sees ${file}`).toHaveProperty(file.slice(file.lastIndexOf("/") + 1));
    }
  });
});

describe("the validator", () => {
  const deployment = (): K8sObject =>
    structuredClone(find(renders.get("base")!, "Deployment", "reelgate-ingress")!) as K8sObject;
  const errorsOf = (object: unknown) => {
    const result = validator.validate(object);
    return result.ok ? [] : result.errors;
  };

  it("accepts a rendered Deployment as it is", () => {
    expect(errorsOf(deployment())).toEqual([]);
  });

  it("rejects a misspelled field (replica instead of replicas)", () => {
    const object = deployment();
    (object.spec as JsonObject).replica = 2;
    expect(errorsOf(object)).toEqual([`.spec.replica: unknown field "replica"`]);
  });

  it("rejects a misspelled field deep in a probe and in metadata", () => {
    const object = deployment();
    const container = containerOf(object, "ingress")!;
    (container.livenessProbe as JsonObject).periodSecond = 5;
    (object.metadata as JsonObject).label = { a: "b" };
    expect(errorsOf(object)).toEqual(
      expect.arrayContaining([
        `.spec.template.spec.containers[0].livenessProbe.periodSecond: unknown field "periodSecond"`,
        `.metadata.label: unknown field "label"`,
      ]),
    );
  });

  it("rejects a probe with a wrong type", () => {
    const object = deployment();
    const container = containerOf(object, "ingress")!;
    (container.readinessProbe as JsonObject).periodSeconds = "5";
    expect(errorsOf(object).join("\n")).toMatch(/readinessProbe\/periodSeconds: must be integer/);
    (container.readinessProbe as JsonObject).periodSeconds = 5;
    container.livenessProbe = "/healthz";
    expect(errorsOf(object).join("\n")).toMatch(/livenessProbe/);
  });

  it("rejects a missing required field and an unknown kind", () => {
    const object = deployment();
    delete (object.spec as JsonObject).selector;
    expect(errorsOf(object).join("\n")).toMatch(/selector/);
    expect(errorsOf({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).toEqual([
      "/: no schema for example.com/v1/Widget",
    ]);
  });

  it("rejects a kustomization whose manifest has a misspelled field, end to end", () => {
    const dir = join(workdir, "broken");
    mkdirSync(dir);
    copyFileSync(join(K8S_DIR, "base/ingress.yaml"), join(dir, "ingress.yaml"));
    const manifest = readFileSync(join(dir, "ingress.yaml"), "utf8").replace("  replicas: 2", "  replica: 2");
    writeFileSync(join(dir, "ingress.yaml"), manifest);
    writeFileSync(join(dir, "kustomization.yaml"), "resources:\n  - ingress.yaml\n");
    const broken = find(renderKustomize(dir), "Deployment", "reelgate-ingress");
    expect(errorsOf(broken)).toEqual([`.spec.replica: unknown field "replica"`]);
  });

  it("refuses kustomize features outside the renderer's subset instead of ignoring them", () => {
    const dir = join(workdir, "unsupported");
    mkdirSync(dir);
    writeFileSync(join(dir, "kustomization.yaml"), "resources: []\nhelmCharts:\n  - name: x\n");
    expect(() => renderKustomize(dir)).toThrow(/helmCharts/);
  });
});

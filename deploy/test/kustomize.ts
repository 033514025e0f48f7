import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

/**
 * A renderer for the subset of kustomize that deploy/k8s uses, so the manifests can be checked on a
 * machine without kubectl. Anything outside the subset is an error, never silently ignored.
 *
 * Supported: resources (files and kustomization directories), configMapGenerator / secretGenerator
 * (envs, files, literals; behavior create/merge/replace; hash suffix unless disabled), generatorOptions,
 * namespace, labels, commonLabels, images, replicas, and strategic-merge patches (inline or by path,
 * with an optional kind/name target).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type K8sObject = JsonObject & {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string; labels?: Record<string, string> };
};

type Generated = { object: K8sObject; hash: boolean };
type Level = { objects: K8sObject[]; generated: Map<K8sObject, Generated> };

const KNOWN_FIELDS = new Set([
  "apiVersion",
  "kind",
  "namespace",
  "resources",
  "configMapGenerator",
  "secretGenerator",
  "generatorOptions",
  "labels",
  "commonLabels",
  "images",
  "replicas",
  "patches",
]);

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const clone = <T>(value: T): T => structuredClone(value);

const fail = (where: string, message: string): never => {
  throw new Error(`${where}: ${message}`);
};

export const parseYamlDocuments = (text: string, where: string): JsonObject[] =>
  parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) fail(where, document.errors.map((error) => error.message).join("; "));
    const value = document.toJS() as unknown;
    if (value === null || value === undefined) return [];
    if (!isObject(value)) return fail(where, "a document is not a mapping");
    return [value];
  });

const asK8sObject = (value: JsonObject, where: string): K8sObject => {
  const metadata = value.metadata;
  if (typeof value.apiVersion !== "string" || typeof value.kind !== "string") fail(where, "apiVersion/kind missing");
  if (!isObject(metadata) || typeof metadata.name !== "string") fail(where, "metadata.name missing");
  return value as K8sObject;
};

const readKustomization = (dir: string): JsonObject => {
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
    .map((name) => join(dir, name))
    .find((path) => existsSync(path));
  if (!file) return fail(dir, "no kustomization.yaml");
  const [document, ...rest] = parseYamlDocuments(readFileSync(file, "utf8"), file);
  if (!document || rest.length > 0) return fail(file, "expected exactly one document");
  for (const key of Object.keys(document)) {
    if (!KNOWN_FIELDS.has(key)) fail(file, `field "${key}" is outside the subset this renderer supports`);
  }
  return document;
};

const list = (value: Json | undefined, where: string): Json[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return fail(where, "expected a list");
  return value;
};

const objectList = (value: Json | undefined, where: string): JsonObject[] =>
  list(value, where).map((item) => (isObject(item) ? item : fail(where, "expected a list of mappings")));

const stringList = (value: Json | undefined, where: string): string[] =>
  list(value, where).map((item) => (typeof item === "string" ? item : fail(where, "expected a list of strings")));

const onlyKeys = (value: JsonObject, keys: string[], where: string) => {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) fail(where, `field "${key}" is outside the subset this renderer supports`);
  }
};

/** kustomize's env-file format: KEY=VALUE lines; blank lines and # comments skipped; no quoting rules. */
export const parseEnvFile = (text: string, where: string): Record<string, string> => {
  const entries: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const equals = line.indexOf("=");
    if (equals <= 0) fail(`${where}:${index + 1}`, "expected KEY=VALUE");
    entries[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return entries;
};

const generatorData = (spec: JsonObject, dir: string, where: string): Record<string, string> => {
  const data: Record<string, string> = {};
  for (const file of stringList(spec.envs, `${where}.envs`)) {
    Object.assign(data, parseEnvFile(readFileSync(join(dir, file), "utf8"), join(dir, file)));
  }
  for (const entry of stringList(spec.files, `${where}.files`)) {
    const equals = entry.indexOf("=");
    const [key, path] = equals > 0 ? [entry.slice(0, equals), entry.slice(equals + 1)] : [basename(entry), entry];
    data[key] = readFileSync(join(dir, path), "utf8");
  }
  for (const literal of stringList(spec.literals, `${where}.literals`)) {
    const equals = literal.indexOf("=");
    if (equals <= 0) fail(where, `literal "${literal}" is not KEY=VALUE`);
    data[literal.slice(0, equals)] = literal.slice(equals + 1);
  }
  return data;
};

const sameId = (a: K8sObject, b: { kind: string; name: string }) => a.kind === b.kind && a.metadata.name === b.name;

const runGenerators = (level: Level, kustomization: JsonObject, dir: string) => {
  const options = isObject(kustomization.generatorOptions) ? kustomization.generatorOptions : {};
  onlyKeys(options, ["disableNameSuffixHash", "labels"], `${dir}: generatorOptions`);
  const optionLabels = (isObject(options.labels) ? options.labels : {}) as Record<string, string>;
  const kinds = [
    ["ConfigMap", "configMapGenerator"],
    ["Secret", "secretGenerator"],
  ] as const;
  for (const [kind, field] of kinds) {
    for (const [index, spec] of objectList(kustomization[field], `${dir}: ${field}`).entries()) {
      const where = `${dir}: ${field}[${index}]`;
      onlyKeys(spec, ["name", "behavior", "envs", "files", "literals", "type", "options"], where);
      if (typeof spec.name !== "string") fail(where, "name missing");
      const name = spec.name as string;
      const behavior = (spec.behavior ?? "create") as string;
      const data = generatorData(spec, dir, where);
      const existing = level.objects.find((object) => sameId(object, { kind, name }));
      const hash = !(options.disableNameSuffixHash === true);
      if (behavior === "create") {
        if (existing) fail(where, `${kind} ${name} already exists`);
        const object: K8sObject = {
          apiVersion: "v1",
          kind,
          metadata: { name, ...(Object.keys(optionLabels).length > 0 ? { labels: { ...optionLabels } } : {}) },
          ...(kind === "Secret"
            ? { type: (spec.type as string | undefined) ?? "Opaque", data: encodeSecretData(data) }
            : { data }),
        };
        level.objects.push(object);
        level.generated.set(object, { object, hash });
        continue;
      }
      if (behavior !== "merge" && behavior !== "replace") fail(where, `unknown behavior ${behavior}`);
      if (!existing) return fail(where, `behavior ${behavior} needs an existing ${kind} ${name}`);
      const incoming = kind === "Secret" ? encodeSecretData(data) : data;
      existing.data = behavior === "merge" ? { ...(existing.data as JsonObject), ...incoming } : incoming;
      if (typeof spec.type === "string") existing.type = spec.type;
    }
  }
};

const encodeSecretData = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")]));

/** Lists merged element by element in a strategic merge patch, and the key that pairs the elements. */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  env: "name",
  ports: "containerPort",
  imagePullSecrets: "name",
  tolerations: "key",
};

export const strategicMerge = (target: Json, patch: Json, field = ""): Json => {
  if (isObject(patch) && "$patch" in patch) return fail(field, "$patch directives are outside the supported subset");
  if (isObject(target) && isObject(patch)) {
    const result: JsonObject = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete result[key];
      else result[key] = key in target ? strategicMerge(target[key] as Json, value, key) : clone(value);
    }
    return result;
  }
  const mergeKey = MERGE_KEYS[field];
  if (Array.isArray(target) && Array.isArray(patch) && mergeKey) {
    const merged = target.map((item) => clone(item));
    const added: Json[] = [];
    for (const item of patch) {
      if (!isObject(item)) return fail(field, "expected mappings in a merge-keyed list");
      const index = merged.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
      if (index >= 0) merged[index] = strategicMerge(merged[index] as Json, item, field);
      else added.push(clone(item));
    }
    return [...added, ...merged];
  }
  return clone(patch);
};

const patchTargets = (objects: K8sObject[], patch: K8sObject, target: JsonObject | undefined, where: string) => {
  if (!target) return objects.filter((object) => sameId(object, { kind: patch.kind, name: patch.metadata.name }));
  onlyKeys(target, ["kind", "name"], `${where}.target`);
  const name = typeof target.name === "string" ? new RegExp(`^(?:${target.name})$`) : undefined;
  return objects.filter(
    (object) =>
      (target.kind === undefined || object.kind === target.kind) && (!name || name.test(object.metadata.name)),
  );
};

const applyPatches = (objects: K8sObject[], kustomization: JsonObject, dir: string) => {
  for (const [index, spec] of objectList(kustomization.patches, `${dir}: patches`).entries()) {
    const where = `${dir}: patches[${index}]`;
    onlyKeys(spec, ["path", "patch", "target"], where);
    const text =
      typeof spec.path === "string"
        ? readFileSync(join(dir, spec.path), "utf8")
        : typeof spec.patch === "string"
          ? spec.patch
          : fail(where, "path or patch needed");
    for (const document of parseYamlDocuments(text, where)) {
      const patch = asK8sObject(document, where);
      const targets = patchTargets(objects, patch, isObject(spec.target) ? spec.target : undefined, where);
      if (targets.length === 0) fail(where, "matches no resource");
      for (const object of targets) {
        const { metadata, ...body } = patch;
        const { name: _name, ...metadataRest } = metadata;
        const merged = strategicMerge(object, { ...body, metadata: metadataRest } as JsonObject) as K8sObject;
        merged.apiVersion = object.apiVersion;
        merged.kind = object.kind;
        Object.assign(object, merged);
      }
    }
  }
};

const podTemplate = (object: K8sObject): JsonObject | undefined => {
  const spec = object.spec;
  return isObject(spec) && isObject(spec.template) ? spec.template : undefined;
};

const containersOf = (object: K8sObject): JsonObject[] => {
  const podSpec = podTemplate(object)?.spec;
  if (!isObject(podSpec)) return [];
  return [...list(podSpec.containers, "containers"), ...list(podSpec.initContainers, "initContainers")].filter(
    isObject,
  );
};

const addLabels = (object: K8sObject, labels: Record<string, string>, selectors: boolean, templates: boolean) => {
  object.metadata.labels = { ...(object.metadata.labels ?? {}), ...labels };
  const template = podTemplate(object);
  if (template && templates) {
    const metadata = isObject(template.metadata) ? template.metadata : {};
    metadata.labels = { ...((metadata.labels as JsonObject | undefined) ?? {}), ...labels };
    template.metadata = metadata;
  }
  if (!selectors) return;
  const spec = object.spec;
  if (!isObject(spec)) return;
  if (object.kind === "Service") spec.selector = { ...((spec.selector as JsonObject | undefined) ?? {}), ...labels };
  else if (isObject(spec.selector)) {
    spec.selector.matchLabels = { ...((spec.selector.matchLabels as JsonObject | undefined) ?? {}), ...labels };
  }
};

const applyLabels = (objects: K8sObject[], kustomization: JsonObject, dir: string) => {
  if (isObject(kustomization.commonLabels)) {
    for (const object of objects) addLabels(object, kustomization.commonLabels as Record<string, string>, true, true);
  }
  for (const [index, spec] of objectList(kustomization.labels, `${dir}: labels`).entries()) {
    onlyKeys(spec, ["pairs", "includeSelectors", "includeTemplates"], `${dir}: labels[${index}]`);
    const pairs = (isObject(spec.pairs) ? spec.pairs : {}) as Record<string, string>;
    const selectors = spec.includeSelectors === true;
    for (const object of objects) addLabels(object, pairs, selectors, selectors || spec.includeTemplates === true);
  }
};

const applyImages = (objects: K8sObject[], kustomization: JsonObject, dir: string) => {
  for (const [index, spec] of objectList(kustomization.images, `${dir}: images`).entries()) {
    onlyKeys(spec, ["name", "newName", "newTag", "digest"], `${dir}: images[${index}]`);
    for (const container of objects.flatMap(containersOf)) {
      const image = container.image;
      if (typeof image !== "string") continue;
      const groups = /^(?<name>[^@]+?)(?::(?<tag>[^:/@]+))?(?:@(?<digest>.+))?$/.exec(image)?.groups;
      if (!groups || groups.name !== spec.name) continue;
      const name = (spec.newName as string | undefined) ?? (groups.name as string);
      if (typeof spec.digest === "string") container.image = `${name}@${spec.digest}`;
      else {
        const tag = spec.newTag !== undefined ? String(spec.newTag) : groups.tag;
        container.image = tag ? `${name}:${tag}` : name;
      }
    }
  }
};

const applyReplicas = (objects: K8sObject[], kustomization: JsonObject, dir: string) => {
  for (const [index, spec] of objectList(kustomization.replicas, `${dir}: replicas`).entries()) {
    onlyKeys(spec, ["name", "count"], `${dir}: replicas[${index}]`);
    const targets = objects.filter(
      (object) =>
        object.metadata.name === spec.name && ["Deployment", "StatefulSet", "ReplicaSet"].includes(object.kind),
    );
    if (targets.length === 0) fail(`${dir}: replicas[${index}]`, `no workload named ${String(spec.name)}`);
    for (const object of targets) (object.spec as JsonObject).replicas = spec.count as number;
  }
};

const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"]);

const renderLevel = (dir: string): Level => {
  const kustomization = readKustomization(dir);
  const level: Level = { objects: [], generated: new Map() };
  for (const entry of stringList(kustomization.resources, `${dir}: resources`)) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) {
      const child = renderLevel(path);
      level.objects.push(...child.objects);
      for (const [object, generated] of child.generated) level.generated.set(object, generated);
    } else {
      for (const document of parseYamlDocuments(readFileSync(path, "utf8"), path)) {
        level.objects.push(asK8sObject(document, path));
      }
    }
  }
  runGenerators(level, kustomization, dir);
  applyPatches(level.objects, kustomization, dir);
  if (typeof kustomization.namespace === "string") {
    for (const object of level.objects) {
      if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
    }
  }
  applyLabels(level.objects, kustomization, dir);
  applyImages(level.objects, kustomization, dir);
  applyReplicas(level.objects, kustomization, dir);
  return level;
};

const canonical = (value: Json): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(",")}]`
    : isObject(value)
      ? `{${Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${canonical(value[key] as Json)}`)
          .join(",")}}`
      : JSON.stringify(value);

/** A content hash in kustomize's shape (10 characters); not byte-identical to kustomize's. */
const nameSuffix = (object: K8sObject) => {
  const hex = createHash("sha256")
    .update(
      canonical({ kind: object.kind, name: object.metadata.name, type: object.type ?? null, data: object.data ?? {} }),
    )
    .digest("hex");
  return hex.slice(0, 10).replace(/[013ae]/g, (digit) => ({ "0": "g", "1": "h", "3": "k", a: "m", e: "t" })[digit]!);
};

/** Points every reference to a generated ConfigMap/Secret at its final (hashed) name. */
const renameReferences = (objects: K8sObject[], renamed: Map<string, string>) => {
  const rename = (holder: Json | undefined, field: string, kind: string) => {
    if (!isObject(holder) || typeof holder[field] !== "string") return;
    const next = renamed.get(`${kind}/${holder[field]}`);
    if (next) holder[field] = next;
  };
  for (const object of objects) {
    const podSpec = podTemplate(object)?.spec;
    if (!isObject(podSpec)) continue;
    for (const volume of list(podSpec.volumes, "volumes").filter(isObject)) {
      rename(volume.configMap, "name", "ConfigMap");
      rename(volume.secret, "secretName", "Secret");
    }
    for (const container of containersOf(object)) {
      for (const source of list(container.envFrom, "envFrom").filter(isObject)) {
        rename(source.configMapRef, "name", "ConfigMap");
        rename(source.secretRef, "name", "Secret");
      }
      for (const variable of list(container.env, "env").filter(isObject)) {
        const from = variable.valueFrom;
        if (!isObject(from)) continue;
        rename(from.configMapKeyRef, "name", "ConfigMap");
        rename(from.secretKeyRef, "name", "Secret");
      }
    }
  }
};

/** Renders the kustomization in `dir` the way `kubectl kustomize dir` would, within the supported subset. */
export const renderKustomize = (dir: string): K8sObject[] => {
  const level = renderLevel(resolve(dir));
  const renamed = new Map<string, string>();
  for (const { object, hash } of level.generated.values()) {
    if (!hash) continue;
    const name = `${object.metadata.name}-${nameSuffix(object)}`;
    renamed.set(`${object.kind}/${object.metadata.name}`, name);
    object.metadata.name = name;
  }
  renameReferences(level.objects, renamed);
  return level.objects;
};

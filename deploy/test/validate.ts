import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * Offline validation of Kubernetes objects, in two passes:
 * 1. the JSON-schema validators that `kubernetes-models` ships (types, required fields, formats), which
 *    let unknown fields through;
 * 2. a walk of the object against the TypeScript interfaces that `kubernetes-models` ships (one per
 *    kind, generated from the same OpenAPI schema), which rejects every field the interface lacks.
 */

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

type ModelClass = new (data: unknown) => { validate(): void };

/** The kinds the validator knows, as `apiVersion/kind`; each is `kubernetes-models/<apiVersion>/<kind>`. */
export const SUPPORTED_KINDS = [
  "v1/ConfigMap",
  "v1/Secret",
  "v1/Service",
  "v1/Namespace",
  "v1/ServiceAccount",
  "apps/v1/Deployment",
  "apps/v1/StatefulSet",
  "policy/v1/PodDisruptionBudget",
  "autoscaling/v2/HorizontalPodAutoscaler",
  "networking.k8s.io/v1/Ingress",
  "networking.k8s.io/v1/NetworkPolicy",
] as const;

const kindOf = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;
const moduleOf = (key: string) => `kubernetes-models/${key}`;
const kindName = (key: string) => key.slice(key.lastIndexOf("/") + 1);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One TypeScript program over the interfaces of every supported kind; built once, in about a second. */
const loadInterfaces = () => {
  const entry = fileURLToPath(new URL("./__kubernetes_interfaces__.ts", import.meta.url));
  const source = [
    ...SUPPORTED_KINDS.map((key, i) => `import type { I${kindName(key)} as K${i} } from "${moduleOf(key)}";`),
    `export type Kinds = { ${SUPPORTED_KINDS.map((key, i) => `"${key}": K${i};`).join(" ")} };`,
  ].join("\n");
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === entry ? ts.createSourceFile(name, source, language, true) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === entry || fileExists(name);
  const program = ts.createProgram([entry], options, host);
  const file = program.getSourceFile(entry)!;
  const problems = ts
    .getPreEmitDiagnostics(program, file)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
  if (problems.length > 0) throw new Error(`cannot load the kubernetes-models interfaces: ${problems.join("; ")}`);
  const checker = program.getTypeChecker();
  const alias = file.statements.find(ts.isTypeAliasDeclaration)!;
  const kinds = checker.getTypeAtLocation(alias.name);
  const byKind = new Map<string, ts.Type>();
  for (const key of SUPPORTED_KINDS) byKind.set(key, checker.getTypeOfSymbol(kinds.getProperty(key)!));
  return { checker, byKind };
};

const unknownFields = (checker: ts.TypeChecker, root: unknown, rootType: ts.Type): string[] => {
  const errors: string[] = [];
  const members = (type: ts.Type) =>
    (type.isUnion() ? type.types : [type]).filter(
      (member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
    );
  const walk = (value: unknown, type: ts.Type, path: string) => {
    if (typeof value !== "object" || value === null) return; // scalars: the schema pass checks their types
    const candidates = members(type);
    if (candidates.some((member) => member.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))) return;
    if (Array.isArray(value)) {
      const list = candidates.find((member) => checker.isArrayType(member));
      if (!list) return void errors.push(`${path || "/"}: a list is not allowed here`);
      const element = checker.getTypeArguments(list as ts.TypeReference)[0]!;
      for (const [index, item] of value.entries()) walk(item, element, `${path}[${index}]`);
      return;
    }
    const shapes = candidates.filter((member) => member.flags & ts.TypeFlags.Object && !checker.isArrayType(member));
    if (shapes.length === 0) return void errors.push(`${path || "/"}: a mapping is not allowed here`);
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`;
      let childType: ts.Type | undefined;
      for (const shape of shapes) {
        const property = shape.getProperty(key);
        childType = property
          ? checker.getTypeOfSymbol(property)
          : checker.getIndexTypeOfType(shape, ts.IndexKind.String);
        if (childType) break;
      }
      if (!childType) errors.push(`${childPath}: unknown field "${key}"`);
      else walk(child, childType, childPath);
    }
  };
  walk(root, rootType, "");
  return errors;
};

const schemaErrors = (error: unknown): string[] => {
  const details = (error as { errors?: { instancePath?: string; message?: string; params?: unknown }[] }).errors;
  if (!Array.isArray(details)) return [String(error)];
  return details.map((detail) => `${detail.instancePath || "/"}: ${detail.message ?? JSON.stringify(detail.params)}`);
};

export type Validator = { validate(object: unknown): ValidationResult };

/** Loads the models and interfaces once; the returned validator is synchronous. */
export const createValidator = async (): Promise<Validator> => {
  const models = new Map<string, ModelClass>();
  for (const key of SUPPORTED_KINDS) {
    const module = (await import(moduleOf(key))) as Record<string, ModelClass>;
    models.set(key, module[kindName(key)]!);
  }
  const { checker, byKind } = loadInterfaces();
  return {
    validate(object) {
      if (!isPlainObject(object) || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
        return { ok: false, errors: ["/: not an object with apiVersion and kind"] };
      }
      const key = kindOf(object.apiVersion, object.kind);
      const Model = models.get(key);
      const type = byKind.get(key);
      if (!Model || !type) return { ok: false, errors: [`/: no schema for ${key}`] };
      const errors: string[] = [];
      try {
        new Model(object).validate();
      } catch (error) {
        errors.push(...schemaErrors(error));
      }
      errors.push(...unknownFields(checker, object, type));
      return errors.length === 0 ? { ok: true } : { ok: false, errors };
    },
  };
};

/**
 * @module Configuration: the `Config` type and `loadConfig()`, YAML text to a validated, frozen object.
 *
 * Every key has a default, so an empty file (or one that gives only `filters:`) is valid. An
 * unknown key, a wrong type or a bad URL is a {@linkcode ConfigError} that names the key path and,
 * where the YAML parser knows it, the line.
 */
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import * as z from "zod/mini";
import { compileRules } from "./filter/rules.ts";
import { ConfigError } from "./config_error.ts";

export { ConfigError };

// zod/mini, the functional API of the same package, rather than classic `zod`: the same checks
// and issues, and ~1.8 MB less idle RSS for the proxy (measured under `deno task start`). Unlike
// classic zod it installs no messages, so every parse below is given the English ones: without
// them each issue reads "Invalid input", and the operator would not learn what is wrong.
const PARSE_OPTIONS = { error: z.locales.en().localeError };

const nonEmpty = () => z.string().check(z.minLength(1));

const hostPort = z.string().check(
  z.regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "expected HOST:PORT"),
  z.refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port out of range"),
);

const httpUrl = z.string().check(z.refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.search === "" &&
      u.hash === "" && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}, "expected an http(s) URL without query or credentials"));

const positiveInt = () => z.number().check(z.int(), z.positive());
const ms = (def: number) => z._default(positiveInt(), def);
const text = (def: string) => z._default(z.string(), def);

const dropSchema = z.strictObject({
  namePrefix: z.optional(nonEmpty()),
  labelSelector: z.optional(nonEmpty()),
  fields: z.optional(
    z.record(
      z.string(),
      z.pipe(z.union([z.string(), z.number(), z.boolean()]), z.transform(String)),
    ),
  ),
});

const ruleSchema = z.strictObject({
  resources: z.array(nonEmpty()).check(z.minLength(1)),
  namespaces: z.optional(z.array(nonEmpty())),
  userAgents: z.optional(z.array(nonEmpty())),
  drop: dropSchema,
});

/** `listen.tls`: the server's certificate and the CA that must have signed every client's. */
const listenTlsSchema = z.strictObject({
  certFile: nonEmpty(),
  keyFile: nonEmpty(),
  clientCAFile: nonEmpty(),
});

/** `listen` as a mapping: the address plus its TLS block. */
const listenBlockSchema = z.strictObject({
  address: z._default(hostPort, "127.0.0.1:10261"),
  tls: z.optional(listenTlsSchema),
});

const DEFAULT_CACHE_RESOURCES = [
  "pods",
  "configmaps",
  "services",
  "endpoints",
  "endpointslices.discovery.k8s.io",
  "nodes",
  "namespaces",
];

const configSchema = z.strictObject({
  listen: z._default(hostPort, "127.0.0.1:10261"),
  /** `listen.tls` of the file, lifted out so `listen` stays `HOST:PORT`; not a key of its own. */
  listenTls: z._default(z.nullable(listenTlsSchema), null),
  admin: z._default(hostPort, "127.0.0.1:10267"),
  logLevel: z._default(z.enum(["debug", "info", "warning", "error"]), "info"),
  upstream: z.prefault(
    z.strictObject({
      servers: z._default(z.array(httpUrl), []),
      kubeconfig: text(""),
      ca: text(""),
      cert: text(""),
      key: text(""),
      token: text(""),
      tokenFile: text(""),
      connectTimeoutMs: ms(2000),
      requestTimeoutMs: ms(60_000),
      probeIntervalMs: ms(1000),
      probeTimeoutMs: ms(1000),
      probePath: z._default(z.string().check(z.startsWith("/")), "/readyz"),
    }),
    {},
  ),
  filters: z._default(z.array(ruleSchema), []),
  cache: z.prefault(
    z.strictObject({
      enabled: z._default(z.boolean(), true),
      path: z._default(nonEmpty(), "/var/lib/edge-proxy/cache.kv"),
      resources: z._default(z.array(nonEmpty()), DEFAULT_CACHE_RESOURCES),
      userAgents: z._default(z.array(nonEmpty()), []),
      maxPendingBytes: z._default(positiveInt(), 32 * 1024 * 1024),
      encryptionKeyFile: text(""),
    }),
    {},
  ),
});

/** The validated configuration. Frozen; flags are applied by {@linkcode withOverrides}. */
export type Config = z.infer<typeof configSchema>;

function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  }
  return out || "(root)";
}

/**
 * Turns null values of mappings into undefined at any depth, so defaults apply; list items stay
 * as they are. The key itself stays, so a misspelt empty key is still reported as unknown.
 */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) {
    return v.map((x) => (x !== null && typeof x === "object" ? dropNulls(x) : x));
  }
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = x === null ? undefined : dropNulls(x);
  return out;
}

/** Loopback host names and addresses: what may listen without TLS. */
function isLoopback(hostPort: string): boolean {
  const host = hostPort.slice(0, hostPort.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Rules that span keys: a listener off loopback needs mutual TLS, and cached secrets need a key.
 * Returns the key path to blame and why, or null.
 */
function policyProblem(cfg: Config): { path: string; message: string } | null {
  if (!cfg.listenTls && !isLoopback(cfg.listen)) {
    return {
      path: "listen.tls",
      message:
        `listening on "${cfg.listen}", off loopback, needs TLS with client certificates (certFile, keyFile, clientCAFile)`,
    };
  }
  if (
    cfg.cache.enabled && cfg.cache.resources.includes("secrets") && !cfg.cache.encryptionKeyFile
  ) {
    return {
      path: "cache.encryptionKeyFile",
      message: `caching "secrets" needs a key file: secrets are cached only encrypted`,
    };
  }
  return null;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Parses and validates config YAML. `source` names the file in messages.
 *
 * @throws {ConfigError} naming the key path (and line) of the first problem.
 * @example
 * ```ts
 * import { parseConfig } from "./config.ts";
 * const cfg = parseConfig("filters: []\n", "config.yaml");
 * cfg.listen; // "127.0.0.1:10261"
 * ```
 */
export function parseConfig(text: string, source = "config"): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    // Without prettyErrors the parser gives only offsets; the line counter turns them into lines.
    const line = e.linePos?.[0]?.line ?? (e.pos ? lines.linePos(e.pos[0]).line : undefined);
    throw new ConfigError(
      `Cannot parse ${source}${line ? ` line ${line}` : ""}: ${e.message.split("\n")[0]}`,
    );
  }
  // `key:` with nothing after it is YAML null; treat it as absent so the default applies
  // (a file with only `filters:` is valid, as is `upstream:` with every key commented out).
  const raw = dropNulls(doc.toJS()) ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`Cannot parse ${source}: expected a mapping at the top level`);
  }
  const lineOf = (path: readonly PropertyKey[]): string => {
    const node = doc.getIn(path.map((p) => (typeof p === "symbol" ? String(p) : p)), true) as
      | { range?: [number, number, number] }
      | undefined;
    const parent = path.length ? doc.getIn(path.slice(0, -1), true) : undefined;
    const at = node?.range?.[0] ??
      ((isMap(parent) || isSeq(parent)) ? (parent as { range?: number[] }).range?.[0] : undefined);
    return at === undefined ? "" : ` (line ${lines.linePos(at).line})`;
  };
  const fail = (issue: z.core.$ZodIssue, prefix: PropertyKey[] = []): never => {
    let path = [...prefix, ...issue.path];
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      path = [...path, issue.keys[0]];
      message = "unknown key";
    }
    throw new ConfigError(`Invalid ${source}: "${pathText(path)}"${lineOf(path)}: ${message}`);
  };
  const top = raw as Record<string, unknown>;
  if ("listenTls" in top) {
    throw new ConfigError(`Invalid ${source}: "listenTls"${lineOf(["listenTls"])}: unknown key`);
  }
  if (top.listen !== null && typeof top.listen === "object" && !Array.isArray(top.listen)) {
    // `listen: {address, tls}`: the address stays `listen`, the block becomes `listenTls`.
    const block = listenBlockSchema.safeParse(top.listen, PARSE_OPTIONS);
    if (!block.success) fail(block.error.issues[0], ["listen"]);
    top.listen = block.data!.address;
    top.listenTls = block.data!.tls ?? null;
  }
  const parsed = configSchema.safeParse(top, PARSE_OPTIONS);
  if (!parsed.success) fail(parsed.error.issues[0]);
  const cfg = parsed.data!;
  const problem = policyProblem(cfg);
  if (problem) {
    const at = problem.path === "listen.tls" ? ["listen"] : problem.path.split(".");
    throw new ConfigError(`Invalid ${source}: "${problem.path}"${lineOf(at)}: ${problem.message}`);
  }
  try {
    compileRules(cfg.filters);
  } catch (e) {
    // compileRules says `Invalid "filters[0].drop.labelSelector": why`; give it the same
    // shape as the schema's messages, with the line.
    const msg = (e as Error).message;
    const m = /^Invalid "([^"]+)": (.*)$/s.exec(msg);
    if (!m) throw new ConfigError(`Invalid ${source}: ${msg}`);
    const path = (m[1].match(/[^.[\]]+/g) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    throw new ConfigError(`Invalid ${source}: "${m[1]}"${lineOf(path)}: ${m[2]}`);
  }
  return deepFreeze(cfg);
}

/** Command-line values that override the file. Unset fields leave the file's value. */
export interface ConfigOverrides {
  listen?: string;
  admin?: string;
  upstreams?: string[];
  kubeconfig?: string;
  cache?: string;
  logLevel?: string;
}

/**
 * Applies flag overrides and validates the result again, so a bad flag gets the same
 * clear message as a bad key (naming the key the flag sets).
 */
export function withOverrides(cfg: Config, o: ConfigOverrides, source = "flags"): Config {
  const merged = structuredClone(cfg) as Record<string, unknown> & Config;
  if (o.listen !== undefined) merged.listen = o.listen;
  if (o.admin !== undefined) merged.admin = o.admin;
  if (o.logLevel !== undefined) merged.logLevel = o.logLevel as Config["logLevel"];
  if (o.upstreams?.length) merged.upstream.servers = o.upstreams;
  if (o.kubeconfig !== undefined) merged.upstream.kubeconfig = o.kubeconfig;
  if (o.cache !== undefined) merged.cache.path = o.cache;
  const parsed = configSchema.safeParse(merged, PARSE_OPTIONS);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid ${source}: "${pathText(issue.path)}": ${issue.message}`);
  }
  const problem = policyProblem(parsed.data);
  if (problem) throw new ConfigError(`Invalid ${source}: "${problem.path}": ${problem.message}`);
  return deepFreeze(parsed.data);
}

/**
 * Reads and parses a config file.
 *
 * @throws {ConfigError} when the file cannot be read or is invalid.
 */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`Cannot read config file "${path}": ${(e as Error).message}`);
  }
  return parseConfig(text, path);
}

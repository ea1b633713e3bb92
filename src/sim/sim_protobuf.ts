/**
 * @module Just enough Kubernetes protobuf to read the bodies kubectl's typed client sends:
 * `kubectl create configmap|secret|namespace` POSTs `application/vnd.kubernetes.protobuf`
 * whatever the server prefers. The sim still answers in JSON, which client-go accepts.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/; the envelope is the magic
 * `k8s\0` then a runtime.Unknown (k8s.io/apimachinery/pkg/runtime/generated.proto).
 */
import { KubeStatusError } from "../kube/status.ts";
import type { KubeObject } from "./sim_types.ts";

type Field = { no: number; wire: number; value: bigint | Uint8Array };

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const decoder = new TextDecoder();

function bad(message: string): never {
  throw new KubeStatusError(400, "BadRequest", `Cannot decode protobuf body: ${message}`);
}

/** Splits one message into its fields; every loop is bounded by the buffer length. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (i >= buf.length) bad("truncated varint");
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
    return bad("varint too long");
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) bad("truncated field");
      out.push({ no, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else bad(`unsupported wire type ${wire}`);
  }
  return out;
}

function str(f: Field): string {
  return f.value instanceof Uint8Array ? decoder.decode(f.value) : String(f.value);
}

function bytesB64(f: Field): string {
  const b = f.value instanceof Uint8Array ? f.value : new Uint8Array();
  let bin = "";
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}

function mapEntry(f: Field, value: (v: Field) => string): [string, string] {
  let k = "";
  let v = "";
  for (const e of fields(f.value as Uint8Array)) {
    if (e.no === 1) k = str(e);
    else if (e.no === 2) v = value(e);
  }
  return [k, v];
}

function objectMeta(buf: Uint8Array): KubeObject["metadata"] {
  const meta: KubeObject["metadata"] = {};
  const names: Record<number, string> = {
    1: "name",
    2: "generateName",
    3: "namespace",
    5: "uid",
    6: "resourceVersion",
  };
  for (const f of fields(buf)) {
    if (names[f.no]) {
      // gogo-protobuf writes empty strings too; JSON would have omitted them.
      if (str(f) !== "") meta[names[f.no]] = str(f);
    } else if (f.no === 11) (meta.labels ??= {})[mapEntry(f, str)[0]] = mapEntry(f, str)[1];
    else if (f.no === 12) (meta.annotations ??= {})[mapEntry(f, str)[0]] = mapEntry(f, str)[1];
    else if (f.no === 14) ((meta.finalizers ??= []) as string[]).push(str(f));
  }
  return meta;
}

/** Field numbers of the kinds kubectl creates through its typed client. */
function decodeKind(kind: string, raw: Uint8Array): KubeObject {
  const obj: KubeObject = { kind, apiVersion: "v1", metadata: {} };
  for (const f of fields(raw)) {
    if (f.no === 1) obj.metadata = objectMeta(f.value as Uint8Array);
    else if (kind === "ConfigMap" && f.no === 2) {
      ((obj.data ??= {}) as Record<string, string>)[mapEntry(f, str)[0]] = mapEntry(f, str)[1];
    } else if (kind === "ConfigMap" && f.no === 3) {
      ((obj.binaryData ??= {}) as Record<string, string>)[mapEntry(f, bytesB64)[0]] =
        mapEntry(f, bytesB64)[1];
    } else if (kind === "ConfigMap" && f.no === 4) obj.immutable = f.value === 1n;
    else if (kind === "Secret" && f.no === 2) {
      ((obj.data ??= {}) as Record<string, string>)[mapEntry(f, bytesB64)[0]] =
        mapEntry(f, bytesB64)[1];
    } else if (kind === "Secret" && f.no === 3 && str(f) !== "") obj.type = str(f);
    else if (kind === "Secret" && f.no === 5) obj.immutable = f.value === 1n;
  }
  return obj;
}

const KINDS = new Set(["ConfigMap", "Secret", "Namespace"]);

/**
 * Decodes a protobuf request body of a ConfigMap, Secret or Namespace to its JSON form.
 *
 * @throws {KubeStatusError} 400 for a malformed body, 415 for any other kind.
 */
export function decodeKubeProtobuf(body: Uint8Array): KubeObject {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) bad("missing the k8s envelope");
  let kind = "";
  let raw = new Uint8Array();
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1) {
      for (const t of fields(f.value as Uint8Array)) if (t.no === 2) kind = str(t);
    }
    if (f.no === 2) raw = f.value as Uint8Array<ArrayBuffer>;
  }
  if (!KINDS.has(kind)) {
    throw new KubeStatusError(
      415,
      "UnsupportedMediaType",
      `the sim decodes protobuf only for ${[...KINDS].join(", ")}, not "${kind}"`,
    );
  }
  return decodeKind(kind, raw);
}

/**
 * @module PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch (as a merge patch,
 * which is exact for labels, annotations and data maps) and JSON patch (RFC 6902).
 */
import { KubeStatusError } from "../kube/status.ts";

/** The patch content types the sim understands. */
export type SimPatchType =
  | "application/merge-patch+json"
  | "application/strategic-merge-patch+json"
  | "application/json-patch+json";

/** The patch types, for a 415 check. */
export const SIM_PATCH_TYPES: readonly SimPatchType[] = [
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/json-patch+json",
];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function mergePatch(target: unknown, patch: unknown, strategic: boolean): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    // Strategic merge directives (`$patch`, `$setElementOrder/...`) only order or pick list
    // items; dropping them keeps map merges exact.
    if (strategic && k.startsWith("$")) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, strategic);
  }
  return out;
}

function invalid(message: string): KubeStatusError {
  return new KubeStatusError(422, "Invalid", message);
}

/** RFC 6901 pointer to path segments. */
function pointer(p: unknown): string[] {
  if (typeof p !== "string" || (p !== "" && !p.startsWith("/"))) {
    throw invalid(`Invalid JSON patch path "${String(p)}"`);
  }
  return p === ""
    ? []
    : p.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function parentOf(doc: unknown, segs: string[], path: string): Record<string, unknown> | unknown[] {
  let cur: unknown = doc;
  for (const s of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObject(cur)) cur = cur[s];
    else cur = undefined;
  }
  if (!isObject(cur) && !Array.isArray(cur)) {
    throw invalid(`JSON patch path "${path}" has no parent in the object`);
  }
  return cur;
}

function arrayIndex(arr: unknown[], s: string, path: string, forAdd: boolean): number {
  const i = s === "-" && forAdd ? arr.length : Number(s);
  if (!/^(0|[1-9][0-9]*|-)$/.test(s) || i > arr.length || (!forAdd && i >= arr.length)) {
    throw invalid(`JSON patch index "${s}" is out of range in "${path}"`);
  }
  return i;
}

function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new KubeStatusError(400, "BadRequest", "JSON patch must be an array");
  }
  let root = structuredClone(doc);
  for (const op of ops) {
    if (!isObject(op)) throw invalid("JSON patch operation must be an object");
    const path = String(op.path);
    const segs = pointer(op.path);
    const last = segs[segs.length - 1];
    const read = (p: string): unknown => {
      let cur: unknown = root;
      for (const s of pointer(p)) {
        cur = Array.isArray(cur) ? cur[Number(s)] : isObject(cur) ? cur[s] : undefined;
      }
      return cur;
    };
    const remove = (): unknown => {
      const parent = parentOf(root, segs, path);
      if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, path, false), 1)[0];
      if (!(last in parent)) {
        throw invalid(`Unable to remove nonexistent key "${last}" at "${path}"`);
      }
      const old = parent[last];
      delete parent[last];
      return old;
    };
    const add = (value: unknown) => {
      if (segs.length === 0) {
        root = value;
        return;
      }
      const parent = parentOf(root, segs, path);
      if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, true), 0, value);
      else parent[last] = value;
    };
    switch (op.op) {
      case "add":
        add(structuredClone(op.value));
        break;
      case "remove":
        remove();
        break;
      case "replace":
        if (read(path) === undefined) throw invalid(`Unable to replace missing key at "${path}"`);
        if (segs.length > 0) remove();
        add(structuredClone(op.value));
        break;
      case "move":
      case "copy": {
        const from = String(op.from);
        const v = read(from);
        if (v === undefined) throw invalid(`JSON patch "from" path "${from}" is missing`);
        if (op.op === "move") jsonPatchRemoveAt(root, from);
        add(structuredClone(v));
        break;
      }
      case "test":
        if (JSON.stringify(read(path)) !== JSON.stringify(op.value)) {
          throw invalid(`JSON patch test failed at "${path}"`);
        }
        break;
      default:
        throw invalid(`Unsupported JSON patch operation "${String(op.op)}"`);
    }
  }
  return root;
}

function jsonPatchRemoveAt(root: unknown, from: string): void {
  const segs = pointer(from);
  const parent = parentOf(root, segs, from);
  const last = segs[segs.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, from, false), 1);
  else delete parent[last];
}

/**
 * Applies `patch` of content type `type` to `doc`, returning a new document.
 *
 * @throws {KubeStatusError} 422 Invalid for a JSON patch that cannot apply, 400 for a body of the
 * wrong shape.
 */
export function applyPatch(doc: unknown, type: SimPatchType, patch: unknown): unknown {
  if (type === "application/json-patch+json") return jsonPatch(doc, patch);
  if (!isObject(patch)) {
    throw new KubeStatusError(400, "BadRequest", "Merge patch must be a JSON object");
  }
  return mergePatch(doc, patch, type === "application/strategic-merge-patch+json");
}

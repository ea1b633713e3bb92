/**
 * @module Object record encoding: a small header, then the payload split into KV-sized chunks.
 *
 * Chunk 0 = header + first payload bytes; chunks 1..n = the rest. The header stays plain even
 * when a codec encrypts payloads, because the writer compares resourceVersion and length to
 * skip unchanged objects, and garbage collection tells tombstones apart, without decrypting.
 *
 * Header (big-endian): u8 type (1 object, 2 tombstone) | u32 plain length | u32 stored length |
 * u16 resourceVersion length | resourceVersion UTF-8.
 */

/** Largest value written to KV: under its 64 KiB limit with room for its own framing. */
export const CHUNK_BYTES = 60 * 1024;

const TYPE_OBJECT = 1;
const TYPE_TOMBSTONE = 2;
const FIXED_HEADER = 11;

/** Transforms record payloads at rest (encryption); absent means stored as given. */
export interface RecordCodec {
  encode(bytes: Uint8Array): Promise<Uint8Array>;
  /** @throws when the bytes were not produced by `encode` with the same key. */
  decode(bytes: Uint8Array): Promise<Uint8Array>;
}

/** What chunk 0 says about a record. */
export interface RecordHeader {
  type: "object" | "tombstone";
  /** Length of the object as the client sent it (before the codec). */
  plainLength: number;
  /** Length of the payload as stored across chunks (after the codec). */
  storedLength: number;
  resourceVersion: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Splits a record into chunk values; a tombstone is one chunk with an empty payload. */
export function encodeRecord(header: RecordHeader, stored: Uint8Array): Uint8Array[] {
  const rv = encoder.encode(header.resourceVersion);
  if (rv.length > 0xffff) throw new RangeError("Cannot cache an object: resourceVersion too long");
  const head = FIXED_HEADER + rv.length;
  const first = Math.min(stored.length, CHUNK_BYTES - head);
  const chunk0 = new Uint8Array(head + first);
  const view = new DataView(chunk0.buffer);
  view.setUint8(0, header.type === "object" ? TYPE_OBJECT : TYPE_TOMBSTONE);
  view.setUint32(1, header.plainLength);
  view.setUint32(5, stored.length);
  view.setUint16(9, rv.length);
  chunk0.set(rv, FIXED_HEADER);
  chunk0.set(stored.subarray(0, first), head);
  const chunks: Uint8Array[] = [chunk0];
  for (let off = first; off < stored.length; off += CHUNK_BYTES) {
    chunks.push(stored.subarray(off, off + CHUNK_BYTES));
  }
  return chunks;
}

/** The single chunk of a tombstone: the object was deleted at `resourceVersion`. */
export function encodeTombstone(resourceVersion: string): Uint8Array {
  return encodeRecord(
    { type: "tombstone", plainLength: 0, storedLength: 0, resourceVersion },
    new Uint8Array(),
  )[0];
}

/**
 * Reads chunk 0's header.
 *
 * @throws {RangeError} when the value is not a record this version wrote.
 */
export function decodeHeader(chunk0: Uint8Array): { header: RecordHeader; payload: Uint8Array } {
  if (!(chunk0 instanceof Uint8Array) || chunk0.length < FIXED_HEADER) {
    throw new RangeError("Cannot decode a cache record: header too short");
  }
  const view = new DataView(chunk0.buffer, chunk0.byteOffset, chunk0.byteLength);
  const t = view.getUint8(0);
  if (t !== TYPE_OBJECT && t !== TYPE_TOMBSTONE) {
    throw new RangeError(`Cannot decode a cache record: unknown type ${t}`);
  }
  const rvLength = view.getUint16(9);
  if (chunk0.length < FIXED_HEADER + rvLength) {
    throw new RangeError("Cannot decode a cache record: header truncated");
  }
  return {
    header: {
      type: t === TYPE_OBJECT ? "object" : "tombstone",
      plainLength: view.getUint32(1),
      storedLength: view.getUint32(5),
      resourceVersion: decoder.decode(chunk0.subarray(FIXED_HEADER, FIXED_HEADER + rvLength)),
    },
    payload: chunk0.subarray(FIXED_HEADER + rvLength),
  };
}

/**
 * Joins a record's payload parts; extra bytes past the stored length are ignored (a
 * rewrite with fewer chunks at the same generation leaves stale tail chunks).
 *
 * @throws {RangeError} when the parts are shorter than the header says (a torn record).
 */
export function joinPayload(header: RecordHeader, parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0].length === header.storedLength) return parts[0];
  const out = new Uint8Array(header.storedLength);
  let off = 0;
  for (const p of parts) {
    if (off >= out.length) break;
    const take = p.subarray(0, out.length - off);
    out.set(take, off);
    off += take.length;
  }
  if (off < out.length) {
    throw new RangeError(
      `Cannot decode a cache record: ${off} of ${header.storedLength} payload bytes present`,
    );
  }
  return out;
}

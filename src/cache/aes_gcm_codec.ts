/**
 * @module Encryption of cached payloads at rest with AES-256-GCM (WebCrypto).
 *
 * Each record gets a random 12-byte IV, stored in front of the ciphertext and its tag. Keys
 * (namespace, name) and record headers (resourceVersion, length) stay plain: the writer needs
 * them to skip unchanged objects without decrypting; the object bodies are what is secret.
 */
import type { RecordCodec } from "./record_codec.ts";

const IV_BYTES = 12;

/** A codec that encrypts with the given AES-GCM key. */
export function aesGcmCodec(key: CryptoKey): RecordCodec {
  return {
    async encode(bytes: Uint8Array): Promise<Uint8Array> {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const ct = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bytes as BufferSource),
      );
      const out = new Uint8Array(IV_BYTES + ct.length);
      out.set(iv);
      out.set(ct, IV_BYTES);
      return out;
    },
    async decode(bytes: Uint8Array): Promise<Uint8Array> {
      if (bytes.length < IV_BYTES + 16) {
        throw new RangeError("Cannot decrypt a cache record: too short");
      }
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES) },
          key,
          bytes.subarray(IV_BYTES) as BufferSource,
        ),
      );
    },
  };
}

/**
 * Loads a 256-bit key from a file holding 32 raw bytes or their base64 text.
 *
 * @throws {Deno.errors.NotFound} when the file does not exist.
 * @throws {RangeError} when the file holds anything else, naming the file.
 */
export async function loadAesGcmCodec(path: string): Promise<RecordCodec> {
  const data = await Deno.readFile(path);
  let raw = data;
  if (data.length !== 32) {
    try {
      raw = Uint8Array.from(atob(new TextDecoder().decode(data).trim()), (c) => c.charCodeAt(0));
    } catch {
      raw = new Uint8Array();
    }
  }
  if (raw.length !== 32) {
    throw new RangeError(`Cannot load cache key "${path}": expected 32 bytes or their base64`);
  }
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return aesGcmCodec(key);
}

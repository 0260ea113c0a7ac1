/**
 * The one result shape every decoder returns. Decoders never throw on wire input:
 * they return a typed error with a stable code and the byte offset where it was found.
 */

/** A decode failure: `code` is stable (tests and counters key on it), `offset` is where in the input. */
export interface WireError {
  readonly code: string;
  readonly offset: number;
  readonly message?: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail(code: string, offset: number, message?: string): { readonly ok: false; readonly error: WireError } {
  return { ok: false, error: message === undefined ? { code, offset } : { code, offset, message } };
}

/**
 * The codec contract (../shared/STYLE.md): parse bytes into a plain value, tell how many
 * bytes a value needs, and emit it into a caller's buffer at an offset.
 * `emit` returns the number of bytes written, which always equals `encodedLength(value)`.
 */
export interface Codec<T> {
  parse(bytes: Uint8Array): Parsed<T>;
  encodedLength(value: T): number;
  emit(value: T, buf: Uint8Array, offset: number): number;
}

/** Encode a value into a fresh buffer of exactly the right size. Not for the data path. */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const buf = new Uint8Array(codec.encodedLength(value));
  codec.emit(value, buf, 0);
  return buf;
}

/**
 * A Buffer view of the same bytes, without copying: `ws` and better-sqlite3 would otherwise wrap or
 * copy a plain Uint8Array again on every use.
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * MD5 (RFC 1321) of a byte range, for checksums that a warehouse computes too (ClickHouse's `MD5`, DuckDB's
 * `md5`): not for security. Written for many short inputs (one string per row): no allocation per call.
 */

/** Per-step additive constants: the integer part of |sin(i + 1)| · 2³². */
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
/** Per-step rotations, four rounds of four. */
const SHIFTS = Uint8Array.from({ length: 64 }, (_, i) => [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]][i >> 4][i & 3]);
/** Which message word each step reads. */
const WORD = Uint8Array.from({ length: 64 }, (_, i) => (i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15));

const words = new Int32Array(16);
const tail = new Uint8Array(128);
const state = new Int32Array(4);

function block(bytes: Uint8Array, at: number): void {
  for (let w = 0; w < 16; w++, at += 4) words[w] = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  for (let i = 0; i < 64; i++) {
    const f = i < 16 ? (b & c) | (~b & d) : i < 32 ? (d & b) | (~d & c) : i < 48 ? b ^ c ^ d : c ^ (b | ~d);
    const sum = (f + a + K[i] + words[WORD[i]]) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << SHIFTS[i]) | (sum >>> (32 - SHIFTS[i])))) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
}

/**
 * The digest of `bytes[start, end)` as its four little-endian 32-bit words, written into `out` (unsigned). Its
 * first 8 bytes as a little-endian 64-bit integer (ClickHouse's `reinterpretAsUInt64(MD5(s))`) are
 * `out[1] · 2³² + out[0]`.
 */
export function md5Words(bytes: Uint8Array, start: number, end: number, out: Uint32Array): Uint32Array {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  const length = end - start;
  let at = start;
  for (; at + 64 <= end; at += 64) block(bytes, at);
  const rest = end - at;
  tail.fill(0);
  tail.set(bytes.subarray(at, end));
  tail[rest] = 0x80;
  const padded = rest < 56 ? 64 : 128;
  // The length in bits, 64-bit little-endian; inputs here are far below 2^29 bytes, so the high word is 0.
  const bits = length * 8;
  tail[padded - 8] = bits & 0xff;
  tail[padded - 7] = (bits >>> 8) & 0xff;
  tail[padded - 6] = (bits >>> 16) & 0xff;
  tail[padded - 5] = (bits >>> 24) & 0xff;
  tail[padded - 4] = Math.floor(bits / 2 ** 32) & 0xff;
  block(tail, 0);
  if (padded === 128) block(tail, 64);
  for (let i = 0; i < 4; i++) out[i] = state[i] >>> 0;
  return out;
}

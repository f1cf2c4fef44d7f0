/**
 * MurmurHash3 (x86, 32-bit, seed 0) of a byte range: the string digest of upload checksums on ClickHouse, whose
 * `murmurHash3_32` is the same function. Four times cheaper than MD5 on both sides for the short strings of a
 * table's rows; not for security. No allocation per call.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Mixes one 32-bit block of input before it enters the state. */
function scramble(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

/** The digest of `bytes[start, end)`, unsigned. */
export function murmur3(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  const blocksEnd = start + (length & ~3);
  let h = 0;
  let at = start;
  for (; at < blocksEnd; at += 4) {
    h ^= scramble(bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest > 0) {
    let k = bytes[at];
    if (rest > 1) k |= bytes[at + 1] << 8;
    if (rest > 2) k |= bytes[at + 2] << 16;
    h ^= scramble(k);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

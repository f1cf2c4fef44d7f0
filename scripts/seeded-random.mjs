/**
 * Deterministic numbers from a seed (mulberry32): the same seed gives the same sequence, so generated test data
 * and benchmark pages are the same on every run. No Node imports: a browser page can use it too.
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fault table's hang guard (test/faults/*.test.ts): a fault's promises must settle, and one that never does is a failed row, not a stuck run. */

/** How long a fault may take to settle before the row "every promise settles" fails (a hang guard, not a timing). */
export const SETTLES_WITHIN_MS = 60_000;

/** `promise`'s value, or undefined when it did not settle within SETTLES_WITHIN_MS (a rejection is thrown as it is). */
export async function settle<T>(promise: Promise<T>): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SETTLES_WITHIN_MS)));
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Counts, sizes and durations as a person reads them, in the notebook's messages, data cells and job statuses. */

/**
 * "12,345", or with a noun "12,345 rows" ("1 row"): a count with its thousands grouped as in English, rounded to a
 * whole number. Not through Intl: the first Intl formatter a page makes (or `toLocaleString`) costs 16-24 ms
 * (measured in Chromium), which the first SQL result and the first long output would wait for.
 */
export function countInWords(value: number, one?: string, many = `${one}s`): string {
  const whole = Math.round(value);
  let number = String(value);
  if (Number.isFinite(whole) && Math.abs(whole) < 1e21) {
    let digits = String(Math.abs(whole));
    let grouped = '';
    for (; digits.length > 3; digits = digits.slice(0, -3)) grouped = `,${digits.slice(-3)}${grouped}`;
    number = `${whole < 0 ? '-' : ''}${digits}${grouped}`;
  }
  return one === undefined ? number : `${number} ${value === 1 ? one : many}`;
}

function oneDecimal(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** "904 bytes", "300 MB", "1.6 GB". Units of 1024. A rate (bytes per second) is rarely whole: it is rounded too. */
export function bytesInWords(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : oneDecimal(value)} ${units[unit]}`;
}

/** "45 s", "3 min 5 s", "2 h 10 min". */
export function secondsInWords(seconds: number): string {
  if (seconds < 60) return `${oneDecimal(seconds)} s`;
  const whole = Math.round(seconds);
  const [h, min, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  if (h > 0) return min > 0 ? `${h} h ${min} min` : `${h} h`;
  return s > 0 ? `${min} min ${s} s` : `${min} min`;
}

/** Sizes and durations as a person reads them, in the notebook's messages (placement) and job statuses. */

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

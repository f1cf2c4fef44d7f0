// The upload benchmark's table, made the same way in the page and in Node (bench/upload.mjs imports this file):
// deterministic, so both sides send the same rows and the warehouse's checksums of the two tables must agree.
// Columns in ColumnTable's layout (src/data/table.ts): int64 id, float64 value, string label, timestamp ts.

/** Seconds since the epoch of row 0's `ts`; row i is i * 37 s later (whole seconds: ClickHouse DateTime). */
const FIRST_SECOND = 1_600_000_000;

/** The table's columns for `rows` rows: `[{ name, type, values, offsets? }]`. */
export function uploadColumns(rows) {
  const id = new BigInt64Array(rows);
  const value = new Float64Array(rows);
  const ts = new BigInt64Array(rows);
  const offsets = new Int32Array(rows + 1);
  const labels = [];
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i);
    // A fraction that needs every bit of a double, so a text round trip that rounds would show in the checksum.
    value[i] = ((i * 0.6180339887498949) % 1) * 1000 - 500;
    ts[i] = BigInt(FIRST_SECOND + i * 37) * 1_000_000n;
    // ASCII only, so each character is one UTF-8 byte; lengths vary from 6 to 10 bytes.
    const label = `item-${(i * 7919) % 100_000}`;
    labels.push(label);
    offsets[i + 1] = offsets[i] + label.length;
  }
  const bytes = new TextEncoder().encode(labels.join(''));
  return [
    { name: 'id', type: 'int64', values: id },
    { name: 'value', type: 'float64', values: value },
    { name: 'label', type: 'string', values: bytes, offsets },
    { name: 'ts', type: 'timestamp', values: ts },
  ];
}

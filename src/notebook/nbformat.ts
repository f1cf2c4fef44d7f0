/**
 * nbformat 4 types (https://nbformat.readthedocs.io/en/latest/format_description.html). Every object keeps
 * the fields it was loaded with, known or not, so a round trip loses nothing.
 */
import type { JSONObject, JSONValue, MimeBundle } from '../kernel/protocol.ts';

/** Multiline strings are stored either as one string or as a list of lines (each ending with "\n"). */
export type MultilineString = string | string[];

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: MultilineString;
  [extra: string]: JSONValue;
}
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: JSONObject;
  /** Not saved in .ipynb (transient in the protocol); kept in memory for update_display_data. */
  transient?: { display_id?: string };
  [extra: string]: JSONValue | undefined;
}
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  data: MimeBundle;
  metadata: JSONObject;
  execution_count: number | null;
  transient?: { display_id?: string };
  [extra: string]: JSONValue | undefined;
}
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
  [extra: string]: JSONValue;
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

interface CellBase {
  id: string;
  source: MultilineString;
  metadata: JSONObject;
  [extra: string]: JSONValue | undefined | Output[];
}
export interface CodeCell extends CellBase {
  cell_type: 'code';
  execution_count: number | null;
  outputs: Output[];
}
export interface MarkdownCell extends CellBase {
  cell_type: 'markdown';
  attachments?: { [name: string]: MimeBundle };
}
export interface RawCell extends CellBase {
  cell_type: 'raw';
  attachments?: { [name: string]: MimeBundle };
}
export type Cell = CodeCell | MarkdownCell | RawCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: JSONObject;
  cells: Cell[];
  [extra: string]: JSONValue | Cell[] | undefined;
}

/** Joins a multiline string. */
export function joinSource(source: MultilineString): string {
  return Array.isArray(source) ? source.join('') : source;
}

/** Splits text into lines the way Jupyter saves it: every line keeps its "\n". */
export function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

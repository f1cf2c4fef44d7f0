/**
 * What the main bundle knows of the data cells without loading them: their event, their row cap, and how a
 * cell's magic and element are registered. Each element (and the table view) is a chunk of its own, loaded when
 * a page shows one or a notebook a cell with its magic.
 */
import { getConnector } from '../../src/data/connectors.ts';
import { parseMagicArguments, registerCellMagic, type CellMagicSpec } from '../../src/magics/magics.ts';
import { defineLazily, loadElement } from './lazy-elements.ts';

/**
 * The table view holds at most this many rows: past that, sorting and scrolling would cost the page more
 * than anyone reads. The kernel still gets every row.
 */
export const RENDERED_ROWS_CAP = 100_000;

/** A data cell's fetch finished: what came back and where it went. */
export class BentoQueryEvent extends Event {
  constructor(readonly detail: { rows: number; columns: number; elapsedMs: number; truncated: boolean; boundTo?: string }) {
    super('bento-query', { bubbles: true, composed: true });
  }
}

// The magics of the data cells shipped. They live here, not beside each element, because the elements (lazy
// chunks) and the main bundle both need them: here they share the chunk of magics.ts instead of one chunk each.

/** `%%sql [var] [--conn NAME] [--limit N]`: the magic `<sql-cell>` owns. */
export const SQL_MAGIC: CellMagicSpec = {
  name: 'sql',
  badge: 'SQL',
  tagName: 'sql-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: { conn: { type: 'string', metavar: 'NAME' }, limit: { type: 'int', metavar: 'N' } },
  summary: 'Runs the SQL below on a connector and binds the result to var in the kernel.',
  // The connector's chunk (DuckDB-WASM's) and its engine start while <sql-cell>'s chunk loads.
  warm: (argText) =>
    void (async () => (await getConnector(parseMagicArguments(SQL_MAGIC, argText).options.conn as string | undefined)).prepare?.())().catch(() => {}),
};

/** `%%graphql [var] [--endpoint NAME] [--path PATH] [--paginate] [--max-pages N] [--vars a,b] [--allow-partial]`. */
export const GRAPHQL_MAGIC: CellMagicSpec = {
  name: 'graphql',
  badge: 'GraphQL',
  tagName: 'graphql-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: {
    endpoint: { type: 'string', metavar: 'NAME' },
    path: { type: 'string', metavar: 'PATH' },
    paginate: { type: 'flag' },
    'max-pages': { type: 'int', metavar: 'N' },
    vars: { type: 'string', metavar: 'a,b' },
    'allow-partial': { type: 'flag' },
  },
  summary: 'Runs the GraphQL query below and binds the answer to var: a dict, or a table at --path.',
};

/** `%%googlesheet [var] [--sheet NAME] [--range A1:F] [--header N] [--no-header] [--source NAME]`, the sheet's URL or id below. */
export const GOOGLESHEET_MAGIC: CellMagicSpec = {
  name: 'googlesheet',
  badge: 'Sheet',
  tagName: 'googlesheet-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: {
    sheet: { type: 'string', metavar: 'NAME' },
    range: { type: 'string', metavar: 'A1:F' },
    header: { type: 'int', metavar: 'N' },
    'no-header': { type: 'flag' },
    source: { type: 'string', metavar: 'NAME' },
  },
  summary: 'Reads the Google Sheet whose URL or id is below and binds it to var in the kernel as a table.',
};

/** `%%dataframe df --to TABLE [--conn NAME] [--mode create|append|replace] [--chunk-rows N]`: uploads df as a job (components/dataframe-cell). */
export const DATAFRAME_MAGIC: CellMagicSpec = {
  name: 'dataframe',
  badge: 'Upload',
  tagName: 'dataframe-cell',
  positionals: [{ name: 'df', kind: 'identifier' }],
  options: { to: { type: 'string', metavar: 'TABLE' }, conn: { type: 'string', metavar: 'NAME' }, mode: { type: 'string', metavar: 'create|append|replace' }, 'chunk-rows': { type: 'int', metavar: 'N' } },
  summary: 'Uploads the table df to the warehouse table --to, as a background job.',
};

/** Registers a data cell's magic, and its element (and the table view) to load when first seen. */
export function registerDataCell(spec: CellMagicSpec, load: () => Promise<unknown>): void {
  registerCellMagic(spec);
  defineLazily(spec.tagName, load);
  defineLazily('bento-table-view', () => import('../bento-table-view/bento-table-view.ts'));
}

/** Defines a data cell's element and the table view now, and resolves with the element's class. */
export async function loadDataCell(tagName: string): Promise<CustomElementConstructor> {
  const [element] = await Promise.all([loadElement(tagName), loadElement('bento-table-view')]);
  return element;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'bento-query': BentoQueryEvent;
  }
}

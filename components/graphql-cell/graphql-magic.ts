/**
 * What the main bundle knows of `<graphql-cell>` without loading it: the `%%graphql` magic (so a notebook
 * recognises such a cell) and how to load it. The element and the GraphQL client are chunks of their own.
 */
import type { CellMagicSpec } from '../../src/magics/magics.ts';
import { loadDataCell, registerDataCell } from '../shared/data-cell-api.ts';
import type { GraphQLCell } from './graphql-cell.ts';

/** `%%graphql [var] [--endpoint NAME] [--path PATH] [--paginate] [--max-pages N] [--vars a,b] [--allow-partial]`. */
export const GRAPHQL_MAGIC: CellMagicSpec = {
  name: 'graphql',
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
registerDataCell(GRAPHQL_MAGIC, () => import('./graphql-cell.ts'));

/** Defines `<graphql-cell>` (and the table view) now, and resolves with its class. */
export async function loadGraphQLCell(): Promise<typeof GraphQLCell> {
  return (await loadDataCell('graphql-cell')) as typeof GraphQLCell;
}

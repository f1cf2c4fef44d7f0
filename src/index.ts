/**
 * Bento Lite: serverless Jupyter-style notebooks as Web Components.
 * Importing this module defines every element and exposes the kernel and notebook APIs. `<sql-cell>` and
 * `<bento-table-view>` are defined as soon as one is in the document (or a notebook shows a `%%sql` cell): their
 * code is a chunk of its own that pages without them never load. `await loadSqlCell()` defines them at once and
 * gives their classes.
 */
// The magics first: a notebook written in the page's HTML upgrades when its element is defined, and its cells
// must then find `%%sql` and the others registered, or they stay plain code until they run.
import '../components/sql-cell/sql-magic.ts';
import '../components/graphql-cell/graphql-magic.ts';
import '../components/googlesheet-cell/googlesheet-magic.ts';
import '../components/dataframe-cell/dataframe-magic.ts';
export { BentoNotebook, BentoRequestEvent, BentoLoadEvent } from '../components/bento-notebook/bento-notebook.ts';
export { BentoCell, BentoExecuteEvent, BentoErrorEvent, BentoChangeEvent, type CellType, type RunState } from '../components/bento-cell/bento-cell.ts';
export { BentoOutputArea } from '../components/bento-output-area/bento-output-area.ts';
export * from './notebook/nbformat.ts';
export { parseNotebook, serializeNotebook, newNotebook, NotebookFormatError } from './notebook/ipynb.ts';
// Types only: a notebook loads its draft store once it looks for a draft, after its first paint.
export type { DraftStore, StorageUnavailableError } from './notebook/autosave.ts';
export { OutputModel, droppedText, STREAM_TEXT_LIMIT } from './notebook/output-model.ts';
export { ansiToHtml, stripAnsi } from './notebook/ansi.ts';
export type { ExecuteOptions, Kernel, KernelStatusChange, StartupProgress, Unsubscribe } from './kernel/kernel.ts';
export type { PlacementPolicy, PlacementOptions, PlacementRule, PlacementThresholds, PlacementFacts, BeforeRunFacts, AfterRunFacts, Verdict } from './placement/placement.ts';
export * from './kernel/protocol.ts';
export { kernelContext } from './kernel/context.ts';
export { PyodideKernel, type PyodideKernelOptions } from './kernel/pyodide/kernel.ts';
export { defaultKernel, setDefaultKernel, onDefaultKernelChange } from './kernel/default.ts';
export { KernelSelector, BentoKernelChangeRequestEvent, type KernelChoice } from '../components/kernel-selector/kernel-selector.ts';
export type { JupyterServerOptions, JupyterServerError, KernelSpecs } from './kernel/remote/server.ts';
// Types only: the classes are a chunk loadRemoteKernel() fetches, so pages without a server kernel never load it.
export type { RemoteKernel, RemoteKernelOptions } from './kernel/remote/kernel.ts';
export { loadRemoteKernel } from './kernel/choice.ts';
export {
  PyodideRuntime,
  RuntimeDiedError,
  PYODIDE_VERSION,
  type PyodideRuntimeOptions,
  type RuntimeEvent,
  type RuntimeState,
  type InterruptOutcome,
} from './kernel/pyodide/runtime.ts';
export { BentoQueryEvent, SQL_MAGIC, RENDERED_ROWS_CAP, loadSqlCell } from '../components/sql-cell/sql-magic.ts';
// Types only: importing the classes would load their chunk with every page. loadSqlCell() gives the classes.
export type { SqlCell } from '../components/sql-cell/sql-cell.ts';
export type { BentoTableView } from '../components/bento-table-view/bento-table-view.ts';
export {
  registerCellMagic,
  parseCellMagic,
  parseMagicArguments,
  MagicArgumentError,
  type CellMagicSpec,
  type MagicCellElement,
  type MagicRunContext,
  type MagicRunResult,
  type MagicArguments,
  type MagicOption,
  type MagicPositional,
} from './magics/magics.ts';
export { ColumnTable, ColumnBuilder, columnValue, type Column, type ColumnType, type ColumnSchema, type CellValue } from './data/table.ts';
export { TableError, type TableOptions } from './kernel/table-wire.ts';
export {
  registerConnector,
  registerConnectorKind,
  unregisterConnector,
  getConnector,
  connectorNames,
  QueryError,
  DEFAULT_CONNECTOR,
  type Connector,
  type ConnectorConfig,
  type ConnectorFactory,
  type QueryOptions,
  type QueryResult,
} from './data/connectors.ts';
// %%graphql: the magic and the endpoint registry are tiny; <graphql-cell> and the GraphQL client are chunks of their
// own, loaded with the first GraphQL cell a page shows or the first runGraphQL().
export { GRAPHQL_MAGIC, loadGraphQLCell } from '../components/graphql-cell/graphql-magic.ts';
export type { GraphQLCell } from '../components/graphql-cell/graphql-cell.ts';
export {
  registerGraphQLEndpoint,
  unregisterGraphQLEndpoint,
  graphQLEndpointNames,
  graphQLEndpoint,
  runGraphQL,
  type GraphQLEndpointConfig,
  type GraphQLEndpointInfo,
} from './data/graphql-endpoints.ts';
export type { GraphQLRunOptions, GraphQLResult, GraphQLErrorEntry, GraphQLProgress } from './data/graphql.ts';
// %%googlesheet: the magic and the source registry are tiny; <googlesheet-cell> and the sheet reader are chunks of
// their own, loaded with the first sheet a page shows or reads.
export { GOOGLESHEET_MAGIC, loadGoogleSheetCell } from '../components/googlesheet-cell/googlesheet-magic.ts';
export type { GoogleSheetCell } from '../components/googlesheet-cell/googlesheet-cell.ts';
export {
  registerSheetSource,
  unregisterSheetSource,
  sheetSourceNames,
  readSheet,
  DEFAULT_SHEET_SOURCE,
  type SheetSourceConfig,
  type SheetRetryOptions,
} from './data/sheet-sources.ts';
export type { SheetRequest, SheetReadOptions, SheetResult } from './data/sheets.ts';
// %%dataframe and <job-status>: the magic only; both elements and the job runner are chunks loaded on first use.
export { DATAFRAME_MAGIC } from '../components/dataframe-cell/dataframe-magic.ts';
export type { DataFrameCell } from '../components/dataframe-cell/dataframe-cell.ts';
export type { JobStatus } from '../components/job-status/job-status.ts';

import { html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { QueryError } from '../../src/data/connectors.ts';
import { parseGraphQLBody } from '../../src/data/graphql.ts';
import { graphQLEndpoint, graphQLEndpointNames, onGraphQLEndpointsChange, runGraphQL } from '../../src/data/graphql-endpoints.ts';
import { readValues } from '../../src/kernel/values.ts';
import { invalidIdentifier, MagicArgumentError, usageLine, type MagicArguments } from '../../src/magics/magics.ts';
import { GRAPHQL_MAGIC } from '../shared/data-cell-api.ts';
import { DataCell, type DataFetchContext, type DataResult } from '../shared/data-cell.ts';
import { styles } from './graphql-cell.styles.ts';
import { countInWords } from '../../src/util/words.ts';

/**
 * @summary A runnable GraphQL query: pick an endpoint the page registered, write the query, see the answer as
 * JSON or, when `path` names a list of objects, as a table; optionally bind it to a Python variable. In a
 * notebook it is how a `%%graphql` cell looks; alone on a page it runs without starting Python unless `into`
 * names a variable. Endpoints and their headers are registered by the page with `registerGraphQLEndpoint`.
 *
 * @slot - The query, as text: `<graphql-cell endpoint="shop">{ shop { name } }</graphql-cell>`. A line
 *   `# variables: {"first": 10}` gives its variables.
 *
 * @event bento-query - A query finished; `event.detail` has rows, columns, elapsed time and the variable.
 * @event bento-error - A query failed; `event.error.message` says why.
 * @event bento-change - The query, endpoint, path or variable was edited.
 * @event bento-cell-command - A notebook shortcut typed in the editor.
 *
 * @csspart cell - The whole element.
 * @csspart header - Endpoint picker, path, variable and run button.
 * @csspart input - The query.
 * @csspart error - An error message.
 * @csspart result - The result: a table, or the JSON answer.
 *
 * @cssprop [--bento-cell-background=var(--bento-color-surface)] - Background when standalone.
 * @cssprop [--bento-cell-border=var(--bento-color-border)] - Border when standalone.
 * @cssprop [--bento-code-background=var(--bento-color-surface-raised)] - Query background.
 * @cssprop [--bento-table-max-height=360px] - Height of the result table.
 */
@customElement('graphql-cell')
export class GraphQLCell extends DataCell {
  static override styles = styles;

  protected readonly spec = GRAPHQL_MAGIC;
  protected readonly language = 'text';
  protected readonly label = 'GraphQL cell';
  protected readonly noun = 'query';
  protected readonly lineProperties = ['into', 'endpoint', 'path', 'paginate', 'maxPages', 'vars', 'allowPartial'];
  protected override readonly pickerRegistry = onGraphQLEndpointsChange;

  /** The endpoint's name (registered with `registerGraphQLEndpoint`); empty: the one called `default`, or the only one. */
  @property({ reflect: true }) endpoint = '';
  /** Dot path to the result, e.g. `data.orders.nodes`: a list of objects there becomes a table. */
  @property() path = '';
  /** Follow the Relay connection on `path` (`pageInfo { hasNextPage endCursor }`, `$after`) and append its pages. */
  @property({ type: Boolean }) paginate = false;
  /** With `paginate`: stop after this many pages. */
  @property({ type: Number, attribute: 'max-pages' }) maxPages?: number;
  /** Python variables to send as GraphQL variables of the same names, comma-separated: `first,city`. */
  @property() vars = '';
  /** Keep data that came with errors (nulls where they happened); otherwise errors bind nothing. */
  @property({ type: Boolean, attribute: 'allow-partial' }) allowPartial = false;

  protected optionsFromProperties(): MagicArguments['options'] {
    return {
      endpoint: this.endpoint || undefined,
      path: this.path || undefined,
      paginate: this.paginate || undefined,
      'max-pages': this.maxPages,
      vars: this.vars || undefined,
      'allow-partial': this.allowPartial || undefined,
    };
  }

  protected applyOptions(options: MagicArguments['options']): void {
    this.endpoint = (options.endpoint as string | undefined) ?? '';
    this.path = (options.path as string | undefined) ?? '';
    this.paginate = Boolean(options.paginate);
    this.maxPages = options['max-pages'] as number | undefined;
    this.vars = (options.vars as string | undefined) ?? '';
    this.allowPartial = Boolean(options['allow-partial']);
  }

  protected async fetchData(args: MagicArguments, body: string, { signal, kernel, progress }: DataFetchContext): Promise<DataResult> {
    const usage = usageLine(this.spec);
    const options = args.options;
    const paginate = Boolean(options.paginate);
    const maxPages = options['max-pages'] as number | undefined;
    const path = options.path as string | undefined;
    if (!/\S/.test(body.replace(/#[^\n]*/g, ''))) throw new MagicArgumentError('There is no query under the %%graphql line.', usage);
    if (maxPages !== undefined && !paginate) throw new MagicArgumentError('--max-pages limits --paginate: add --paginate, or drop --max-pages.', usage);
    if (maxPages === 0) throw new MagicArgumentError('--max-pages must be at least 1.', usage);
    if (paginate && !path) throw new MagicArgumentError('--paginate needs --path naming the list to collect, e.g. --path data.orders.nodes.', usage);
    let parsed: ReturnType<typeof parseGraphQLBody>;
    try {
      parsed = parseGraphQLBody(body);
    } catch (error) {
      if (error instanceof QueryError) throw new MagicArgumentError(error.message, usage);
      throw error;
    }
    const names = variableNames(options.vars as string | undefined, usage);
    // Kernel variables win over the # variables: line: they are what the notebook computed.
    const variables = { ...parsed.variables, ...(names.length ? await readValues(kernel(), names) : {}) };
    signal.throwIfAborted();
    const result = await runGraphQL(parsed.query, {
      endpoint: (options.endpoint as string | undefined) || undefined,
      variables,
      path,
      paginate,
      maxPages,
      allowPartial: Boolean(options['allow-partial']),
      signal,
      onProgress: ({ pages, rows }) => progress(paginate ? `${countInWords(pages)} pages, ${countInWords(rows)} rows` : `${countInWords(rows)} rows`),
    });
    return {
      ...(result.table ? { table: result.table } : { value: result.value }),
      elapsedMs: result.elapsedMs,
      from: result.from,
      notes: result.notes,
    };
  }

  private onEndpointChange(event: Event): void {
    this.endpoint = (event.target as HTMLSelectElement).value;
  }

  private onPathChange(event: Event): void {
    this.path = (event.target as HTMLInputElement).value.trim();
  }

  private onPaginateChange(event: Event): void {
    this.paginate = (event.target as HTMLInputElement).checked;
  }

  protected renderFields(locked: boolean) {
    const names = graphQLEndpointNames();
    if (this.endpoint && !names.includes(this.endpoint)) names.push(this.endpoint);
    // No --endpoint: the client asks the one called default, or the only one; the picker shows which.
    const selected = this.endpoint || (names.includes('default') ? 'default' : names.length === 1 ? names[0] : '');
    return html`<label
        >on
        <select @change=${this.onEndpointChange} ?disabled=${locked} aria-label="GraphQL endpoint">
          ${selected ? '' : html`<option value="" selected>${names.length ? 'choose an endpoint' : 'no endpoint registered'}</option>`}
          ${names.map((name) => html`<option value=${name} ?selected=${name === selected}>${graphQLEndpoint(name)?.label ?? name}</option>`)}
        </select>
      </label>
      <label
        >path
        <input
          class="path"
          .value=${this.path}
          placeholder="data.orders.nodes"
          aria-label="Path to the result"
          spellcheck="false"
          ?disabled=${locked}
          @change=${this.onPathChange}
      /></label>
      <label><input type="checkbox" .checked=${this.paginate} ?disabled=${locked} @change=${this.onPaginateChange} /> all pages</label>`;
  }
}

/** The names `--vars a,b` lists, each a Python variable name. */
function variableNames(list: string | undefined, usage: string): string[] {
  if (!list) return [];
  const names = list.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!name) throw new MagicArgumentError(`--vars '${list}' has an empty name: list Python variables separated by commas, e.g. --vars first,city.`, usage);
    const problem = invalidIdentifier(name);
    if (problem) throw new MagicArgumentError(`--vars: ${problem}.`, usage);
  }
  return names;
}

declare global {
  interface HTMLElementTagNameMap {
    'graphql-cell': GraphQLCell;
  }
}

/**
 * The GraphQL endpoints a host page registered, with their headers and credentials (kept in this JavaScript
 * realm, never shown). Small on purpose: the main bundle carries it so a page can register before any cell
 * loads; the client itself (graphql.ts) is a chunk loaded on first use, and imports nothing of this module, so
 * this one shares a first-load chunk with the %%graphql magic.
 */
import type { GraphQLResult, GraphQLRunOptions } from './graphql.ts';

/** What the host page registers: `registerGraphQLEndpoint({ name: 'shop', url: '/graphql', headers: { Authorization: 'Bearer …' } })`. */
export interface GraphQLEndpointConfig {
  /** What a cell names with `--endpoint`: letters, digits, `_`, `-` and `.`. */
  name: string;
  /** The endpoint, absolute or page-relative. Never put a token in it: use `headers` or `getHeaders`. */
  url: string;
  /** Sent with every request, e.g. `{ Authorization: 'Bearer …' }`. Kept in JavaScript, never shown. */
  headers?: Record<string, string>;
  /** Asked before every request (a token that expires); its headers win over `headers`. Never shown. */
  getHeaders?: () => Promise<Record<string, string>> | Record<string, string>;
  /** fetch's `credentials`: `include` sends the page's cookies cross-origin. Default `same-origin`. */
  credentials?: RequestCredentials;
  /** Give up on a request (one page) after this long; default 60 s. */
  timeoutMs?: number;
  /** Shown to users; default `GraphQL endpoint 'name' (url without its query string)`. */
  label?: string;
}

/** What anyone may see of an endpoint: never its headers. */
export interface GraphQLEndpointInfo {
  name: string;
  label: string;
  /** The URL without its query string or fragment (where tokens sometimes hide). */
  url: string;
}

/** An endpoint as the client sees it: its configuration (headers included) and what may be shown. */
export interface GraphQLEndpointEntry {
  config: GraphQLEndpointConfig;
  info: GraphQLEndpointInfo;
}

const endpoints = new Map<string, GraphQLEndpointEntry>();
const listeners = new Set<() => void>();

/**
 * Registers (or replaces) a GraphQL endpoint, in one call:
 * `registerGraphQLEndpoint({ name: 'shop', url: 'https://api.example.com/graphql', headers: { Authorization: 'Bearer …' } })`.
 * Its headers and credentials stay in this page's JavaScript: never in Python, outputs, notebooks or messages.
 */
export function registerGraphQLEndpoint(config: GraphQLEndpointConfig): void {
  if (!config || typeof config.name !== 'string' || !/^[\w.-]+$/.test(config.name)) {
    throw new TypeError(`GraphQL endpoint name '${config?.name}': use letters, digits, _ - and . only.`);
  }
  if (typeof config.url !== 'string' || !config.url) {
    throw new TypeError(`GraphQL endpoint '${config.name}' needs a url, e.g. '/graphql'.`);
  }
  const url = new URL(config.url, baseHref());
  if (url.username || url.password) throw new TypeError(`GraphQL endpoint '${config.name}': credentials go in headers, not in the url.`);
  if (config.timeoutMs !== undefined && !(config.timeoutMs > 0)) throw new TypeError(`GraphQL endpoint '${config.name}': timeoutMs must be > 0.`);
  const shown = url.origin + url.pathname;
  const label = config.label ?? `GraphQL endpoint '${config.name}' (${shown})`;
  endpoints.set(config.name, { config: { ...config, headers: { ...config.headers } }, info: { name: config.name, label, url: shown } });
  for (const listener of listeners) listener();
}

export function unregisterGraphQLEndpoint(name: string): void {
  if (endpoints.delete(name)) for (const listener of listeners) listener();
}

/** Names of the registered endpoints, in registration order. */
export function graphQLEndpointNames(): string[] {
  return [...endpoints.keys()];
}

/** What may be shown of an endpoint (never its headers), or undefined. */
export function graphQLEndpoint(name: string): GraphQLEndpointInfo | undefined {
  return endpoints.get(name)?.info;
}

/** Calls `listener` when endpoints are registered or removed; returns the unsubscribe function. */
export function onGraphQLEndpointsChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function baseHref(): string {
  return globalThis.location?.href ?? 'http://localhost/';
}

/**
 * Runs `query` on a registered endpoint: a table or a value (see src/data/graphql.ts, loaded on first use as a
 * chunk of its own, and handed the registry so that it imports nothing of this module).
 */
export async function runGraphQL(query: string, options?: GraphQLRunOptions): Promise<GraphQLResult> {
  return (await import('./graphql.ts')).runGraphQLOn(endpoints, query, options);
}

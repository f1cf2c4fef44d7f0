// A real GraphQL server (graphql-js and graphql-http, spec-compliant GraphQL over HTTP) for the %%graphql tests
// and the demo: 10,000 deterministic orders as a Relay connection, fields that fail in each way GraphQL can
// fail, a field and a route that never answer, and a private route behind a bearer token. It runs as its own
// process so a test can kill it and start it again at the same address.
//
//   node scripts/graphql-server.mjs --start     start one, print its URL and token, stop on Ctrl-C
//
// Routes (all answer CORS for the origins given, credentials allowed):
//   POST /graphql        the schema below
//   POST /graphql-json   the same, answering application/json whatever the client accepts (a pre-2023 server)
//   POST /private        the same, only with `Authorization: Bearer <token>`; 401 otherwise
//   POST /hangs          reads the request and never answers
//   POST /bad-gateway    a proxy's 502 HTML page, as when the GraphQL server behind it is down
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, spawnServer } from './servers.mjs';
import { seededRandom as random } from './seeded-random.mjs';

export const ORDER_COUNT = 10_000;
/** The most nodes one page may ask for: more is a GraphQL error, as public APIs limit `first`. */
export const MAX_PAGE = 1_000;

export const SCHEMA = /* GraphQL */ `
  "The demo shop: one record with nested objects, for results that are a dict."
  type Shop { name: String! currency: String! openedOn: String! address: Address! orderCount: Int! }
  type Address { street: String city: String! country: String! }
  type Customer { id: ID! name: String! email: String address: Address! }
  type Item { sku: String! qty: Int! }
  type Order {
    id: ID!
    number: Int!
    total: Float!
    paid: Boolean!
    "ISO 8601 date-time, UTC."
    placedAt: String!
    note: String
    customer: Customer!
    tags: [String!]!
    items: [Item!]!
    "Fails for every seventh order; non-null, so that order becomes null (partial data)."
    audit: String!
  }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  "Nodes are nullable, as Relay allows: an order whose non-null field fails becomes null, the page stays."
  type OrderEdge { cursor: String! node: Order }
  type OrderConnection { edges: [OrderEdge!]! nodes: [Order]! pageInfo: PageInfo! totalCount: Int! }
  "What the server saw of the request: for checking that headers and cookies arrive."
  type Viewer { authorized: Boolean! cookie: String }
  type Query {
    shop: Shop!
    hello(name: String!, times: Int = 1): String!
    """
    Orders as a Relay connection. Test hooks: a page that starts at or past order index hangAt never
    answers; one that starts at or past failAt fails (and, being non-null, takes data with it).
    """
    orders(first: Int = 100, after: String, paid: Boolean, hangAt: Int, failAt: Int): OrderConnection!
    order(id: ID!): Order
    viewer: Viewer!
    "A nullable field that always fails: the rest of the answer is still data (partial data)."
    failing: String
    "A non-null root field that always fails: data is null."
    broken: String!
    "Fails with a message quoting the request's Authorization header, as careless servers do."
    echoAuthorization: String
    "Never resolves while the client waits."
    hang: String
  }
`;

const CITIES = ['Lisbon', 'Porto', 'Utrecht', 'Ghent', 'Lyon', 'Turin', 'Kraków', 'Malmö', 'Tartu', 'Zürich'];
const COUNTRIES = ['PT', 'PT', 'NL', 'BE', 'FR', 'IT', 'PL', 'SE', 'EE', 'CH'];
const FIRST = ['Ana', 'Bram', 'Chloé', 'Dario', 'Eva', 'Filip', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kaja', 'Luca'];
const LAST = ['Silva', 'de Vries', 'Peeters', 'Moreau', 'Rossi', 'Nowak', 'Lind', 'Tamm', 'Keller', 'Costa'];
const TAGS = ['gift', 'express', 'fragile', 'bulk', 'repeat', 'b2b'];
const SKUS = ['TEA-01', 'TEA-02', 'MUG-11', 'POT-07', 'CUP-03', 'SET-20'];

/**
 * Order `number` (1-based). Exact values the tests check: order 1 is paid, total 10.5, customer Ana Silva in
 * Lisbon, tags ['gift'], note null; every 5th order has a note; every 4th customer has no email.
 */
export function makeOrder(number) {
  const next = random(number * 7919);
  const index = number - 1;
  const customerIndex = index % 97;
  const tagCount = number === 1 ? 1 : Math.floor(next() * 3);
  const tags = number === 1 ? ['gift'] : Array.from({ length: tagCount }, (_, i) => TAGS[(index + i * 5) % TAGS.length]);
  const items = Array.from({ length: 1 + (index % 3) }, (_, i) => ({ sku: SKUS[(index + i) % SKUS.length], qty: 1 + ((index + i) % 4) }));
  const placed = new Date(Date.UTC(2024, 0, 1) + index * 3_600_000 * 5);
  return {
    id: `order-${number}`,
    number,
    total: number === 1 ? 10.5 : Math.round(next() * 50_000) / 100 + 1,
    paid: number === 1 ? true : next() < 0.8,
    placedAt: placed.toISOString(),
    note: number % 5 === 0 ? `Note for order ${number}` : null,
    customer: {
      id: `customer-${customerIndex + 1}`,
      name: `${FIRST[customerIndex % FIRST.length]} ${LAST[customerIndex % LAST.length]}`,
      email: customerIndex % 4 === 3 ? null : `customer${customerIndex + 1}@example.com`,
      address: { street: customerIndex % 6 === 5 ? null : `${customerIndex + 1} Harbour Street`, city: CITIES[customerIndex % CITIES.length], country: COUNTRIES[customerIndex % CITIES.length] },
    },
    tags,
    items,
    audit: () => {
      if (number % 7 === 0) throw new Error(`Audit record for order ${number} is missing.`);
      return `audited-${number}`;
    },
  };
}

const encodeCursor = (index) => Buffer.from(`order:${index}`).toString('base64');
function decodeCursor(cursor) {
  const match = /^order:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new Error(`'${cursor}' is not a cursor this server gave out.`);
  return Number(match[1]);
}

function orders({ first, after, paid, hangAt, failAt }, { req }) {
  if (first < 0 || first > MAX_PAGE) throw new Error(`first must be between 0 and ${MAX_PAGE}, not ${first}.`);
  const start = after == null ? 0 : decodeCursor(after) + 1;
  if (hangAt != null && start >= hangAt) return new Promise((resolve) => req.socket.once('close', () => resolve(null)));
  if (failAt != null && start >= failAt) throw new Error(`The page starting at order index ${start} failed (failAt: ${failAt}).`);
  const page = [];
  let index = start;
  for (; index < ORDER_COUNT && page.length < first; index++) {
    const order = makeOrder(index + 1);
    if (paid == null || order.paid === paid) page.push({ index, order });
  }
  // Scan on past filtered-out orders, so hasNextPage is exact.
  let more = false;
  for (let i = index; i < ORDER_COUNT; i++) {
    if (paid == null || makeOrder(i + 1).paid === paid) {
      more = true;
      break;
    }
  }
  return {
    edges: page.map(({ index, order }) => ({ cursor: encodeCursor(index), node: order })),
    nodes: page.map(({ order }) => order),
    pageInfo: {
      hasNextPage: more,
      hasPreviousPage: start > 0,
      startCursor: page.length ? encodeCursor(page[0].index) : null,
      endCursor: page.length ? encodeCursor(page.at(-1).index) : null,
    },
    totalCount: paid == null ? ORDER_COUNT : countPaid(paid),
  };
}

let paidCounts = null;
function countPaid(paid) {
  if (!paidCounts) {
    let yes = 0;
    for (let n = 1; n <= ORDER_COUNT; n++) if (makeOrder(n).paid) yes++;
    paidCounts = { true: yes, false: ORDER_COUNT - yes };
  }
  return paidCounts[paid];
}

/** The resolvers; `context` is the request they answer (for headers, and to notice a client that went away). */
const rootValue = {
    shop: () => ({
      name: 'Bento Tea Co.',
      currency: 'EUR',
      openedOn: '2019-04-01',
      address: { street: '1 Harbour Street', city: 'Lisbon', country: 'PT' },
      orderCount: ORDER_COUNT,
    }),
    hello: ({ name, times }) => Array.from({ length: times }, () => `Hello, ${name}!`).join(' '),
    orders,
    order: ({ id }) => {
      const match = /^order-(\d+)$/.exec(id);
      const number = match ? Number(match[1]) : 0;
      return number >= 1 && number <= ORDER_COUNT ? makeOrder(number) : null;
    },
    viewer: (_args, { req, token }) => {
      const cookie = /(?:^|;\s*)bento_session=([^;]*)/.exec(req.headers.cookie ?? '');
      return { authorized: Boolean(token) && req.headers.authorization === `Bearer ${token}`, cookie: cookie ? decodeURIComponent(cookie[1]) : null };
    },
    failing: () => {
      throw new Error('The failing field always fails.');
    },
    broken: () => {
      throw new Error('The broken field is broken.');
    },
    echoAuthorization: (_args, { req }) => {
      throw new Error(`Authorization '${req.headers.authorization ?? ''}' may not read this field.`);
    },
    hang: (_args, { req }) => new Promise((resolve) => req.socket.once('close', () => resolve(null))),
};

/** The HTTP server; runs in the child process (see `--serve`). */
async function serve({ port, origin, token }) {
  const { buildSchema } = await import('graphql');
  const { createHandler } = await import('graphql-http/lib/use/http');
  const schema = buildSchema(SCHEMA);
  const handler = createHandler({ schema, rootValue, context: (req) => ({ req: req.raw, token }) });

  const cors = (req, res) => {
    if (req.headers.origin && (origin === '*' || origin.split(',').includes(req.headers.origin))) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
  };

  const server = createServer((req, res) => {
    cors(req, res);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'content-type',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    if (path === '/graphql') return handler(req, res);
    if (path === '/graphql-json') {
      // An older server that knows only application/json: its errors come with 200, as the spec allowed.
      req.headers.accept = 'application/json';
      return handler(req, res);
    }
    if (path === '/private') {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'Content-Type': 'application/graphql-response+json; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="bento"' });
        return res.end(JSON.stringify({ errors: [{ message: 'Missing or wrong bearer token.' }] }));
      }
      return handler(req, res);
    }
    if (path === '/hangs') {
      req.resume(); // read the request, answer nothing
      return;
    }
    if (path === '/bad-gateway') {
      req.resume();
      res.writeHead(502, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>upstream graphql is down</p></body></html>\n');
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`No route ${path}: try POST /graphql.`);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  console.log(`GraphQL server listening on http://127.0.0.1:${port}/graphql`);
  // Exit with the process that started us, however it ended (it cannot always kill us first).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 500).unref();
}

/**
 * Starts the server as a child process on a loopback port. Resolves once it answers a query.
 *
 * @param {{ allowOrigin?: string, port?: number, token?: string, timeoutMs?: number }} [options]
 *   allowOrigin: the origin CORS allows (with credentials), several separated by commas, or '*' for any;
 *   port: a fixed port (a test restarting "the same" server), else a free one;
 *   token: the bearer token /private wants (random by default).
 * @returns {Promise<{ url: string, origin: string, token: string, port: number, startMs: number, logs: () => string, stop: (options?: { signal?: string }) => Promise<void> }>}
 *   url is the /graphql endpoint; origin the server's origin (for the other routes).
 */
export async function startGraphQL({ allowOrigin = '*', port, token = randomBytes(16).toString('hex'), timeoutMs = 20_000 } = {}) {
  let lastError;
  for (let attempt = 0; attempt < (port ? 1 : 3); attempt++) {
    try {
      return await startOnce({ allowOrigin, port: port ?? (await freePort()), token, timeoutMs });
    } catch (error) {
      lastError = error;
      if (!error.portTaken) throw error;
    }
  }
  throw lastError;
}

async function startOnce({ allowOrigin, port, token, timeoutMs }) {
  const started = Date.now();
  const temp = mkdtempSync(join(tmpdir(), 'bento-graphql-'));
  const origin = `http://127.0.0.1:${port}`;
  const { log, exited, stop } = spawnServer(process.execPath, [fileURLToPath(import.meta.url), '--serve', String(port), allowOrigin], {
    cwd: temp,
    temp,
    // The token travels in the environment, not in the command line other users can read.
    env: { ...process.env, BENTO_GRAPHQL_TOKEN: token },
  });
  const fail = async (message) => {
    const lines = log.text(40);
    await stop({ signal: 'SIGKILL' });
    const error = new Error(`${message}\nThe GraphQL server said:\n${lines.trim() || '(nothing)'}`);
    error.portTaken = /EADDRINUSE/.test(lines);
    throw error;
  };
  for (;;) {
    if (exited()) await fail(`The GraphQL server exited before it answered (${exited().error ?? `code ${exited().code}`}).`);
    if (Date.now() - started > timeoutMs) await fail(`The GraphQL server did not answer ${origin}/graphql within ${timeoutMs / 1000} s.`);
    const ok = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
      signal: AbortSignal.timeout(2_000),
    }).then(
      (response) => response.ok,
      () => false, // not listening yet
    );
    if (ok) break;
    await sleep(50);
  }
  return { url: `${origin}/graphql`, origin, token, port, startMs: Date.now() - started, logs: () => log.text(), stop };
}

if (process.argv[2] === '--serve') {
  await serve({ port: Number(process.argv[3]), origin: process.argv[4], token: process.env.BENTO_GRAPHQL_TOKEN });
} else if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--start')) {
  const server = await startGraphQL();
  console.log(
    `GraphQL server started in ${server.startMs} ms (Ctrl-C stops it)\n` +
      `url:    ${server.url}\n` +
      `token:  ${server.token} (for ${server.origin}/private)\n` +
      `try:    curl -H 'content-type: application/json' -d '{"query":"{ shop { name } }"}' ${server.url}`,
  );
  const onSignal = async () => {
    await server.stop();
    process.exit(0);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

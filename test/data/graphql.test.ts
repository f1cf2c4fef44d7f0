import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { QueryError } from '../../src/data/connectors.ts';
import { parseGraphQLBody, tableFromObjects, type GraphQLProgress, type GraphQLRunOptions } from '../../src/data/graphql.ts';
import { graphQLEndpoint, graphQLEndpointNames, registerGraphQLEndpoint, runGraphQL, unregisterGraphQLEndpoint } from '../../src/data/graphql-endpoints.ts';
import { columnValues, queryFailure } from '../helpers.ts';

// This run's GraphQL server (scripts/graphql-server.mjs, started by web-test-runner.config.mjs), cross-origin.
const server = (window as unknown as { __bentoGraphQL: { url: string; origin: string; token: string; downUrl: string } }).__bentoGraphQL;

/** Every error message and server message a test saw, to check that no credential ever shows. */
const seen: string[] = [];

const failure = (promise: Promise<unknown>) => queryFailure(promise, seen);

const values = columnValues;

const run = (query: string, options: GraphQLRunOptions = {}) => runGraphQL(query, { endpoint: 'shop', ...options });

const ORDERS_PAGE = `query Orders($after: String, $first: Int = 1000) {
  orders(first: $first, after: $after) {
    nodes { id number total paid customer { name email address { city } } tags }
    pageInfo { hasNextPage endCursor }
  }
}`;

before(() => {
  expect(server, 'the test runner starts the GraphQL server and tells the page').to.be.ok;
  registerGraphQLEndpoint({ name: 'shop', url: server.url, timeoutMs: 30_000 });
});

describe('GraphQL endpoints', () => {
  it('are registered in one call and show their URL without a query string, never their headers', () => {
    registerGraphQLEndpoint({ name: 'shown', url: `${server.url}?api_key=hidden-key`, headers: { Authorization: 'Bearer not-for-eyes' } });
    expect(graphQLEndpointNames()).to.include.members(['shop', 'shown']);
    const info = graphQLEndpoint('shown')!;
    expect(info.url).to.equal(server.url);
    expect(JSON.stringify(info)).not.to.contain('hidden-key');
    expect(JSON.stringify(info)).not.to.contain('not-for-eyes');
    unregisterGraphQLEndpoint('shown');
    expect(graphQLEndpoint('shown')).to.equal(undefined);
  });

  it('refuses credentials in the URL and names that a cell could not write', () => {
    expect(() => registerGraphQLEndpoint({ name: 'x', url: 'http://user:pw@127.0.0.1/graphql' })).to.throw(/credentials go in headers, not in the url/);
    expect(() => registerGraphQLEndpoint({ name: 'two words', url: '/graphql' })).to.throw(/use letters, digits, _ - and \. only/);
  });

  it('names the registered endpoints when a run names an unknown one', async () => {
    const error = await failure(runGraphQL('{ shop { name } }', { endpoint: 'nope' }));
    expect(error.message).to.contain("No GraphQL endpoint called 'nope'");
    expect(error.message).to.contain("'shop'");
    expect(error.message).to.contain('registerGraphQLEndpoint');
  });
});

describe('GraphQL queries', () => {
  it('returns data as a dict when no path names a list', async () => {
    const result = await run('{ shop { name currency address { city country } orderCount } }');
    expect(result.table).to.equal(undefined);
    expect(result.value).to.deep.equal({ shop: { name: 'Bento Tea Co.', currency: 'EUR', address: { city: 'Lisbon', country: 'PT' }, orderCount: 10_000 } });
    expect(result.pages).to.equal(1);
    expect(result.notes).to.deep.equal([]);
  });

  it('returns the value at a path that names an object or a scalar', async () => {
    expect((await run('{ shop { name address { city } } }', { path: 'data.shop.address' })).value).to.deep.equal({ city: 'Lisbon' });
    // A path need not start with data.
    expect((await run('{ shop { name } }', { path: 'shop.name' })).value).to.equal('Bento Tea Co.');
  });

  it('sends variables', async () => {
    const result = await run('query ($name: String!, $times: Int) { hello(name: $name, times: $times) }', { variables: { name: 'Ana', times: 2 } });
    expect(result.value).to.deep.equal({ hello: 'Hello, Ana! Hello, Ana!' });
  });

  it('reads variables from a # variables: line, and says which line is wrong', async () => {
    const body = 'query ($name: String!) {\n  # variables: {"name": "Bram"}\n  hello(name: $name)\n}';
    const { query, variables } = parseGraphQLBody(body);
    expect(variables).to.deep.equal({ name: 'Bram' });
    expect((await run(query, { variables })).value).to.deep.equal({ hello: 'Hello, Bram!' });

    expect(() => parseGraphQLBody('{ a }\n# variables: {name: 1}')).to.throw(QueryError, /^Line 2 \('# variables:'\) is not valid JSON: .*e\.g\. # variables: \{"first"/);
    expect(() => parseGraphQLBody('# variables: [1, 2]\n{ a }')).to.throw(/Line 1 .* must be a JSON object .*not a list of 2/);
    expect(() => parseGraphQLBody('# variables: {}\n# variables: {}')).to.throw(/Line 2 .*a second variables line/);
  });

  it('reads an application/json answer from a server that knows only that media type', async () => {
    registerGraphQLEndpoint({ name: 'legacy', url: `${server.origin}/graphql-json` });
    const result = await runGraphQL('{ shop { name } }', { endpoint: 'legacy' });
    expect(result.value).to.deep.equal({ shop: { name: 'Bento Tea Co.' } });
    // Such a server sends errors with 200; they are errors all the same.
    const error = await failure(runGraphQL('{ shop { nam } }', { endpoint: 'legacy' }));
    expect(error.message).to.contain('Cannot query field "nam" on type "Shop"');
    expect(error.detail.status).to.equal(200);
  });

  it('uses the only endpoint, or the one called default, when a run names none', async () => {
    registerGraphQLEndpoint({ name: 'default', url: server.url });
    expect((await runGraphQL('{ shop { currency } }')).value).to.deep.equal({ shop: { currency: 'EUR' } });
    unregisterGraphQLEndpoint('default');
    const error = await failure(runGraphQL('{ shop { currency } }'));
    expect(error.message).to.match(/^Name the GraphQL endpoint to ask \(--endpoint NAME\)\. Registered: 'shop'/);
  });
});

describe('GraphQL errors', () => {
  it('lists each error with its location and the server’s own text (a 400 graphql-response+json)', async () => {
    const error = await failure(run('{\n  shop {\n    nam\n  }\n  orderz\n}'));
    expect(error.message).to.contain("GraphQL endpoint 'shop'");
    expect(error.message).to.contain('answered with 2 errors (HTTP 400):');
    expect(error.message).to.match(/• Cannot query field "nam" on type "Shop"\. Did you mean "name"\? \(at 3:5\)/);
    expect(error.message).to.match(/• Cannot query field "orderz" on type "Query"\. .*\(at 5:3\)/);
    expect(error.detail.status).to.equal(400);
    expect(JSON.parse(error.detail.serverMessage!).errors).to.have.length(2);
  });

  it('shows a syntax error with its line and column', async () => {
    const error = await failure(run('{ shop { name }'));
    expect(error.message).to.match(/• Syntax Error: Expected Name, found <EOF>\. \(at 1:16\)/);
  });

  it('gives the path of an error in execution; data null means nothing to keep, even when partial data is allowed', async () => {
    const error = await failure(run('{ shop { name } broken }', { allowPartial: true }));
    expect(error.message).to.contain('• The broken field is broken. (at 1:17; path broken)');
    expect(error.message).not.to.contain('partial data');
  });

  it('keeps nothing from partial data unless asked, and says how to keep it', async () => {
    const query = '{ shop { name } failing order(id: "order-7") { id audit } }';
    const error = await failure(run(query));
    expect(error.message).to.contain('answered with 2 errors:');
    expect(error.message).to.contain('• The failing field always fails. (at 1:17; path failing)');
    expect(error.message).to.contain('• Audit record for order 7 is missing. (at 1:51; path order.audit)');
    expect(error.message).to.contain('The answer also had partial data; nothing was kept. Allow partial data (--allow-partial)');
  });

  it('keeps partial data when allowed, with the errors as a note', async () => {
    const query = '{ shop { name } failing order(id: "order-7") { id audit } }';
    const result = await run(query, { allowPartial: true });
    expect(result.value).to.deep.equal({ shop: { name: 'Bento Tea Co.' }, failing: null, order: null });
    expect(result.errors.map((e) => e.path)).to.deep.equal([['failing'], ['order', 'audit']]);
    expect(result.notes).to.have.length(1);
    expect(result.notes[0]).to.match(/^Kept partial data despite 2 errors \(allowPartial\)/);
    expect(result.notes[0]).to.contain('• The failing field always fails. (at 1:17; path failing)');
  });

  it('keeps a null row for a list element that failed, when allowed', async () => {
    const query = '{ orders(first: 8) { nodes { number audit } } }';
    const refused = await failure(run(query, { path: 'data.orders.nodes' }));
    expect(refused.message).to.contain('path orders.nodes.6.audit');
    const result = await run(query, { path: 'data.orders.nodes', allowPartial: true });
    expect(result.rows).to.equal(8);
    expect(values(result.table!, 'number')).to.deep.equal([1, 2, 3, 4, 5, 6, null, 8]);
    expect(values(result.table!, 'audit')[6]).to.equal(null);
    expect(result.notes[0]).to.contain('Audit record for order 7 is missing.');
  });

  it('says what a missing path segment, a null and a scalar are', async () => {
    let error = await failure(run('{ shop { name } }', { path: 'data.shop.nme' }));
    expect(error.message).to.equal(
      "The path data.shop.nme stops at data.shop: there is no 'nme' (it has: name). The answer holds only the fields the query selects.",
    );
    error = await failure(run('{ shop { name } }', { path: 'data.shop.name.first' }));
    expect(error.message).to.equal('The path data.shop.name.first stops at data.shop.name: it is the string "Bento Tea Co.", so it has no \'first\'.');
    error = await failure(run('{ order(id: "nope") { id } }', { path: 'order.id' }));
    expect(error.message).to.equal("The path data.order.id stops at data.order: it is null, so it has no 'id'.");
    error = await failure(run('{ orders(first: 2) { nodes { id } } }', { path: 'orders.nodes.5' }));
    expect(error.message).to.contain('it is a list of 2, so it has no element 5.');
    error = await failure(run('{ shop { name } }', { path: 'data..shop' }));
    expect(error.message).to.contain("The path 'data..shop' has an empty part");
  });
});

describe('GraphQL results as tables', () => {
  it('flattens nested objects to a.b columns, keeps lists as JSON values and infers types', async () => {
    const result = await run(
      '{ orders(first: 5) { nodes { id number total paid placedAt note customer { name email address { street city } } tags items { sku qty } } } }',
      { path: 'data.orders.nodes' },
    );
    const table = result.table!;
    expect(result.rows).to.equal(5);
    expect(table.schema.map((c) => [c.name, c.type, c.nullable, c.encoding ?? ''])).to.deep.equal([
      ['id', 'string', false, ''],
      ['number', 'int32', false, ''],
      ['total', 'float64', false, ''],
      ['paid', 'bool', false, ''],
      ['placedAt', 'string', false, ''],
      ['note', 'string', true, ''],
      ['customer.name', 'string', false, ''],
      ['customer.email', 'string', true, ''],
      ['customer.address.street', 'string', false, ''],
      ['customer.address.city', 'string', false, ''],
      ['tags', 'string', false, 'json'],
      ['items', 'string', false, 'json'],
    ]);
    expect(values(table, 'id')).to.deep.equal(['order-1', 'order-2', 'order-3', 'order-4', 'order-5']);
    expect(values(table, 'total')[0]).to.equal(10.5);
    expect(values(table, 'paid')[0]).to.equal(true);
    expect(values(table, 'placedAt')[0]).to.equal('2024-01-01T00:00:00.000Z');
    expect(values(table, 'note')).to.deep.equal([null, null, null, null, 'Note for order 5']);
    expect(values(table, 'customer.name')[0]).to.equal('Ana Silva');
    expect(values(table, 'customer.email')[3]).to.equal(null);
    expect(values(table, 'customer.address.city')[0]).to.equal('Lisbon');
    expect(JSON.parse(values(table, 'tags')[0] as string)).to.deep.equal(['gift']);
    expect(JSON.parse(values(table, 'items')[0] as string)).to.deep.equal([{ sku: 'TEA-01', qty: 1 }]);
  });

  it('takes a field of every list element: edges.node', async () => {
    const result = await run('{ orders(first: 3) { edges { cursor node { id customer { address { city } } } } } }', { path: 'orders.edges.node' });
    expect(result.table!.columnNames).to.deep.equal(['id', 'customer.address.city']);
    expect(values(result.table!, 'customer.address.city')).to.deep.equal(['Lisbon', 'Porto', 'Utrecht']);
  });

  it('makes columns of the union of keys, nulls where a row lacks one', () => {
    const table = tableFromObjects([{ a: 1, b: { c: 'x' } }, null, { b: null, d: [1, 2], e: 3_000_000_000 }, { a: 2.5, f: 'x', g: true }, { f: 1, g: false }]);
    expect(table.schema.map((c) => [c.name, c.type, c.encoding ?? ''])).to.deep.equal([
      ['a', 'float64', ''],
      ['b.c', 'string', ''],
      ['b', 'string', ''],
      ['d', 'string', 'json'],
      ['e', 'int64', ''],
      ['f', 'string', 'json'],
      ['g', 'bool', ''],
    ]);
    expect(table.numRows).to.equal(5);
    expect(values(table, 'a')).to.deep.equal([1, null, null, 2.5, null]);
    expect(values(table, 'e')[2]).to.equal(3_000_000_000n);
    // A column whose values are of different kinds keeps each as JSON, so Python gets them back as they were.
    expect(values(table, 'f')).to.deep.equal([null, null, null, '"x"', '1']);
  });

  it('returns a list of scalars as a value, and an empty list as a list (it has no columns to make)', async () => {
    const tags = await run('{ order(id: "order-2") { tags } }', { path: 'order.tags' });
    expect(tags.value).to.deep.equal(['express', 'gift']);
    expect(tags.rows).to.equal(2);
    const none = await run('{ orders(first: 0) { nodes { id } } }', { path: 'orders.nodes' });
    expect(none.table).to.equal(undefined);
    expect(none.value).to.deep.equal([]);
  });
});

describe('GraphQL pagination', () => {
  it('follows the connection over 10,000 nodes, with progress', async () => {
    const progress: GraphQLProgress[] = [];
    const result = await run(ORDERS_PAGE, { path: 'data.orders.nodes', paginate: true, onProgress: (p) => progress.push(p) });
    expect(result.pages).to.equal(10);
    expect(result.rows).to.equal(10_000);
    expect(result.truncated).to.equal(false);
    const numbers = values(result.table!, 'number') as number[];
    expect(numbers.every((n, i) => n === i + 1)).to.equal(true);
    expect(values(result.table!, 'customer.address.city')[9_999]).to.be.a('string');
    expect(progress.map((p) => [p.pages, p.rows])).to.deep.equal(Array.from({ length: 10 }, (_, i) => [i + 1, (i + 1) * 1000]));
  });

  it('pages through edges too, from a starting cursor the variables give', async () => {
    const from = (await run('{ orders(first: 1000) { pageInfo { endCursor } } }', { path: 'orders.pageInfo.endCursor' })).value as string;
    const query = 'query ($after: String) { orders(first: 400, after: $after) { edges { node { number } } pageInfo { hasNextPage endCursor } } }';
    const result = await run(query, { path: 'orders.edges.node', paginate: true, variables: { after: from } });
    expect(result.pages).to.equal(23);
    expect(result.rows).to.equal(9_000);
    expect(values(result.table!, 'number')[0]).to.equal(1001);
    expect(values(result.table!, 'number')[8_999]).to.equal(10_000);
  });

  it('stops at maxPages with a note', async () => {
    const result = await run(ORDERS_PAGE, { path: 'orders.nodes', paginate: true, maxPages: 3, variables: { first: 250 } });
    expect(result.pages).to.equal(3);
    expect(result.rows).to.equal(750);
    expect(result.truncated).to.equal(true);
    expect(result.notes).to.deep.equal(['Stopped at the page limit (maxPages, --max-pages) after 3 pages; the connection has more.']);
  });

  it('says what the query lacks: $after, a path, pageInfo', async () => {
    let error = await failure(run('{ orders(first: 10) { nodes { id } pageInfo { hasNextPage endCursor } } }', { path: 'orders.nodes', paginate: true }));
    expect(error.message).to.match(/^Paginating needs the query to declare \$after and pass it to the connection, e\.g\. query \(\$after: String\)/);
    error = await failure(run(ORDERS_PAGE, { paginate: true }));
    expect(error.message).to.contain('Paginating needs a path naming the list to collect');
    error = await failure(run('query ($after: String) { orders(first: 10, after: $after) { nodes { id } } }', { path: 'orders.nodes', paginate: true }));
    expect(error.message).to.equal('Paginating: no object on the path data.orders.nodes has pageInfo; select pageInfo { hasNextPage endCursor } in data.orders.');
    error = await failure(run('query ($after: String) { orders(first: 10, after: $after) { nodes { id } pageInfo { hasNextPage } } }', { path: 'orders.nodes', paginate: true }));
    expect(error.message).to.contain('pageInfo lacks hasNextPage or endCursor');
    error = await failure(run(ORDERS_PAGE, { path: 'orders.nodes', paginate: true, maxPages: 0 }));
    expect(error.message).to.contain('maxPages must be a whole number ≥ 1, not 0');
  });

  it('notices a connection that ignores $after instead of looping forever', async () => {
    // Declared, and used where it changes nothing: every page is the first.
    const query = 'query ($after: String) { orders(first: 5) { nodes { id } pageInfo { hasNextPage endCursor } } ignored: orders(first: 1, after: $after) { totalCount } }';
    const error = await failure(run(query, { path: 'orders.nodes', paginate: true }));
    expect(error.message).to.equal('Paginating: page 2 ended at the same cursor as the page before. Does the connection take after: $after?');
  });

  it('returns nothing when a page fails midway', async () => {
    const query = 'query ($after: String) { orders(first: 500, after: $after, failAt: 1000) { nodes { number } pageInfo { hasNextPage endCursor } } }';
    const error = await failure(run(query, { path: 'orders.nodes', paginate: true, allowPartial: true }));
    expect(error.message).to.equal(
      `GraphQL endpoint 'shop' (${server.url}) answered with 1 error on page 3:\n` +
        '  • The page starting at order index 1000 failed (failAt: 1000). (at 1:26; path orders)\nNothing was kept.',
    );
  });

  it('lists the first ten of many errors and counts the rest', async () => {
    const error = await failure(run('{ orders(first: 1000) { nodes { audit } } }'));
    expect(error.message).to.contain('answered with 142 errors:');
    expect(error.message).to.contain('• Audit record for order 70 is missing.');
    expect(error.message).not.to.contain('order 77 ');
    expect(error.message).to.contain('  … and 132 more.');
    expect(JSON.parse(error.detail.serverMessage!).errors).to.have.length(142);
  });

  it('shows a resolver’s own error', async () => {
    const error = await failure(run('{ orders(first: 9000) { totalCount } }'));
    expect(error.message).to.contain('• first must be between 0 and 1000, not 9000. (at 1:3; path orders)');
  });

  it('is cancelled midway by the signal and returns nothing', async () => {
    const controller = new AbortController();
    const pagesSeen: number[] = [];
    const promise = run(ORDERS_PAGE, {
      path: 'orders.nodes',
      paginate: true,
      variables: { first: 100 },
      signal: controller.signal,
      onProgress: ({ pages }) => {
        pagesSeen.push(pages);
        if (pages === 3) controller.abort();
      },
    });
    const error = await failure(promise);
    expect(error.detail.cancelled).to.equal(true);
    expect(error.message).to.equal('GraphQL query cancelled after 3 pages (300 rows); nothing was kept.');
    expect(pagesSeen).to.deep.equal([1, 2, 3]);
  });

  it('is cancelled while a request is in flight', async () => {
    const controller = new AbortController();
    const promise = run('{ hang }', { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await failure(promise);
    expect(error.detail.cancelled).to.equal(true);
    expect(error.message).to.equal('GraphQL query cancelled.');
  });
});

describe('GraphQL failures of the server', () => {
  it('times out on a field that never resolves, saying so', async () => {
    const error = await failure(run('{ hang }', { timeoutMs: 300 }));
    expect(error.detail.timedOut).to.equal(true);
    expect(error.message).to.equal(`GraphQL endpoint 'shop' (${server.url}) did not answer within 300 ms, so the request was cancelled. If the query is just slow, raise timeoutMs.`);
  });

  it('times out on a server that never answers, with the endpoint’s own timeout', async () => {
    registerGraphQLEndpoint({ name: 'hangs', url: `${server.origin}/hangs`, timeoutMs: 400 });
    const error = await failure(runGraphQL('{ shop { name } }', { endpoint: 'hangs' }));
    expect(error.detail.timedOut).to.equal(true);
    expect(error.message).to.contain('did not answer within 400 ms');
  });

  it('times out on a later page and says how far it got', async () => {
    const query = 'query ($after: String) { orders(first: 500, after: $after, hangAt: 1500) { nodes { id } pageInfo { hasNextPage endCursor } } }';
    let pages = 0;
    const error = await failure(run(query, { path: 'orders.nodes', paginate: true, timeoutMs: 2_000, onProgress: (p) => (pages = p.pages) }));
    expect(pages).to.equal(3);
    expect(error.detail.timedOut).to.equal(true);
    expect(error.message).to.contain('did not answer within 2 s (page 4, after 1,500 rows; nothing was kept), so the request was cancelled.');
  });

  it('says when the server is down, and works again once it is back', async () => {
    registerGraphQLEndpoint({ name: 'down', url: server.downUrl });
    let error = await failure(runGraphQL('{ shop { name } }', { endpoint: 'down' }));
    expect(error.message).to.equal(`Cannot reach GraphQL endpoint 'down' (${server.downUrl}): Failed to fetch. Check that the server is running and allows this page's origin (CORS).`);

    await executeServerCommand('graphql-kill');
    try {
      error = await failure(run('{ shop { name } }'));
      expect(error.message).to.match(/^Cannot reach GraphQL endpoint 'shop'/);
    } finally {
      await executeServerCommand('graphql-start');
    }
    expect((await run('{ shop { name } }')).value).to.deep.equal({ shop: { name: 'Bento Tea Co.' } });
  });

  it('shows a proxy’s error page by its title and keeps the page as the server message', async () => {
    registerGraphQLEndpoint({ name: 'gateway', url: `${server.origin}/bad-gateway` });
    const error = await failure(runGraphQL('{ shop { name } }', { endpoint: 'gateway' }));
    expect(error.message).to.equal(`GraphQL endpoint 'gateway' (${server.origin}/bad-gateway) answered 502 (the server in between could not reach the GraphQL server): 502 Bad Gateway.`);
    expect(error.detail.status).to.equal(502);
    expect(error.detail.serverMessage).to.contain('upstream graphql is down');
  });

  it('says when the URL is not a GraphQL endpoint', async () => {
    registerGraphQLEndpoint({ name: 'wrong', url: `${server.origin}/nothing-here` });
    const error = await failure(runGraphQL('{ shop { name } }', { endpoint: 'wrong' }));
    expect(error.message).to.equal(`GraphQL endpoint 'wrong' (${server.origin}/nothing-here) answered 404: No route /nothing-here: try POST /graphql.`);
  });
});

describe('GraphQL headers and credentials', () => {
  it('sends the headers, and a 401 says to check them without showing them', async () => {
    registerGraphQLEndpoint({ name: 'private', url: `${server.origin}/private`, headers: { Authorization: `Bearer ${server.token}` } });
    expect((await runGraphQL('{ viewer { authorized } }', { endpoint: 'private' })).value).to.deep.equal({ viewer: { authorized: true } });

    registerGraphQLEndpoint({ name: 'wrong-token', url: `${server.origin}/private`, headers: { Authorization: 'Bearer wrong-token-123456' } });
    const error = await failure(runGraphQL('{ viewer { authorized } }', { endpoint: 'wrong-token' }));
    expect(error.message).to.equal(
      `GraphQL endpoint 'wrong-token' (${server.origin}/private) answered 401: Missing or wrong bearer token. Check the endpoint's headers or credentials (registerGraphQLEndpoint).`,
    );
    expect(error.detail.status).to.equal(401);
  });

  it('asks getHeaders before every request, and its headers win', async () => {
    let asked = 0;
    registerGraphQLEndpoint({
      name: 'getter',
      url: `${server.origin}/private`,
      headers: { Authorization: 'Bearer stale-token-000' },
      getHeaders: async () => {
        asked++;
        return { Authorization: `Bearer ${server.token}` };
      },
    });
    const result = await runGraphQL(ORDERS_PAGE, { endpoint: 'getter', path: 'orders.nodes', paginate: true, maxPages: 2 });
    expect(result.rows).to.equal(2000);
    expect(asked).to.equal(2);

    registerGraphQLEndpoint({
      name: 'getter-fails',
      url: server.url,
      getHeaders: () => {
        throw new Error('the sign-in popup was closed');
      },
    });
    const error = await failure(runGraphQL('{ shop { name } }', { endpoint: 'getter-fails' }));
    expect(error.message).to.equal(`GraphQL endpoint 'getter-fails' (${server.url}): the page's getHeaders() failed: the sign-in popup was closed`);
  });

  it('masks a header a server echoes in its error', async () => {
    const secret = `Bearer ${server.token}`;
    registerGraphQLEndpoint({ name: 'echo', url: server.url, getHeaders: () => ({ Authorization: secret }) });
    const error = await failure(runGraphQL('{ echoAuthorization }', { endpoint: 'echo' }));
    expect(error.message).to.contain("• Authorization '***' may not read this field. (at 1:3; path echoAuthorization)");
    const result = await runGraphQL('{ shop { name } echoAuthorization }', { endpoint: 'echo', allowPartial: true });
    expect(result.notes[0]).to.contain("Authorization '***' may not read this field.");
    expect(result.errors[0].message).to.equal("Authorization '***' may not read this field.");
    seen.push(...result.notes, JSON.stringify(result.errors));
  });

  it('sends cookies only when the endpoint says credentials: include', async () => {
    // The page's cookie is for its host; the server is on the same host, another port (same site).
    const url = new URL(server.url);
    url.hostname = location.hostname;
    document.cookie = 'bento_session=cookie-value-42; path=/';
    try {
      registerGraphQLEndpoint({ name: 'no-cookies', url: url.href });
      registerGraphQLEndpoint({ name: 'cookies', url: url.href, credentials: 'include' });
      expect((await runGraphQL('{ viewer { cookie } }', { endpoint: 'no-cookies' })).value).to.deep.equal({ viewer: { cookie: null } });
      expect((await runGraphQL('{ viewer { cookie } }', { endpoint: 'cookies' })).value).to.deep.equal({ viewer: { cookie: 'cookie-value-42' } });
    } finally {
      document.cookie = 'bento_session=; path=/; max-age=0';
    }
  });

  it('never showed a token in any message these tests saw', () => {
    expect(seen.length).to.be.greaterThan(20);
    for (const text of seen) {
      expect(text).not.to.contain(server.token);
      expect(text).not.to.contain('wrong-token-123456');
    }
  });
});

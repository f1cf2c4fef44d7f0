import { expect } from '@open-wc/testing';
import { readSheet, registerSheetSource, sheetSourceNames, unregisterSheetSource } from '../../src/data/sheet-sources.ts';
import { parseCsv, parseSheetReference, type SheetRequest, type SheetResult } from '../../src/data/sheets.ts';
import type { ColumnTable } from '../../src/data/table.ts';
import { columnValues, queryFailure } from '../helpers.ts';

// This run's stand-in for Google (scripts/fake-google.mjs, started by web-test-runner.config.mjs) on a loopback
// port of its own, so every read crosses origins as a read from Google does.
const google = (window as unknown as { __bentoFakeGoogle: { url: string; apiKey: string; token: string } }).__bentoFakeGoogle;

/** Every error message and server message a test saw, to check that no credential ever shows. */
const seen: string[] = [];

const failure = (promise: Promise<unknown>) => queryFailure(promise, seen);

const values = columnValues;

/** Every column as plain values (dates as ISO text), to compare two reads. */
function contents(table: ColumnTable): Record<string, unknown[]> {
  return Object.fromEntries(table.columnNames.map((name) => [name, values(table, name).map((v) => (v instanceof Date ? v.toISOString() : v))]));
}

const unique = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2)}`;
const quick = { attempts: 4, baseDelayMs: 5 };

before(() => {
  expect(google, 'the test runner starts the fake Google and tells the page').to.be.ok;
  performance.setResourceTimingBufferSize(100_000); // the last test reads every request's URL
  registerSheetSource({ name: 'public', csvBase: google.url, retry: quick });
  registerSheetSource({ name: 'keyed', apiKey: google.apiKey, apiBase: google.url, retry: quick });
  registerSheetSource({ name: 'signed-in', getAccessToken: async () => google.token, apiBase: google.url, retry: quick });
});

after(() => {
  for (const name of ['public', 'keyed', 'signed-in']) unregisterSheetSource(name);
});

const read = (request: SheetRequest, options = {}): Promise<SheetResult> => readSheet(request, options);

describe('Google Sheets: types as a person sees them', () => {
  it('reads a public sheet through the CSV export: numbers, TRUE/FALSE, dates, date-times, empty cells, quoted newlines', async () => {
    const { table, notes, endpoint, source } = await read({ sheet: 'public-orders' });
    expect(endpoint).to.equal('csv');
    expect(source).to.equal('Google Sheets (public link): public-orders');
    expect(notes).to.deep.equal([]);
    expect(table.schema.map((c) => [c.name, c.type, c.nullable])).to.deep.equal([
      ['order_id', 'int64', false],
      ['customer', 'string', true],
      ['amount', 'float64', true],
      ['paid', 'bool', true],
      ['ordered_on', 'date', true],
      ['shipped_at', 'timestamp', true],
      ['discount', 'float64', true],
      ['note', 'string', true],
    ]);
    expect(contents(table)).to.deep.equal({
      order_id: [1001n, 1002n, 1003n, 1004n],
      customer: ['Ada', 'Grace', 'Linus', null],
      amount: [1234.5, -20, 1_000_000, null],
      paid: [true, false, true, null],
      ordered_on: ['2024-01-15T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2023-12-31T00:00:00.000Z', null],
      shipped_at: ['2024-01-16T09:30:00.000Z', null, '2024-01-02T17:05:30.000Z', null],
      discount: [0.125, 0, null, null],
      note: ['first order, "rush"', 'line one\nline two', null, 'no customer yet'],
    });
  });

  it('reads the same table through the Sheets API, with an API key or with a token', async () => {
    const csv = await read({ sheet: 'public-orders' });
    const keyed = await read({ sheet: 'private-orders', source: 'keyed' });
    const signedIn = await read({ sheet: 'private-orders', source: 'signed-in' });
    expect(keyed.endpoint).to.equal('api');
    expect(keyed.source).to.equal('Google Sheets API: private-orders');
    expect(contents(keyed.table)).to.deep.equal(contents(csv.table));
    expect(keyed.table.schema).to.deep.equal(csv.table.schema);
    expect(contents(signedIn.table)).to.deep.equal(contents(csv.table));
  });

  it('keeps text whole: a column mixing kinds is text (said so), leading zeros stay, other number styles are numbers', async () => {
    const csv = await read({ sheet: 'mixed' });
    expect(contents(csv.table)).to.deep.equal({
      zip: ['02139', '10001'],
      value: ['5', 'n/a'],
      when: ['1/15/2024', 'soon'],
      score: [-1234.5, 7],
      ratio: [0.5, 1.25],
      flag: [true, false],
    });
    expect(csv.notes).to.deep.equal(["Column 'zip' mixes text and numbers: kept as text.", "Column 'value' mixes numbers and text: kept as text."]);

    // Through the API a cell typed as text ("TRUE") is text, not a boolean: the API says which cells are booleans.
    const api = await read({ sheet: 'mixed', source: 'keyed' });
    expect(contents(api.table)).to.deep.equal({ ...contents(csv.table), flag: ['TRUE', 'false'] });
    expect(api.table.column('score')!.type).to.equal('float64');
    expect(api.notes).to.deep.equal(["Column 'value' mixes numbers and text: kept as text."]);
  });

  it('reads day-first dates day first, and says so', async () => {
    for (const source of ['public', 'keyed']) {
      const { table, notes } = await read({ sheet: 'uk-dates', source });
      expect(contents(table), source).to.deep.equal({
        day: ['2024-01-15T00:00:00.000Z', '2024-02-03T00:00:00.000Z'],
        at: ['2024-03-04T08:00:00.000Z', '2024-12-25T23:59:59.000Z'],
      });
      expect(notes, source).to.deep.equal([
        "Column 'day': dates read day first (as in 15/01/2024), since some of them only fit that way.",
        "Column 'at': dates read day first (as in 15/01/2024), since some of them only fit that way.",
      ]);
    }
  });
});

describe('Google Sheets: which cells', () => {
  it("takes the tab from the URL's #gid=, or from --sheet", async () => {
    const url = `https://docs.google.com/spreadsheets/d/public-orders/edit#gid=1234`;
    for (const source of ['public', 'keyed']) {
      const byGid = await read({ sheet: url, source });
      expect(byGid.table.columnNames, source).to.deep.equal(['id', 'name', 'since']);
      expect(values(byGid.table, 'name')).to.deep.equal(['Ada', 'Grace']);
      const byName = await read({ sheet: 'public-orders', tab: 'Customers', source });
      expect(contents(byName.table)).to.deep.equal(contents(byGid.table));
    }
  });

  it('reads a --range only', async () => {
    for (const source of ['public', 'keyed']) {
      const { table } = await read({ sheet: 'public-orders', tab: 'Orders', range: 'B1:C3', source });
      expect(contents(table), source).to.deep.equal({ customer: ['Ada', 'Grace'], amount: [1234.5, -20] });
    }
  });

  it('makes blank and repeated header names unique and says so; --header N skips the rows above it', async () => {
    for (const source of ['public', 'keyed']) {
      const { table, notes } = await read({ sheet: 'header-quirks', header: 3, source });
      expect(table.columnNames, source).to.deep.equal(['region', 'column_2', 'region_3', 'Sales', 'region_2', 'column_6']);
      expect(values(table, 'region_3')).to.deep.equal(['x', 'w']);
      expect(values(table, 'column_2')).to.deep.equal([1n, 2n]);
      expect(notes, source).to.deep.equal(["'region' appears more than once in the header: column 3 is named 'region_3'.", "Columns 2, 6 have no header: named 'column_2', 'column_6'."]);
    }
  });

  it('--no-header names the columns by letter, from the first column of the range', async () => {
    for (const source of ['public', 'keyed']) {
      const whole = await read({ sheet: 'public-orders', header: false, source });
      expect(whole.table.columnNames.slice(0, 3), source).to.deep.equal(['A', 'B', 'C']);
      expect(whole.table.numRows).to.equal(5);
      expect(whole.table.column('A')!.type).to.equal('string'); // 'order_id' is now a value of column A
      const part = await read({ sheet: 'public-orders', range: 'C2:D3', header: false, source });
      expect(contents(part.table), source).to.deep.equal({ C: [1234.5, -20], D: [true, false] });
    }
  });

  it('pads ragged rows with nulls and never shifts a value; an empty row stays a row of nulls', async () => {
    for (const source of ['public', 'keyed']) {
      const { table, notes } = await read({ sheet: 'ragged', source });
      expect(contents(table), source).to.deep.equal({
        a: [1n, 2n, null, 4n],
        b: [null, 'two', null, null],
        c: [null, 3n, null, 6n],
        column_4: [null, 'extra', null, null],
      });
      expect(notes.join(' '), source).to.contain("named 'column_4'");
    }
  });

  it('parses the CSV export: quoted commas, doubled quotes, newlines, CRLF', () => {
    expect(parseCsv('"a","b,c"\r\n"say ""hi""","x\ny"\n"",""\n')).to.deep.equal([
      ['a', 'b,c'],
      ['say "hi"', 'x\ny'],
      ['', ''],
    ]);
    expect(parseCsv('1,2\n3,4')).to.deep.equal([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('takes a URL or a bare id, and says what to paste otherwise', async () => {
    expect(parseSheetReference('https://docs.google.com/spreadsheets/d/1AbC_d-9/edit?usp=sharing#gid=42')).to.deep.equal({ id: '1AbC_d-9', gid: '42' });
    expect(parseSheetReference('\n  1AbC_d-9  \n')).to.deep.equal({ id: '1AbC_d-9' });
    expect((await failure(read({ sheet: '' }))).message).to.contain("put the sheet's URL");
    expect((await failure(read({ sheet: 'https://example.com/some/page' }))).message).to.contain('should contain /spreadsheets/d/<id>/');
    expect((await failure(read({ sheet: 'https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml' }))).message).to.contain("'Publish to the web' link");
    expect((await failure(read({ sheet: 'one\ntwo' }))).message).to.contain('one sheet URL or id; it has 2 lines');
    expect((await failure(read({ sheet: 'public-orders', header: 0 }))).message).to.contain('--header must be a row number from 1');
  });

  it('names the known sources when a cell names another', async () => {
    expect(sheetSourceNames()).to.include.members(['public', 'keyed', 'signed-in']);
    const error = await failure(read({ sheet: 'public-orders', source: 'finance' }));
    expect(error.message).to.contain("No sheet source called 'finance'");
    expect(error.message).to.contain("'keyed'");
    expect(() => registerSheetSource({ name: 'bad name' })).to.throw(/letters, digits/);
    registerSheetSource({ name: 'leaky', csvBase: 'https://user:pw@example.com/' });
    expect((await failure(read({ sheet: 'public-orders', source: 'leaky' }))).message).to.equal(
      "Sheet source 'leaky': csvBase must be a plain base URL; put credentials in apiKey or getAccessToken.",
    );
    unregisterSheetSource('leaky');
  });
});

describe("Google Sheets: Google's errors", () => {
  it('says a private sheet is not shared publicly, whether Google answers a sign-in page or its JSON-ish error', async () => {
    const page = await failure(read({ sheet: 'private-orders' }));
    expect(page.message).to.equal(
      'Google answered a sign-in page instead of the sheet: the sheet is not shared publicly; register a source with an API key or token (registerSheetSource) and name it with --source.',
    );
    const json = await failure(read({ sheet: 'private-gviz-error' }));
    expect(json.message).to.contain('the sheet is not shared publicly; register a source with an API key or token');
    expect(json.detail.serverMessage).to.equal('Sign in to view this spreadsheet.');
  });

  it("shows Google's error objects as sent: 403 not shared, 404, 400 bad range, 400 bad key", async () => {
    const forbidden = await failure(read({ sheet: 'not-shared', tab: 'Sheet1', source: 'keyed' }));
    expect(forbidden.message).to.match(/^Google Sheets API answered 403 PERMISSION_DENIED: The caller does not have permission\. Share the sheet/);
    expect(forbidden.detail).to.include({ status: 403, serverMessage: 'The caller does not have permission', connector: 'keyed' });

    const missing = await failure(read({ sheet: 'no-such-sheet', tab: 'Sheet1', source: 'signed-in' }));
    expect(missing.message).to.equal("Google Sheets API answered 404 NOT_FOUND: Requested entity was not found. Check the sheet's URL or id ('no-such-sheet').");

    const badRange = await failure(read({ sheet: 'private-orders', tab: 'Nope', range: 'A1:F', source: 'keyed' }));
    expect(badRange.message).to.equal("Google Sheets API answered 400 INVALID_ARGUMENT: Unable to parse range: 'Nope'!A1:F. Check --sheet and --range (e.g. --sheet Orders --range A1:F).");
    expect(badRange.detail.serverMessage).to.equal("Unable to parse range: 'Nope'!A1:F");

    registerSheetSource({ name: 'wrong-key', apiKey: 'not-the-key', apiBase: google.url });
    const badKey = await failure(read({ sheet: 'private-orders', tab: 'Orders', source: 'wrong-key' }));
    expect(badKey.message).to.equal("Google Sheets API answered 400 INVALID_ARGUMENT: API key not valid. Pass a valid API key. Check the source's apiKey.");
    unregisterSheetSource('wrong-key');

    const csvMissing = await failure(read({ sheet: 'no-such-sheet' }));
    expect(csvMissing.message).to.equal("No spreadsheet with the id 'no-such-sheet' (Google Sheets (public link) answered 404): check the sheet's URL or id.");
  });

  it('asks for the token again once on a 401, and uses the fresh one', async () => {
    const given: string[] = [];
    const tokens = ['expired-token', google.token];
    registerSheetSource({ name: 'rotating', apiBase: google.url, getAccessToken: () => given[given.push(tokens[given.length] ?? 'none') - 1] });
    const { table } = await read({ sheet: 'private-orders', tab: 'Customers', source: 'rotating' });
    expect(values(table, 'name')).to.deep.equal(['Ada', 'Grace']);
    expect(given).to.deep.equal(['expired-token', google.token]);
    unregisterSheetSource('rotating');
  });

  it('asks only once more: a second 401 is an error that says the token was refused twice', async () => {
    let asked = 0;
    registerSheetSource({ name: 'stale', apiBase: google.url, getAccessToken: async () => `stale-${++asked}` });
    const error = await failure(read({ sheet: 'private-orders', tab: 'Orders', source: 'stale' }));
    expect(asked).to.equal(2);
    expect(error.detail.status).to.equal(401);
    expect(error.message).to.contain('answered 401 UNAUTHENTICATED: Request had invalid authentication credentials.');
    expect(error.message).to.contain('The access token was refused twice');
    expect(error.message).not.to.contain('stale-');

    registerSheetSource({ name: 'broken-getter', apiBase: google.url, getAccessToken: () => Promise.reject(new Error('popup closed')) });
    const getterFailed = await failure(read({ sheet: 'private-orders', source: 'broken-getter' }));
    expect(getterFailed.message).to.equal("The page's getAccessToken for sheet source 'broken-getter' failed: popup closed. Sign in again, or check how the page gets its token.");
    unregisterSheetSource('stale');
    unregisterSheetSource('broken-getter');
  });

  it('tries again after a 429, waiting as Retry-After asks, then reads the sheet', async () => {
    for (const source of ['public', 'keyed']) {
      const said: string[] = [];
      const { table } = await read({ sheet: unique('flaky429-'), tab: 'Orders', source }, { onProgress: ({ message }: { message: string }) => said.push(message) });
      expect(table.numRows, source).to.equal(4);
      const waits = said.filter((m) => m.includes('trying again'));
      expect(waits, source).to.have.length(2);
      expect(waits[0]).to.match(/answered 429; trying again in 1 s \(as its Retry-After asks\)/);
      expect(said.filter((m) => m.startsWith('reading')).length, source).to.equal(3);
    }
  });

  it('gives up on a 5xx after the configured tries and says what Google last answered', async () => {
    registerSheetSource({ name: 'patient', apiKey: google.apiKey, apiBase: google.url, retry: { attempts: 3, baseDelayMs: 5 } });
    const said: string[] = [];
    const error = await failure(read({ sheet: unique('down-'), tab: 'Orders', source: 'patient' }, { onProgress: ({ message }: { message: string }) => said.push(message) }));
    expect(error.message).to.equal(
      'Google Sheets API answered 503 UNAVAILABLE (The service is currently unavailable.) 3 times in a row; gave up. Google is having trouble: run the cell again later.',
    );
    expect(error.detail).to.include({ status: 503, serverMessage: 'The service is currently unavailable.' });
    // Exponential backoff: each wait twice the one before.
    expect(said.filter((m) => m.includes('trying again')).map((m) => /in (\d+) ms/.exec(m)?.[1])).to.deep.equal(['5', '10']);
    unregisterSheetSource('patient');
  });
});

describe('Google Sheets: stopping', () => {
  it('aborts a request Google has not answered', async () => {
    const controller = new AbortController();
    const reading = read({ sheet: unique('hang-'), tab: 'Orders', source: 'keyed' }, {
      signal: controller.signal,
      onProgress: ({ message }: { message: string }) => {
        if (message.startsWith('reading')) setTimeout(() => controller.abort(), 50);
      },
    });
    const error = await failure(reading);
    expect(error.detail.cancelled).to.equal(true);
    expect(error.message).to.equal('Cancelled: the sheet was not read.');
  });

  it('aborts while it waits to try again, and before it starts', async () => {
    const controller = new AbortController();
    const error = await failure(
      read({ sheet: unique('flaky429-'), tab: 'Orders' }, {
        signal: controller.signal,
        onProgress: ({ message }: { message: string }) => {
          if (message.includes('trying again')) controller.abort();
        },
      }),
    );
    expect(error.detail.cancelled).to.equal(true);

    const before = performance.getEntriesByType('resource').length;
    const aborted = await failure(read({ sheet: 'public-orders' }, { signal: AbortSignal.abort() }));
    expect(aborted.detail.cancelled).to.equal(true);
    expect(performance.getEntriesByType('resource').length).to.equal(before);
  });

  it('aborts while the page is getting a token', async () => {
    const controller = new AbortController();
    registerSheetSource({ name: 'slow-sign-in', apiBase: google.url, getAccessToken: () => new Promise<string>(() => controller.abort()) });
    const error = await failure(read({ sheet: 'private-orders', source: 'slow-sign-in' }, { signal: controller.signal }));
    expect(error.detail.cancelled).to.equal(true);
    unregisterSheetSource('slow-sign-in');
  });

  it('gives up after timeoutMs with a message that says so', async () => {
    const error = await failure(read({ sheet: unique('hang-'), tab: 'Orders' }, { timeoutMs: 300 }));
    expect(error.detail.timedOut).to.equal(true);
    expect(error.message).to.equal('Google Sheets (public link) did not answer within 300 ms; the read was stopped. Run the cell again, or read a smaller --range.');
  });
});

describe('Google Sheets: credentials', () => {
  it('never shows the key or token in an error, and never puts them in a URL', () => {
    expect(seen.length).to.be.greaterThan(20);
    for (const text of seen) {
      expect(text).not.to.contain(google.apiKey);
      expect(text).not.to.contain(google.token);
    }
    const urls = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => url.startsWith(google.url));
    expect(urls.some((url) => url.includes('/v4/spreadsheets/'))).to.equal(true);
    for (const url of urls) {
      expect(url).not.to.contain(google.apiKey);
      expect(url).not.to.contain(google.token);
    }
  });
});

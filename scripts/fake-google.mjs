// A local stand-in for the two Google endpoints `%%googlesheet` reads, because Google is unreachable from the
// machines that run the tests and the demo. It answers the documented shapes, not Google's every behaviour:
//
//   GET /spreadsheets/d/ID/gviz/tq?tqx=out:csv[&sheet=NAME|&gid=N][&range=A1:F][&headers=N]
//       the visualisation endpoint's CSV: every field quoted, values as the sheet formats them (thousands
//       separators, percentages, M/D/YYYY dates), newlines inside quotes; `headers=N` makes the first N rows of
//       the range the label line, `headers=0` writes no label line. A private sheet answers a login page (HTML)
//       or the JSON-ish `google.visualization.Query.setResponse({... status: "error" ...})`.
//   GET /v4/spreadsheets/ID/values/RANGE[?valueRenderOption=..&dateTimeRenderOption=..]
//       the Sheets API's ValueRange `{ range, majorDimension, values }`: trailing empty cells and rows left out,
//       FORMATTED_VALUE (the default) as text, UNFORMATTED_VALUE as JSON numbers and booleans with dates as
//       serial numbers (days since 1899-12-30; the default) or formatted strings (FORMATTED_STRING).
//   GET /v4/spreadsheets/ID?fields=sheets.properties   the tabs' titles and ids (a gid to a name).
//   Errors as Google's error object `{ error: { code, message, status } }`; CORS as Google's APIs answer it.
//
// Private sheets take the API key FAKE_GOOGLE_API_KEY (`key=` or `X-Goog-Api-Key`) or the bearer token
// FAKE_GOOGLE_TOKEN. Spreadsheet ids pick the fixture; ids that count requests take a suffix
// (`flaky429-<anything>`) so that each test has its own counter.
//
//   node scripts/fake-google.mjs [port]   serve it alone and print its base URL
import { createServer } from 'node:http';

export const FAKE_GOOGLE_API_KEY = 'fake-google-api-key-7Q2x';
export const FAKE_GOOGLE_TOKEN = 'fake-google-token-Hk93';

const date = (iso) => ({ date: iso });
const dateTime = (iso) => ({ dateTime: iso });
const formatted = (n, f) => ({ n, f });

/** The orders every public/private fixture shares: each kind of value the types must survive. */
const ORDERS = [
  ['order_id', 'customer', 'amount', 'paid', 'ordered_on', 'shipped_at', 'discount', 'note'],
  [1001, 'Ada', formatted(1234.5, '1,234.50'), true, date('2024-01-15'), dateTime('2024-01-16T09:30:00'), formatted(0.125, '12.5%'), 'first order, "rush"'],
  [1002, 'Grace', formatted(-20, '-20.00'), false, date('2024-02-29'), null, formatted(0, '0.0%'), 'line one\nline two'],
  [1003, 'Linus', formatted(1000000, '1,000,000.00'), true, date('2023-12-31'), dateTime('2024-01-02T17:05:30'), null, null],
  [1004, '', null, null, null, null, null, 'no customer yet'],
];
const CUSTOMERS = [
  ['id', 'name', 'since'],
  [1, 'Ada', date('2020-03-01')],
  [2, 'Grace', date('2021-11-30')],
];

/** Fixtures by spreadsheet id: `tabs` in order (the first is the default), and who may read them. */
const SHEETS = {
  'public-orders': { access: 'public', tabs: [{ title: 'Orders', gid: 0, rows: ORDERS }, { title: 'Customers', gid: 1234, rows: CUSTOMERS }] },
  // Private: the API answers with a key or token; the gviz endpoint answers a Google login page.
  'private-orders': { access: 'private', tabs: [{ title: 'Orders', gid: 0, rows: ORDERS }, { title: 'Customers', gid: 1234, rows: CUSTOMERS }] },
  // Private too, but the gviz endpoint answers its JSON-ish error instead of a login page.
  'private-gviz-error': { access: 'private', gvizError: true, tabs: [{ title: 'Sheet1', gid: 0, rows: CUSTOMERS }] },
  // Nobody the key or token stands for may read it: the API answers 403.
  'not-shared': { access: 'nobody', tabs: [{ title: 'Sheet1', gid: 0, rows: CUSTOMERS }] },
  ragged: {
    access: 'public',
    tabs: [{ title: 'Sheet1', gid: 0, rows: [['a', 'b', 'c'], [1], [2, 'two', 3, 'extra'], [], [4, null, 6]] }],
  },
  'header-quirks': {
    access: 'public',
    tabs: [
      {
        title: 'Report',
        gid: 0,
        rows: [['Quarterly report'], [], ['region', '', 'region', ' Sales ', 'region_2', ''], ['north', 1, 'x', 10, 'y', 'z'], ['south', 2, 'w', 20, 'v', 'u']],
      },
    ],
  },
  mixed: {
    access: 'public',
    tabs: [
      {
        title: 'Sheet1',
        gid: 0,
        rows: [
          ['zip', 'value', 'when', 'score', 'ratio', 'flag'],
          ['02139', 5, date('2024-01-15'), formatted(-1234.5, '(1,234.50)'), formatted(0.5, '50%'), 'TRUE'],
          ['10001', 'n/a', 'soon', 7, formatted(1.25, '125%'), 'false'],
        ],
      },
    ],
  },
  // Day-first dates as a British spreadsheet formats them.
  'uk-dates': {
    access: 'public',
    locale: 'en_GB',
    tabs: [{ title: 'Sheet1', gid: 0, rows: [['day', 'at'], [date('2024-01-15'), dateTime('2024-03-04T08:00:00')], [date('2024-02-03'), dateTime('2024-12-25T23:59:59')]] }],
  },
};

/** Ids that behave by prefix: their state is per full id, so tests do not share counters. */
const BEHAVIOURS = {
  // 429 twice (with Retry-After: 1), then the orders.
  'flaky429-': { access: 'either', tabs: SHEETS['public-orders'].tabs, failures: 2, failStatus: 429 },
  // 503 forever.
  'down-': { access: 'either', tabs: SHEETS['public-orders'].tabs, failures: Infinity, failStatus: 503 },
  // Holds the request open until the client goes away.
  'hang-': { access: 'either', tabs: SHEETS['public-orders'].tabs, hang: true },
};
const requestsById = new Map();

function fixture(id) {
  if (SHEETS[id]) return SHEETS[id];
  const prefix = Object.keys(BEHAVIOURS).find((p) => id.startsWith(p));
  return prefix ? BEHAVIOURS[prefix] : null;
}

// --- values as a spreadsheet shows them -----------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');
const SERIAL_EPOCH = Date.UTC(1899, 11, 30);

function formattedDate(iso, locale) {
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number);
  return locale === 'en_GB' ? `${pad(d)}/${pad(m)}/${y}` : `${m}/${d}/${y}`;
}

function formattedDateTime(iso, locale) {
  const [hh, mm, ss] = iso.slice(11, 19).split(':').map(Number);
  return `${formattedDate(iso, locale)} ${locale === 'en_GB' ? pad(hh) : hh}:${pad(mm)}:${pad(ss)}`;
}

function serial(iso) {
  return (Date.parse(`${iso.length === 10 ? `${iso}T00:00:00` : iso}Z`) - SERIAL_EPOCH) / 86_400_000;
}

/** A cell's FORMATTED_VALUE: the text the sheet shows. */
function formattedText(cell, locale) {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  if (typeof cell === 'number' || typeof cell === 'string') return String(cell);
  if ('f' in cell) return cell.f;
  if ('date' in cell) return formattedDate(cell.date, locale);
  return formattedDateTime(cell.dateTime, locale);
}

/** A cell as the Sheets API renders it for the given options (undefined for an empty cell). */
function apiValue(cell, valueRender, dateRender, locale) {
  if (cell === null || cell === undefined || cell === '') return undefined;
  if (valueRender === 'FORMATTED_VALUE') return formattedText(cell, locale);
  if (typeof cell !== 'object') return cell;
  if ('n' in cell) return cell.n;
  const iso = cell.date ?? cell.dateTime;
  return dateRender === 'FORMATTED_STRING' ? formattedText(cell, locale) : serial(iso);
}

// --- A1 ranges --------------------------------------------------------------------------------------------------

function columnNumber(letters) {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + ch.charCodeAt(0) - 64;
  return n;
}

function columnLetters(n) {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** `'Tab'!A1:F`, `Tab!B2`, `A1:F`, `Tab`: the tab (or null: the first) and 0-based bounds (Infinity: open). */
function parseRange(text, tabs) {
  let tabTitle = null;
  let cells = text;
  const bang = text.lastIndexOf('!');
  if (bang >= 0) {
    tabTitle = text.slice(0, bang).replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
    cells = text.slice(bang + 1);
  } else if (/^'.*'$/.test(text) || tabs.some((t) => t.title === text)) {
    tabTitle = text.replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
    cells = '';
  }
  const tab = tabTitle === null ? tabs[0] : tabs.find((t) => t.title === tabTitle);
  if (!tab) return null;
  if (!cells) return { tab, top: 0, left: 0, bottom: Infinity, right: Infinity };
  const match = /^([A-Za-z]{1,3})(\d*)(?::([A-Za-z]{1,3})(\d*))?$/.exec(cells);
  if (!match) return null;
  const [, c1, r1, c2, r2] = match;
  const left = columnNumber(c1) - 1;
  const top = r1 ? Number(r1) - 1 : 0;
  const right = c2 ? columnNumber(c2) - 1 : match[3] === undefined && r1 ? left : Infinity;
  const bottom = r2 ? Number(r2) - 1 : match[3] === undefined && r1 ? top : Infinity;
  if (r1 === '0' || r2 === '0' || right < left || bottom < top) return null;
  return { tab, top, left, bottom, right };
}

/** The cells of a range, clipped to the data; also the A1 text of what was returned. */
function cellsOf({ tab, top, left, bottom, right }) {
  const rows = tab.rows.slice(top, bottom === Infinity ? undefined : bottom + 1).map((row) => row.slice(left, right === Infinity ? undefined : right + 1));
  const width = Math.max(0, ...rows.map((r) => r.length));
  const lastColumn = right === Infinity ? left + Math.max(width, 1) - 1 : right;
  const lastRow = bottom === Infinity ? top + Math.max(rows.length, 1) - 1 : bottom;
  const a1 = `'${tab.title.replace(/'/g, "''")}'!${columnLetters(left + 1)}${top + 1}:${columnLetters(lastColumn + 1)}${lastRow + 1}`;
  return { rows, width, a1 };
}

// --- HTTP -------------------------------------------------------------------------------------------------------

/** CORS as Google's endpoints answer it: the caller's origin echoed, the preflight's headers allowed. */
function corsHeaders(req) {
  const origin = req.headers.origin;
  return origin
    ? {
        'access-control-allow-origin': origin,
        vary: 'Origin',
        'access-control-expose-headers': 'Retry-After, Content-Type',
      }
    : {};
}

function send(req, res, status, type, body, extra = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...corsHeaders(req), ...extra });
  res.end(body);
}

function googleError(req, res, code, status, message, extra = {}, details) {
  const error = { code, message, status, ...(details ? { details } : {}) };
  send(req, res, code, 'application/json; charset=UTF-8', JSON.stringify({ error }, null, 2), extra);
}

const csvField = (text) => `"${text.replace(/"/g, '""')}"`;

function gvizError(req, res, reason, message, detailed) {
  const body = { version: '0.6', reqId: '0', status: 'error', errors: [{ reason, message, detailed_message: detailed }] };
  send(req, res, 200, 'application/javascript; charset=utf-8', `/*O_o*/\ngoogle.visualization.Query.setResponse(${JSON.stringify(body)});`);
}

const LOGIN_PAGE = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts</title></head>
<body><form action="/signin" method="post"><h1>Sign in</h1><p>to continue to Sheets</p><input type="email" name="identifier"></form></body></html>`;

/** How a failing or hanging fixture answers this request; true when it answered. */
function misbehave(req, res, id, sheet) {
  if (sheet.hang) {
    const timer = setTimeout(() => send(req, res, 504, 'text/plain', 'gave up'), 120_000);
    req.on('close', () => clearTimeout(timer));
    res.on('close', () => clearTimeout(timer));
    return true;
  }
  if (!sheet.failures) return false;
  const count = (requestsById.get(id) ?? 0) + 1;
  requestsById.set(id, count);
  if (count > sheet.failures) return false;
  if (sheet.failStatus === 429) {
    googleError(req, res, 429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Read requests' of service 'sheets.googleapis.com'.", { 'retry-after': '1' });
  } else {
    googleError(req, res, 503, 'UNAVAILABLE', 'The service is currently unavailable.');
  }
  return true;
}

function authorised(req, url) {
  const key = url.searchParams.get('key') ?? req.headers['x-goog-api-key'];
  const auth = req.headers.authorization;
  if (auth !== undefined) return auth === `Bearer ${FAKE_GOOGLE_TOKEN}` ? 'token' : 'bad-token';
  if (key !== undefined) return key === FAKE_GOOGLE_API_KEY ? 'key' : 'bad-key';
  return 'anonymous';
}

function answerGviz(req, res, id, url) {
  const sheet = fixture(id);
  if (!sheet) {
    send(req, res, 404, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Page Not Found</title></head><body><p>Sorry, unable to open the file at this time.</p></body></html>');
    return;
  }
  if (sheet.access === 'private' || sheet.access === 'nobody') {
    if (sheet.gvizError) gvizError(req, res, 'user_not_authenticated', 'User not signed in', 'Sign in to view this spreadsheet.');
    else send(req, res, 200, 'text/html; charset=utf-8', LOGIN_PAGE);
    return;
  }
  if (misbehave(req, res, id, sheet)) return;
  if (url.searchParams.get('tqx') !== 'out:csv') {
    gvizError(req, res, 'invalid_request', 'Invalid request', 'This fake answers tqx=out:csv only.');
    return;
  }
  const name = url.searchParams.get('sheet');
  const gid = url.searchParams.get('gid');
  const tab = name ? sheet.tabs.find((t) => t.title === name) : gid ? sheet.tabs.find((t) => String(t.gid) === gid) : sheet.tabs[0];
  if (!tab) {
    gvizError(req, res, 'invalid_query', 'Invalid query', `Unable to find the sheet '${name ?? gid}'.`);
    return;
  }
  const range = parseRange(url.searchParams.get('range') ?? '', [tab]);
  if (!range) {
    gvizError(req, res, 'invalid_query', 'Invalid query', `Invalid range: ${url.searchParams.get('range')}`);
    return;
  }
  const { rows, width } = cellsOf(range);
  const headers = Number(url.searchParams.get('headers') ?? 1);
  const line = (row) => Array.from({ length: width }, (_, i) => csvField(formattedText(row[i], sheet.locale))).join(',');
  const labels = headers > 0 ? [Array.from({ length: width }, (_, i) => rows.slice(0, headers).map((r) => formattedText(r[i], sheet.locale)).filter(Boolean).join(' '))] : [];
  const body = [...labels.map((l) => l.map(csvField).join(',')), ...rows.slice(headers).map(line)].join('\n');
  send(req, res, 200, 'text/csv; charset=utf-8', body);
}

function answerApi(req, res, id, rest, url) {
  const sheet = fixture(id);
  const who = authorised(req, url);
  if (who === 'anonymous') {
    googleError(req, res, 403, 'PERMISSION_DENIED', 'The request is missing a valid API key.');
    return;
  }
  if (who === 'bad-key') {
    googleError(req, res, 400, 'INVALID_ARGUMENT', 'API key not valid. Pass a valid API key.', {}, [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
    ]);
    return;
  }
  if (who === 'bad-token') {
    googleError(req, res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
    return;
  }
  if (!sheet) {
    googleError(req, res, 404, 'NOT_FOUND', 'Requested entity was not found.');
    return;
  }
  if (sheet.access === 'nobody') {
    googleError(req, res, 403, 'PERMISSION_DENIED', 'The caller does not have permission');
    return;
  }
  if (misbehave(req, res, id, sheet)) return;
  if (rest === '') {
    // spreadsheets.get, with only the tabs' properties.
    const sheets = sheet.tabs.map((t, index) => ({ properties: { sheetId: t.gid, title: t.title, index, sheetType: 'GRID' } }));
    send(req, res, 200, 'application/json; charset=UTF-8', JSON.stringify({ sheets }, null, 2));
    return;
  }
  const match = /^\/values\/([^/]+)$/.exec(rest);
  if (!match) {
    googleError(req, res, 404, 'NOT_FOUND', 'Requested entity was not found.');
    return;
  }
  const rangeText = decodeURIComponent(match[1]);
  const range = parseRange(rangeText, sheet.tabs);
  if (!range) {
    googleError(req, res, 400, 'INVALID_ARGUMENT', `Unable to parse range: ${rangeText}`);
    return;
  }
  const valueRender = url.searchParams.get('valueRenderOption') ?? 'FORMATTED_VALUE';
  const dateRender = url.searchParams.get('dateTimeRenderOption') ?? 'SERIAL_NUMBER';
  const { rows, a1 } = cellsOf(range);
  // The API leaves out trailing empty cells of a row, and trailing empty rows.
  const values = rows.map((row) => {
    const out = row.map((cell) => apiValue(cell, valueRender, dateRender, sheet.locale));
    while (out.length && out[out.length - 1] === undefined) out.pop();
    return out.map((v) => v ?? '');
  });
  while (values.length && values[values.length - 1].length === 0) values.pop();
  const body = { range: a1, majorDimension: 'ROWS', ...(values.length ? { values } : {}) };
  send(req, res, 200, 'application/json; charset=UTF-8', JSON.stringify(body, null, 2));
}

/**
 * The request handler: answers and returns true for the fake's paths under `prefix`, returns false for any
 * other request (so a server can mount it beside its own routes).
 */
export function fakeGoogle({ prefix = '' } = {}) {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.google');
    if (prefix && !url.pathname.startsWith(`${prefix}/`)) return false;
    const path = url.pathname.slice(prefix.length);
    const gviz = /^\/spreadsheets\/d\/([^/]+)\/gviz\/tq$/.exec(path);
    const api = /^\/v4\/spreadsheets\/([^/]+)(.*)$/.exec(path);
    if (!gviz && !api) return false;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...corsHeaders(req),
        'access-control-allow-methods': 'GET,OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
        'access-control-max-age': '3600',
      });
      res.end();
      return true;
    }
    if (req.method !== 'GET') {
      googleError(req, res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here.`);
      return true;
    }
    if (gviz) answerGviz(req, res, decodeURIComponent(gviz[1]), url);
    else answerApi(req, res, decodeURIComponent(api[1]), api[2], url);
    return true;
  };
}

/** Starts the fake on a loopback port of its own; resolves with its base URL and a stop function. */
export function startFakeGoogle({ port = 0, host = '127.0.0.1' } = {}) {
  const handle = fakeGoogle();
  const server = createServer((req, res) => {
    if (!handle(req, res)) send(req, res, 404, 'text/plain; charset=utf-8', `Not a fake Google path: ${req.url}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const url = `http://${host}:${server.address().port}`;
      resolve({
        url,
        stop: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startFakeGoogle({ port: Number(process.argv[2] ?? 0) });
  console.log(`Fake Google (sheets) at ${url}: csvBase and apiBase of registerSheetSource`);
}

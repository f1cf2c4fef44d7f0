// Finds a Chromium or Chrome for the tests and benchmarks; installs Debian's `chromium` when none exists and
// this process may (root on Debian/Ubuntu). Otherwise stops with a message saying exactly what to install.
import { existsSync } from 'node:fs';
import { findOrInstall } from './system.mjs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

function found() {
  if (process.env.CHROME_PATH) {
    if (existsSync(process.env.CHROME_PATH)) return process.env.CHROME_PATH;
    throw new Error(`CHROME_PATH is set to ${process.env.CHROME_PATH}, but no file is there.`);
  }
  return CANDIDATES.find((path) => existsSync(path));
}

export function ensureChromium() {
  return findOrInstall({
    find: found,
    packages: ['chromium'],
    reason: 'No Chromium found',
    help:
      'The tests need Chromium or Google Chrome, and none was found.\n' +
      '  Debian/Ubuntu: sudo apt-get install chromium\n' +
      '  elsewhere:     install Chrome, or set CHROME_PATH=/path/to/chrome',
  });
}

/** Flags for headless Chromium on a closed network, as root in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

if (import.meta.url === `file://${process.argv[1]}`) console.log(ensureChromium());

// Shared by the benchmarks: the project's server and a fresh headless Chromium per measurement.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, ensureChromium } from '../scripts/chromium.mjs';

/** Opens `url` in a browser with a brand-new profile (cold HTTP cache) and waits for window.benchResult. */
export async function measurePage(url, { timeoutMs = 120_000 } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'bento-bench-'));
  const browser = await puppeteer.launch({
    executablePath: ensureChromium(),
    headless: true,
    userDataDir: profile,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction('window.benchResult !== undefined', { timeout: timeoutMs, polling: 5 });
    return await page.evaluate('window.benchResult');
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

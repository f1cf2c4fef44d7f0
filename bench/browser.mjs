// Shared by the benchmarks: headless Chromium with a profile of its own, and the statistics they print.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, ensureChromium } from '../scripts/chromium.mjs';

/**
 * Runs `use(browser)` in a headless Chromium with a brand-new profile (cold HTTP cache, empty storage),
 * then closes it and deletes the profile.
 */
export async function withBrowser(use) {
  const profile = await mkdtemp(join(tmpdir(), 'bento-bench-'));
  const browser = await puppeteer.launch({ executablePath: ensureChromium(), headless: true, userDataDir: profile, args: CHROMIUM_ARGS });
  try {
    return await use(browser);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Opens `url` in `browser` and resolves with window.benchResult once the page sets it (throws its error). */
export async function visit(browser, url, { timeoutMs = 120_000, keepOpen = false } = {}) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`  [page error] ${error.message}`));
  await page.goto(url);
  await page.waitForFunction('window.benchResult !== undefined', { timeout: timeoutMs, polling: 5 });
  const result = await page.evaluate('window.benchResult');
  if (!keepOpen) await page.close();
  if (result?.error) throw new Error(`${url}: ${result.error}`);
  return keepOpen ? { result, page } : result;
}

/** Opens `url` with a fresh profile (cold HTTP cache) and resolves with window.benchResult. */
export function measurePage(url, options = {}) {
  return withBrowser((browser) => visit(browser, url, options));
}

export function median(values) {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

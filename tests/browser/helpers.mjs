// Shared set-up for the browser end-to-end tests: the static server (pkg-scripts/serve.mjs, in
// process, on a free port), headless Debian Chromium through playwright-core with a fresh profile, a
// watcher for console errors and bad requests, and canvas statistics.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../pkg-scripts/lib/chromium.mjs';
import { serveStatic } from '../../pkg-scripts/serve.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/**
 * Serves www/ (pkg-scripts/serve.mjs, in process) on a free port; resolves to {url, close()}.
 * `isolation: false` leaves COOP/COEP out; `args` are the server's CLI options
 * (['--csp', POLICY], ['--cors'], ['--root', DIR]).
 */
export function startServer({ isolation = true, args = [] } = {}) {
  const opts = { root: join(ROOT, 'www'), isolation };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--cors') opts.cors = true;
    else if (a === '--no-isolation') opts.isolation = false;
    else if ((a === '--csp' || a === '--root') && i + 1 < args.length) opts[a.slice(2)] = args[++i];
    else return Promise.reject(new Error(`startServer: unknown server option ${a}`));
  }
  return serveStatic(opts);
}

/**
 * Records the page's compute workers: those rpc.js starts (named `latentlab`, or `latentlab?…`
 * with their options), not the threaded build's pool workers. Returns an async function that resolves to their URLs.
 */
export function computeWorkers(page) {
  const seen = [];
  page.on('worker', (w) => {
    seen.push(w.evaluate(() => self.name).then((name) => (/^latentlab(\?|$)/.test(name) ? w.url() : null), () => null));
  });
  return async () => (await Promise.all(seen)).filter(Boolean);
}

/**
 * Headless Chromium with a fresh user-data-dir; resolves to {context, close()}. `options` go to
 * playwright's launchPersistentContext (e.g. `serviceWorkers: 'block'`).
 */
export async function launchBrowser(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'latentlab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records what must not happen on a page: console errors, uncaught exceptions, failed
 * requests, HTTP errors and requests to any host but 127.0.0.1.
 */
export function watch(page, origin) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (['data:', 'blob:'].includes(url.protocol)) return;
    if (url.hostname !== '127.0.0.1' || (origin && url.origin !== origin)) problems.push(`foreign request: ${req.url()}`);
  });
  page.on('worker', (worker) => {
    worker.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`worker console error: ${msg.text()}`);
    });
  });
  return problems;
}

/**
 * Opens the demo page served by `server` at `hash` (e.g. `#sample`) in a new tab of `browser`
 * and waits until it is ready; on `#train`, also until the Train form lists its kinds. Returns
 * the tab and the problems `watch` records on it.
 */
export async function openLab(browser, server, hash) {
  const page = await browser.context.newPage();
  const problems = watch(page, new URL(server.url).origin);
  await page.goto(`${server.url}${hash}`);
  await page.waitForFunction(() => window.__latentlab?.ready === true, null, { timeout: 60_000 });
  if (hash === '#train') await page.waitForFunction(() => document.querySelectorAll('#train-kind option').length > 0);
  return { page, problems };
}

/**
 * Clicks `locator` and answers the confirm() dialog the click opens: accepts it, or declines it
 * with `{ accept: false }` (playwright alone declines every dialog). Resolves to the dialog's
 * message; a click that opens none fails after `timeout` ms.
 */
export async function clickConfirming(locator, { accept = true, timeout = 10_000 } = {}) {
  const answered = locator
    .page()
    .waitForEvent('dialog', { timeout })
    .then(async (dialog) => {
      await (accept ? dialog.accept() : dialog.dismiss());
      return dialog.message();
    });
  const [message] = await Promise.all([answered, locator.click()]);
  return message;
}

/**
 * Adds the page's Content-Security-Policy violations to `problems` (from its
 * securitypolicyviolation events and from the console of the page and its workers, where
 * Chromium reports them). Call before navigating.
 */
export async function watchCsp(page, problems) {
  const csp = (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  };
  page.on('console', csp);
  page.on('worker', (worker) => worker.on('console', csp));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
}

/**
 * Pixel statistics of a canvas (a CSS selector, or a Locator, which reaches into shadow
 * roots): size, mean and variance of the luminance, and a checksum to tell frames apart.
 */
export async function canvasStats(pageOrLocator, selector) {
  const fn = (c) => {
    const { width: w, height: h } = c;
    const d = c.getContext('2d').getImageData(0, 0, w, h).data;
    let sum = 0;
    let sq = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      sum += y;
      sq += y * y;
      hash = (Math.imul(hash, 31) + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
    }
    const n = w * h;
    const mean = sum / n;
    return { w, h, mean, variance: sq / n - mean * mean, hash, rendered: Number(c.dataset.rendered || 0) };
  };
  if (selector === undefined) return pageOrLocator.evaluate(fn);
  return pageOrLocator.locator(selector).evaluate(fn);
}

/**
 * Pixels of a scatter canvas in the samples' orange (#f28e2b, drawn at alpha 0.75 over the
 * white-to-blue-to-red background): how much of the plot the samples cover. A well-trained
 * 2-D GAN puts its samples in tight clusters on a near-uniform discriminator map, so the
 * canvas's variance alone says little.
 */
export async function orangePixels(page, selector) {
  return page.locator(selector).evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (r > 180 && r - b > 100 && g > 100 && g < 200) n++;
    }
    return n;
  });
}

/** Luminance variance of one tile (index `i` of a grid of `cols` columns of w×h with `gap`). */
export async function tileStats(page, selector, i, { cols, w = 28, h = 28, gap = 1 }) {
  return page.locator(selector).evaluate(
    (c, a) => {
      const x = (a.i % a.cols) * (a.w + a.gap);
      const y = Math.floor(a.i / a.cols) * (a.h + a.gap);
      const d = c.getContext('2d').getImageData(x, y, a.w, a.h).data;
      let s = 0;
      let q = 0;
      for (let k = 0; k < d.length; k += 4) {
        s += d[k];
        q += d[k] * d[k];
      }
      const n = d.length / 4;
      return { mean: s / n, variance: q / n - (s / n) ** 2 };
    },
    { i, cols, w, h, gap },
  );
}

/** Waits until `canvas[data-rendered]` exceeds `after` (the count before an action). */
export async function waitRendered(page, selector, after = 0, timeout = 30_000) {
  await page.waitForFunction(
    ([sel, n]) => Number(document.querySelector(sel)?.dataset.rendered || 0) > n,
    [selector, after],
    { timeout },
  );
}

export async function rendered(page, selector) {
  return page.evaluate((sel) => Number(document.querySelector(sel)?.dataset.rendered || 0), selector);
}

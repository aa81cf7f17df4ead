// Benches A–E in headless Chromium (Debian's /usr/bin/chromium through playwright-core), plus
// the demo page's metrics. Usage:
//   node benches/browser/run-chromium.mjs [--quick] [--only A,C] [--loads 5] [--no-page]
//     [--threads N] [--no-threads | --threads-only] [--out FILE]
// Writes {runtime, meta, results, threaded, page} as JSON to FILE (default stdout); progress
// on stderr. `threaded`: Latent Lab's threaded build (www/pkg-threads, with its relaxed-simd
// module where Chromium runs relaxed-simd) in a Web Worker with a
// pool of 1 and of N threads (default: the demo's pool size, www/wasm.js), when built;
// --threads-only runs only those (no TF.js, no single-thread rows: a quick look at scaling).
//
// Benches: bench.html served by pkg-scripts/serve.mjs (repo root, COOP/COEP), Chromium launched
// with docs/toolchain.md's flags plus --js-flags=--no-liftoff (benches/README.md protocol).
// Page: www/index.html served by pkg-scripts/serve.mjs; `loads` fresh page loads (each in a
// new browser context: empty HTTP and code caches); time to the first sample grid is the
// page's own window.__latentlab.firstGridMs (performance.now() at the first drawn grid, i.e.
// from navigation start). That is done twice: in a browser with Chromium's default V8 tiers
// (what visitors get: Liftoff first) and in the --no-liftoff bench browser.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BENCHES } from './bench-core.mjs';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../pkg-scripts/lib/chromium.mjs';
import { serveStatic } from '../../pkg-scripts/serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const only = (opt('--only') ?? Object.keys(BENCHES).join(',')).split(',').map((s) => s.trim().toUpperCase());
const loads = Number(opt('--loads') ?? 5);
const doPage = !args.includes('--no-page');
const doBench = !args.includes('--no-bench');
const poolSize = opt('--threads') === undefined ? null : Number(opt('--threads'));
const threadsOnly = args.includes('--threads-only');
const doThreads = !args.includes('--no-threads') && fs.existsSync(path.join(ROOT, 'www', 'pkg-threads', 'latentlab_bg.wasm'));
if (threadsOnly && !doThreads) throw new Error('--threads-only needs www/pkg-threads (pkg-scripts/build-wasm --only threads)');
const out = opt('--out');
const log = (s) => process.stderr.write(`${s}\n`);

const BENCH_FLAGS = [...CHROMIUM_FLAGS, '--js-flags=--no-liftoff'];

async function launch(flags) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: flags });
}

function forwardConsole(page, prefix) {
  page.on('console', (msg) => {
    const t = msg.text();
    if (t.startsWith('chromium: ')) log(t);
    else if (msg.type() === 'error' || msg.type() === 'warning') log(`${prefix} console ${msg.type()}: ${t}`);
  });
  page.on('pageerror', (err) => log(`${prefix} page error: ${err.message}`));
  page.on('worker', (w) => {
    w.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') log(`${prefix} worker console ${msg.type()}: ${msg.text()}`);
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function runBenchPage(browser) {
  // The repository root, but only what the bench page loads.
  const server = await serveStatic({ root: ROOT, allow: ['/benches/browser/', '/www/pkg/', '/www/pkg-threads/', '/www/wasm.js', '/node_modules/@tensorflow/'] });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    forwardConsole(page, 'bench');
    await page.goto(`${server.url}benches/browser/bench.html`);
    await page.waitForFunction(() => window.benchReady !== undefined, null, { timeout: 60_000 });
    await page.evaluate(() => window.benchReady);
    const res = threadsOnly
      ? {
          meta: await page.evaluate(() => ({ crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, threadsOnly: true })),
          results: null,
        }
      : await page.evaluate((o) => window.runBenches(o), { quick, only });
    if (doThreads) {
      const threads = poolSize ? [1, poolSize] : undefined;
      res.threaded = await page.evaluate((o) => window.runThreadedBenches(o), { quick, only, threads });
    } else log('threaded benches skipped (--no-threads, or www/pkg-threads not built)');
    await context.close();
    return res;
  } finally {
    await server.close();
  }
}

/** One fresh load of the demo: new context, goto, wait for the first sample grid. */
async function pageLoad(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  forwardConsole(page, 'demo');
  try {
    await page.goto(url, { waitUntil: 'commit' });
    // The page's own timing hook (www/app.js) — or, if a future page lacks it, the first
    // non-blank canvas as seen from outside.
    const res = await page.waitForFunction(
      () => {
        const lab = window.__latentlab;
        if (lab) {
          if (lab.errors?.length) return { error: lab.errors.join('; ') };
          if (lab.firstGridMs != null) {
            return {
              source: 'window.__latentlab.firstGridMs',
              firstGridMs: lab.firstGridMs,
              lastSampleMs: lab.lastSampleMs,
              lastSampleWorkerMs: lab.lastSampleWorkerMs,
              lastSampleN: lab.lastSampleN,
              model: lab.model?.title ?? lab.model?.id ?? null,
            };
          }
          return null;
        }
        if (document.readyState !== 'complete') return null;
        for (const c of document.querySelectorAll('canvas')) {
          if (!c.width || !c.height) continue;
          const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
          if (d && d.some((v, i) => i % 4 === 3 && v !== 0)) {
            return { source: 'first non-blank canvas (polled)', firstGridMs: performance.now() };
          }
        }
        return null;
      },
      null,
      { polling: 20, timeout: 120_000 },
    );
    const v = await res.jsonValue();
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return {
        domContentLoadedMs: n?.domContentLoadedEventEnd ?? null,
        loadMs: n?.loadEventEnd ?? null,
        crossOriginIsolated: globalThis.crossOriginIsolated,
      };
    });
    return { ...v, ...nav };
  } finally {
    await context.close();
  }
}

async function pageMetrics(browser, label) {
  const server = await serveStatic();
  try {
    const runs = [];
    for (let i = 0; i < loads; i++) {
      const r = await pageLoad(browser, server.url);
      log(`page (${label}) load ${i + 1}/${loads}: ${r.error ? `ERROR ${r.error}` : `first grid ${r.firstGridMs.toFixed(0)} ms (${r.source})`}`);
      runs.push(r);
    }
    const ok = runs.filter((r) => !r.error).map((r) => r.firstGridMs).sort((a, b) => a - b);
    const m = ok.length >> 1;
    return {
      flags: label,
      loads,
      firstGridMs: ok.length
        ? { median: ok.length % 2 ? ok[m] : (ok[m - 1] + ok[m]) / 2, min: ok[0], max: ok[ok.length - 1] }
        : null,
      runs,
    };
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------

const report = { runtime: 'chromium', meta: { flags: BENCH_FLAGS, quick }, simdPeak: null, results: null, threaded: null, page: null };
const benchBrowser = await launch(BENCH_FLAGS);
try {
  report.meta.chromium = benchBrowser.version();
  if (doBench) {
    const r = await runBenchPage(benchBrowser);
    Object.assign(report.meta, r.meta);
    report.simdPeak = r.simdPeak ?? null;
    report.fmaPeak = r.fmaPeak ?? null;
    report.results = r.results;
    report.threaded = r.threaded ?? null;
  }
  if (doPage) {
    report.page = {};
    report.page.noLiftoff = await pageMetrics(benchBrowser, '--js-flags=--no-liftoff (bench browser)');
  }
} finally {
  await benchBrowser.close();
}
if (doPage) {
  const plain = await launch(CHROMIUM_FLAGS);
  try {
    report.page.default = await pageMetrics(plain, 'default V8 tiers');
  } finally {
    await plain.close();
  }
}
const json = `${JSON.stringify(report, null, 2)}\n`;
if (out) fs.writeFileSync(out, json);
else process.stdout.write(json);

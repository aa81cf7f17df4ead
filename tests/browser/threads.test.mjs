// Threads in the browser: served with COOP/COEP the page runs the threaded wasm build
// (www/pkg-threads, its relaxed-simd module since Chromium has relaxed-simd; the plain one with
// ?relaxed=0) with a rayon pool of several threads and trains; served without the headers it
// falls back to the single-thread build and says so, unless coi-sw.js (the service worker for
// header-less hosts) is allowed, which makes it isolated after one reload; the threaded and
// single-thread builds give the same samples for a seed, and the relaxed-simd modules (fused
// multiply-adds) the plain ones' within 1e-4.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, clickConfirming, launchBrowser, startServer, watch } from './helpers.mjs';

let isolated; // serve.mjs with COOP/COEP
let plain; // serve.mjs --no-isolation
let browser; // service workers allowed
let noSw; // service workers blocked: a header-less host stays unisolated
const problems = [];

before(async () => {
  [isolated, plain, browser, noSw] = await Promise.all([
    startServer(),
    startServer({ isolation: false }),
    launchBrowser(),
    launchBrowser({ serviceWorkers: 'block' }),
  ]);
});

after(async () => {
  await browser?.close();
  await noSw?.close();
  await isolated?.close();
  await plain?.close();
});

/** A new tab on `url` in `b`, once the page says it is ready. */
async function open(b, url) {
  const page = await b.context.newPage();
  problems.push(watch(page, new URL(url).origin));
  await page.goto(url);
  await page.waitForFunction(() => window.__latentlab?.ready === true && window.__latentlab.capabilities, null, { timeout: 90_000 });
  return page;
}

const caps = (page) => page.evaluate(() => window.__latentlab.capabilities);
const capText = (page) => page.locator('#caps [data-cap="threads"] b').textContent();
const capTitle = (page) => page.locator('#caps [data-cap="threads"]').getAttribute('title');

/** One request to the page's own compute worker (rpc.js's shared one); typed arrays → arrays. */
function workerCall(page, type, payload) {
  return page.evaluate(
    async ([t, p]) => {
      const { call } = await import(new URL('rpc.js', location.href).href);
      const plainArrays = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : v);
      const r = await call(t, p);
      return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plainArrays(v)]));
    },
    [type, payload],
  );
}

/** What the comparison looks at: ring8 GAN samples and a conv VAE's encoding of fixed inputs. */
async function fingerprint(page) {
  const weights = (f) => page.evaluate((name) => new URL(`weights/${name}`, location.href).href, f);
  await workerCall(page, 'loadModel', { slot: 'threads-test-gan', url: await weights('gan-ring8.safetensors') });
  const gan = await workerCall(page, 'sample', { slot: 'threads-test-gan', n: 256, seed: 11 });
  await workerCall(page, 'loadModel', { slot: 'threads-test-vae', url: await weights('vae-mnist-conv16.safetensors') });
  const x = Array.from({ length: 8 * 784 }, (_, i) => (Math.sin(i * 0.37) + 1) / 2);
  const vae = await workerCall(page, 'encode', { slot: 'threads-test-vae', x: new Float32Array(x) });
  return { points: gan.points, mu: vae.mu, logvar: vae.logvar };
}

let threadedPage;

test('with COOP/COEP the page runs the threaded build: default pool size, ?threads=N, capability bar', async () => {
  const page = await open(browser, isolated.url);
  const c = await caps(page);
  assert.equal(c.crossOriginIsolated, true);
  assert.equal(c.threads, true, `threaded build expected: ${JSON.stringify(c.wasm)}`);
  assert.equal(c.browser.relaxedSimd, true, 'Chromium validates relaxed-simd');
  assert.equal(c.wasm.package, 'pkg-threads');
  assert.equal(c.wasm.relaxed, true);
  assert.equal(c.relaxed_simd, true);
  assert.equal(await page.locator('#caps [data-cap="simd"] b').textContent(), 'yes (relaxed, FMA)');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(c.thread_count, Math.max(1, Math.min(8, cores)), `default pool for ${cores} cores`);
  await page.close();

  threadedPage = await open(browser, `${isolated.url}?threads=3`);
  const c3 = await caps(threadedPage);
  assert.equal(c3.threads, true);
  assert.equal(c3.thread_count, 3, 'the pool has the ?threads=3 size');
  assert.equal(await capText(threadedPage), '3 (threaded build)');
  assert.match(await capTitle(threadedPage), /pool of 3 threads/);

  const plainSimd = await open(browser, `${isolated.url}?threads=2&relaxed=0`);
  const c2 = await caps(plainSimd);
  assert.equal(c2.wasm.package, 'pkg-threads');
  assert.equal(c2.wasm.relaxed, false, '?relaxed=0 keeps to the plain simd128 module');
  assert.equal(c2.relaxed_simd, false);
  assert.equal(c2.thread_count, 2);
  assert.equal(await plainSimd.locator('#caps [data-cap="simd"] b').textContent(), 'yes');
  await plainSimd.close();
});

test('a training run on the threaded build takes its steps with finite losses', async () => {
  const page = threadedPage;
  await page.evaluate(() => (location.hash = '#train'));
  await page.locator('#train-dataset').selectOption('ring8');
  await page.locator('#train-kind').selectOption('gan');
  await page.locator('#train-stop').fill('20');
  await page.locator('#train-preview').fill('10');
  await page.locator('#train-start').click();
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 20, null, {
    timeout: 120_000,
    polling: 100,
  });
  const history = await page.evaluate(() => window.__latentlab.train.history);
  assert.equal(history.reduce((s, e) => s + e.k, 0), 20);
  for (const e of history) {
    for (const m of ['d_loss', 'g_loss']) assert.ok(Number.isFinite(e.metrics[m]), `step ${e.step} ${m} = ${e.metrics[m]}`);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'threads-train.png'), fullPage: true });
  await clickConfirming(page.locator('#train-reset'));
  await page.waitForFunction(() => document.getElementById('view-train').dataset.trainState === 'idle');
});

test('without COOP/COEP (no service worker) the page falls back to the single-thread build and says so', async () => {
  const page = await open(noSw, plain.url);
  const c = await caps(page);
  assert.equal(c.crossOriginIsolated, false);
  assert.equal(c.threads, false);
  assert.equal(c.thread_count, 1);
  assert.equal(c.wasm.package, 'pkg');
  assert.equal(c.wasm.relaxed, true);
  assert.match(c.wasm.fallback, /not cross-origin isolated/);
  assert.equal(await capText(page), '1 (single-thread build)');
  assert.match(await capTitle(page), /single-thread wasm build is running: the page is not cross-origin isolated/);
  assert.equal(await page.locator('#caps [data-cap="coi"] b').textContent(), 'no');
  await page.close();
});

/** Asserts that two fingerprints agree within `tol` (and that their values vary). */
function assertSameNumbers(a, b, tol) {
  for (const k of ['points', 'mu', 'logvar']) {
    assert.equal(a[k].length, b[k].length, k);
    assert.ok(new Set(a[k]).size > a[k].length / 2, `${k} values vary`);
    const worst = Math.max(...a[k].map((v, i) => Math.abs(v - b[k][i])));
    assert.ok(worst <= tol, `${k}: largest difference ${worst} > ${tol}`);
  }
}

test('the threaded build (3 threads) and the single-thread build give the same numbers for a seed', async () => {
  const single = await open(noSw, plain.url);
  assertSameNumbers(await fingerprint(threadedPage), await fingerprint(single), 1e-5);
  await single.close();
});

test('the relaxed-simd module gives the plain simd128 module\'s numbers within 1e-4', async () => {
  const relaxed = await open(noSw, plain.url);
  const simd128 = await open(noSw, `${plain.url}?relaxed=0`);
  assert.equal((await caps(relaxed)).relaxed_simd, true);
  assert.equal((await caps(simd128)).relaxed_simd, false);
  assertSameNumbers(await fingerprint(relaxed), await fingerprint(simd128), 1e-4);
  await relaxed.close();
  await simd128.close();
});

test('without COOP/COEP, coi-sw.js makes the page cross-origin isolated after one reload', async () => {
  const page = await browser.context.newPage();
  const seen = watch(page, new URL(plain.url).origin);
  await page.goto(plain.url);
  await page.waitForFunction(() => window.crossOriginIsolated === true && window.__latentlab?.ready === true && window.__latentlab.capabilities, null, {
    timeout: 90_000,
  });
  const c = await caps(page);
  assert.equal(c.threads, true, JSON.stringify(c.wasm));
  assert.ok(c.thread_count >= 1);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('latentlab-coi-reloaded')), '1', 'reloaded once');
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${plain.url}coi-sw.js`);
  await page.close();
  // The reload cuts off the first load's requests; anything else counts.
  problems.push(seen.filter((p) => !/^request failed: .* \(net::ERR_ABORTED\)$/.test(p)));
});

test('no console errors, failed requests or requests to other hosts', () => {
  assert.deepEqual(problems.flat(), []);
});

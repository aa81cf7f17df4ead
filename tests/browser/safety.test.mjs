// The demo page's safety guarantees (README, Safety), in headless Chromium, under the strict
// Content-Security-Policy `pkg-scripts/serve` sends by default (DEMO_CSP): every view works with
// no request beyond the page's origin and no violation, the threaded build included (and through
// the coi-sw.js service worker on a host without COOP/COEP); hostile checkpoints dropped on the
// Load view show the library's reason and change nothing; a compute worker that really dies
// (its wasm module runs out of memory) is reported, replaced, and the model reloaded, in the page
// and under the widgets.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_CSP } from '../../pkg-scripts/serve.mjs';
import { ARTIFACTS, ROOT, canvasStats, clickConfirming, launchBrowser, rendered, startServer, waitRendered, watch, watchCsp } from './helpers.mjs';

const VALID = readFileSync(join(ROOT, 'tests', 'fixtures', 'tiny-vae-mlp.safetensors'));

let server;
/** Other hosts a test starts (closed at the end, whatever happens). */
const hosts = [];
let origin;
let browser;
let page;
let problems;
/** Every URL the page, its workers and the service worker asked for. */
const requests = [];

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `safety-${name}.png`), fullPage: true });

async function goto(view) {
  await page.evaluate((v) => {
    location.hash = v;
  }, view);
  await page.waitForFunction((v) => document.documentElement.dataset.view === v, view);
}

async function viewState(view, states = ['ready'], timeout = 60_000) {
  await page.waitForFunction(([v, s]) => s.includes(document.getElementById(`view-${v}`).dataset.state), [view, states], { timeout });
}

/** Opens the demo page at `url` in a fresh tab, recording problems (CSP violations included). */
async function openPage(url) {
  const p = await browser.context.newPage();
  const found = watch(p, origin);
  await watchCsp(p, found);
  p.on('request', (r) => requests.push(r.url()));
  await p.goto(url);
  await p.waitForFunction(() => window.__latentlab?.ready === true, null, { timeout: 90_000 });
  return { page: p, problems: found };
}

/** The requests made since index `since` that leave the page's origin (data: and blob: stay inside it). */
function foreign(since = 0) {
  return requests.slice(since).filter((u) => !['data:', 'blob:'].includes(new URL(u).protocol) && new URL(u).origin !== origin);
}

before(async () => {
  server = await startServer({ args: ['--csp', DEMO_CSP] });
  origin = new URL(server.url).origin;
  browser = await launchBrowser();
  browser.context.on('request', (r) => requests.push(r.url()));
  ({ page, problems } = await openPage(`${server.url}#sample`));
});

after(async () => {
  await browser?.close();
  await server?.close();
  for (const h of hosts) await h.close();
});

/** A host without COOP/COEP (as many static hosts are), under the same CSP. */
async function plainHost() {
  const h = await startServer({ isolation: false, args: ['--csp', DEMO_CSP] });
  hosts.push(h);
  return h;
}

test('under the strict CSP every view works, on the threaded build, with no request beyond the origin', async () => {
  const caps = await page.evaluate(() => window.__latentlab.capabilities);
  assert.equal(caps.crossOriginIsolated, true);
  assert.equal(caps.threads, true, `threaded build (${caps.wasm?.fallback})`);
  assert.ok((await canvasStats(page, '#sample-canvas')).variance > 500, 'sample grid');
  await goto('interpolate');
  await viewState('interpolate');
  assert.ok((await canvasStats(page, '#interp-strip')).variance > 500, 'interpolation strip');
  await goto('reconstruct');
  let before = await rendered(page, '#recon-output');
  await page.locator('#draw-test').click();
  await waitRendered(page, '#recon-output', before);
  await goto('latent-map');
  await viewState('latent-map');
  await goto('train');
  await page.locator('#train-dataset').selectOption('ring8');
  await page.locator('#train-stop').fill('20');
  await page.locator('#train-preview').fill('10');
  await page.locator('#train-start').click();
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 20, null, { timeout: 60_000 });
  await shot('train');
  await goto('load');
  await page.locator('#load-file').setInputFiles({ name: 'tiny.safetensors', mimeType: 'application/octet-stream', buffer: VALID });
  await viewState('load');
  await goto('sample');
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-new-seed').click();
  await waitRendered(page, '#sample-canvas', before);
  assert.ok(requests.length > 10, `${requests.length} requests recorded`);
  assert.deepEqual(foreign(), []);
  assert.deepEqual(problems, []);
  assert.equal(await page.locator('#banner').isVisible(), false);
});

test('on a host without COOP/COEP, under the same CSP, the service worker isolates the page for the threaded build', async () => {
  const plain = await plainHost();
  const before = requests.length;
  const saved = origin;
  try {
    origin = new URL(plain.url).origin;
    const opened = await openPage(`${plain.url}#sample`);
    // coi-sw.js registers, takes control and reloads once: then the page is isolated.
    await opened.page.waitForFunction(() => window.crossOriginIsolated === true && window.__latentlab?.ready === true, null, { timeout: 90_000 });
    const caps = await opened.page.evaluate(() => window.__latentlab.capabilities);
    assert.equal(caps.threads, true, `threaded build (${caps.wasm?.fallback})`);
    assert.ok((await canvasStats(opened.page, '#sample-canvas')).variance > 500);
    assert.equal(await opened.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${plain.url}coi-sw.js`);
    assert.deepEqual(foreign(before), []);
    // The reload cuts short what the first, unisolated load was still fetching.
    assert.deepEqual(opened.problems.filter((m) => !/^request failed: .* \(net::ERR_ABORTED\)$/.test(m)), []);
    await opened.page.close();
  } finally {
    origin = saved;
    requests.splice(before); // that host's requests: checked above
  }
});

// --- hostile files -------------------------------------------------------------------------------

/** The JSON header and the data of a .safetensors file. */
function split(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), data: bytes.subarray(8 + n), start: 8 + n };
}

function join8(header, data) {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function rewrite(bytes, f) {
  const { header, data } = split(bytes);
  f(header);
  return join8(header, data);
}

function rewriteMeta(bytes, key, f) {
  return rewrite(bytes, (h) => {
    const v = JSON.parse(h.__metadata__[key]);
    f(v);
    h.__metadata__[key] = JSON.stringify(v);
  });
}

/** The first tensor (by name) and where its data starts in the file. */
function firstTensor(bytes) {
  const { header, start } = split(bytes);
  const name = Object.keys(header).filter((k) => k !== '__metadata__').sort()[0];
  return { name, dtype: header[name].dtype, at: start + header[name].data_offsets[0] };
}

/**
 * A few of the lies of tests/hostile/mod.rs (which the native and wasm corpus tests run in full),
 * made from the same valid file, each with a piece of the library's reason.
 */
function hostileFiles() {
  const { name: first, dtype, at } = firstTensor(VALID);
  assert.equal(dtype, 'F32');
  const nan = Buffer.from(VALID);
  nan.writeFloatLE(Number.NaN, at);
  const flipped = Buffer.from(VALID);
  flipped[8] ^= 0x01; // the header's opening brace
  const huge = (v) => {
    v.sample_shape = [1, 100000, 100000];
  };
  return [
    { name: 'notes.txt', bytes: Buffer.from('not a checkpoint\n'), needle: /header too large/ },
    { name: 'truncated.safetensors', bytes: VALID.subarray(0, Math.floor(VALID.length / 2)), needle: /incomplete metadata/ },
    { name: 'bit-flipped.safetensors', bytes: flipped, needle: /invalid JSON in header/ },
    { name: 'huge-shape.safetensors', bytes: rewriteMeta(rewriteMeta(VALID, 'latentlab.model', huge), 'latentlab.data', huge), needle: /memory limit/ },
    {
      name: 'huge-tensor.safetensors',
      bytes: rewrite(VALID, (h) => {
        h[first].shape = [100000, 100000];
      }),
      needle: /overflow computing buffer size/, // 4·10¹⁰ bytes: past wasm32's usize
    },
    {
      name: 'wrong-kind.safetensors',
      bytes: rewriteMeta(VALID, 'latentlab.model', (v) => {
        v.kind = 'autoencoder';
      }),
      needle: /unexpected tensor/,
    },
    {
      name: 'format-99.safetensors',
      bytes: rewrite(VALID, (h) => {
        h.__metadata__['latentlab.format'] = '99';
      }),
      needle: /format/,
    },
    { name: 'nan-weight.safetensors', bytes: nan, needle: /not finite/ },
  ];
}

/** Drops `file` ({name, bytes}) on the Load view's drop zone, as a file dragged from the desktop. */
async function dropFile(file) {
  const dataTransfer = await page.evaluateHandle(
    ({ name, b64 }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      return dt;
    },
    { name: file.name, b64: file.bytes.toString('base64') },
  );
  await page.dispatchEvent('#load-drop', 'drop', { dataTransfer });
}

test('hostile files dropped on the Load view show the loader’s reason; the page keeps working', async () => {
  await goto('sample');
  const model = await page.locator('#model-select').inputValue();
  const options = await page.locator('#model-select option').count();
  await goto('load');
  for (const file of hostileFiles()) {
    await page.evaluate(() => {
      document.getElementById('view-load').dataset.state = '';
    });
    await dropFile(file);
    await viewState('load', ['error', 'ready']);
    const msg = await page.locator('#load-error').textContent();
    assert.equal(await page.locator('#load-error').isVisible(), true, `${file.name}: error shown`);
    assert.match(msg, new RegExp(`^Could not load it: ${file.name.replace('.', '\\.')} is not a Latent Lab checkpoint: `), file.name);
    assert.match(msg, file.needle, `${file.name}: ${msg}`);
    console.log(`${file.name}: ${msg}`);
    assert.equal(await page.locator('#model-select').inputValue(), model, `${file.name}: model unchanged`);
    assert.equal(await page.locator('#model-select option').count(), options, `${file.name}: nothing added to the picker`);
  }
  await shot('hostile');
  // Sampling still works, then a valid file dropped the same way loads.
  await goto('sample');
  let before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-new-seed').click();
  await waitRendered(page, '#sample-canvas', before);
  await goto('load');
  await dropFile({ name: 'good.safetensors', bytes: VALID });
  await viewState('load', ['ready', 'error']);
  assert.equal(await page.locator('#load-error').isVisible(), false, await page.locator('#load-error').textContent());
  assert.match(await page.locator('#model-select option:checked').textContent(), /good\.safetensors/);
  await goto('sample');
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-new-seed').click();
  await waitRendered(page, '#sample-canvas', before);
  assert.deepEqual(problems, []);
});

// --- a worker that dies --------------------------------------------------------------------------

/**
 * Kills the page's compute worker for real: raises the memory budget past what a wasm32 module
 * can address (64 GiB), then asks the shared worker to train a convolutional VAE of 4096
 * channels (the page's widest: 546 M parameters, 2.2 GB of weights, as much again for each of
 * Adam's moments), which does not fit in 4 GiB. The allocation fails, Rust aborts, the module
 * traps. Resolves to the message the pending call was rejected with.
 */
function outOfMemory(p) {
  return p.evaluate(async () => {
    const { call } = await import('./rpc.js');
    await call('setMemoryLimit', { bytes: 2 ** 36 });
    const spec = { model: { kind: 'vae', arch: 'conv', hidden: [4096, 4096] } };
    return call('trainStart', { run: 'oom', spec, seed: 1, dataset: 'mnist' }).then(
      () => 'resolved',
      (err) => err.message,
    );
  });
}

test('a compute worker that runs out of memory is reported and replaced; the model is reloaded and the next sample matches', async () => {
  await goto('sample');
  await page.locator('#sample-seed').fill('5');
  let before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-seed').dispatchEvent('change');
  await waitRendered(page, '#sample-canvas', before);
  const grid = await canvasStats(page, '#sample-canvas');
  const model = await page.evaluate(() => window.__latentlab.model);
  // A training run in the Train view: in a worker of its own, which the death leaves alone.
  await goto('train');
  await page.locator('#train-dataset').selectOption('ring8');
  await page.locator('#train-stop').fill('');
  await clickConfirming(page.locator('#train-start')); // Restart: the first test's run is paused at step 20
  await page.waitForFunction(() => window.__latentlab.train?.state === 'running' && window.__latentlab.train.step > 0, null, { timeout: 60_000 });

  const message = await outOfMemory(page);
  assert.match(message, /^the compute worker died: its wasm module trapped \(unreachable\) during "trainStart": out of memory/);
  assert.match(message, /A new one was started/);
  await page.waitForFunction(() => window.__latentlab.restarts.length === 1, null, { timeout: 60_000 });
  const restart = await page.evaluate(() => window.__latentlab.restarts[0]);
  assert.deepEqual(restart.reloaded, ['good.safetensors'], 'the model loaded from a file comes back from its bytes');
  assert.deepEqual(restart.failed, []);
  assert.deepEqual(restart.interrupted, ['trainStart'], 'only the run that died');
  assert.equal(await page.locator('#banner').isVisible(), true);
  assert.match(await page.locator('#banner-text').textContent(), /^The compute worker died: its wasm module trapped .* A new worker was started and reloaded good\.safetensors; a training run was lost$/);
  // The Train view's run goes on.
  const step = await page.evaluate(() => window.__latentlab.train.step);
  await page.waitForFunction((s) => window.__latentlab.train?.state === 'running' && window.__latentlab.train.step > s, step, { timeout: 60_000 });
  await shot('worker-died');

  // The next request works, with the same model: seed 5 draws the grid it drew before.
  await goto('sample');
  assert.deepEqual(await page.evaluate(() => window.__latentlab.model), model);
  await page.locator('#sample-seed').fill('6');
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-seed').dispatchEvent('change');
  await waitRendered(page, '#sample-canvas', before);
  await page.locator('#sample-seed').fill('5');
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-seed').dispatchEvent('change');
  await waitRendered(page, '#sample-canvas', before);
  assert.equal((await canvasStats(page, '#sample-canvas')).hash, grid.hash, 'same model, same samples');
  // A new run (Restart) trains in the Train view.
  await goto('train');
  await page.locator('#train-stop').fill('10');
  await clickConfirming(page.locator('#train-start'));
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 10, null, { timeout: 60_000 });
  assert.deepEqual(foreign(), []);
  assert.deepEqual(problems, []);
});

test('the widgets survive their shared worker’s death (single-thread build): a running trainer says so, and all work on the next use', async () => {
  // A host without COOP/COEP (embed.html registers no service worker): the single-thread build,
  // where the page test above ran the threaded one.
  const plain = await plainHost();
  const p = await browser.context.newPage();
  const found = watch(p, new URL(plain.url).origin);
  await watchCsp(p, found);
  await p.goto(`${plain.url}embed.html`);
  const ready = (sel) =>
    p.waitForFunction((s) => document.querySelector(s)?.hasAttribute('data-ready'), sel, { timeout: 60_000 });
  await p.locator('#demo-sampler').scrollIntoViewIfNeeded();
  await ready('#demo-sampler');
  const build = await p.evaluate(async () => (await (await import('./rpc.js')).call('init')).build);
  assert.equal(build.threads, false, 'the single-thread build');
  const first = await canvasStats(p.locator('#demo-sampler canvas'));
  // A second checkpoint in the worker (the conditional sampler's), for it to reload.
  await p.locator('#demo-cvae').scrollIntoViewIfNeeded();
  await ready('#demo-cvae');
  await p.locator('#demo-gan').scrollIntoViewIfNeeded();
  await ready('#demo-gan');
  // The widgets around it have drawn (a trainer pushed off screen pauses).
  await ready('#demo-points');
  await p.locator('#demo-gan button.play').click();
  await p.waitForFunction(() => Number(document.getElementById('demo-gan').dataset.previews) >= 1, null, { timeout: 60_000 });
  await p.evaluate(async () => {
    (await import('./rpc.js')).sharedRpc().addEventListener('restart', (e) => {
      window.restartDetail = e.detail;
    });
  });
  // One checkpoint cannot be fetched again while the new worker reloads.
  const ring = `${plain.url}weights/gan-ring8.safetensors`;
  await p.route(ring, (r) => r.fulfill({ status: 404, body: 'gone' }));

  const message = await outOfMemory(p);
  assert.match(message, /^the compute worker died: its wasm module trapped/);
  await p.waitForFunction(() => document.getElementById('demo-gan').getAttribute('data-error')?.includes('the compute worker died'), null, { timeout: 30_000 });
  await p.waitForFunction(() => window.restartDetail, null, { timeout: 30_000 });
  const detail = await p.evaluate(() => window.restartDetail);
  assert.deepEqual(detail.failed.map((f) => [f.slot, /HTTP 404/.test(f.message)]), [[ring, true]]);
  assert.ok(detail.reloaded.length >= 2, `reloaded ${detail.reloaded}`);
  // Its widget loads it again on next use, once it can be fetched.
  await p.unroute(ring);
  await p.locator('#demo-points').scrollIntoViewIfNeeded();
  const outcome = await p.evaluate(
    () =>
      new Promise((done) => {
        const el = document.getElementById('demo-points');
        el.addEventListener('latentlab-ready', () => done('ready'), { once: true });
        el.addEventListener('latentlab-error', (e) => done(e.detail.message), { once: true });
        el.setAttribute('seed', '2');
      }),
  );
  assert.equal(outcome, 'ready');
  // The sampler redraws from its reloaded checkpoint: the same seed gives the same grid.
  await p.locator('#demo-sampler').scrollIntoViewIfNeeded();
  await p.evaluate(() => document.getElementById('demo-sampler').setAttribute('seed', '99'));
  await p.waitForFunction(() => document.getElementById('demo-sampler').getAttribute('seed') === '99');
  await p.evaluate(() => document.getElementById('demo-sampler').setAttribute('seed', '1'));
  await p.waitForFunction(() => document.getElementById('demo-sampler').hasAttribute('data-ready'), null, { timeout: 30_000 });
  await p.waitForFunction(
    (h) => {
      const c = document.getElementById('demo-sampler').shadowRoot.querySelector('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let hash = 0;
      for (let i = 0; i < d.length; i += 4) hash = (Math.imul(hash, 31) + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
      return hash === h;
    },
    first.hash,
    { timeout: 30_000 },
  );
  // The trainer trains again.
  await p.locator('#demo-gan').scrollIntoViewIfNeeded();
  const previews = await p.evaluate(() => Number(document.getElementById('demo-gan').dataset.previews));
  await p.locator('#demo-gan button.play').click();
  await p.waitForFunction((n) => Number(document.getElementById('demo-gan').dataset.previews) > n, previews, { timeout: 60_000 });
  assert.deepEqual(found.filter((m) => m !== `HTTP 404: ${ring}`), [], 'nothing but the 404 the test made');
  await p.close();
});

// The demo page (www/index.html) in headless Chromium: loading, sampling, interpolation,
// reconstruction of a mouse drawing, the latent map, other model kinds, and a bad file in
// the Load view. One browser and one page for the whole file, views visited in turn.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, ROOT, canvasStats, launchBrowser, openLab, orangePixels, rendered, startServer, tileStats, waitRendered } from './helpers.mjs';

let server;
let browser;
let page;
let problems;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `page-${name}.png`), fullPage: true });

async function goto(view) {
  await page.evaluate((v) => {
    location.hash = v;
  }, view);
  await page.waitForFunction((v) => document.documentElement.dataset.view === v, view);
}

/** Waits until a view's data-state is one of `states` (after the current render). */
async function viewState(view, states = ['ready'], timeout = 30_000) {
  await page.waitForFunction(
    ([v, s]) => s.includes(document.getElementById(`view-${v}`).dataset.state),
    [view, states],
    { timeout },
  );
}

/** Mean absolute difference between two tiles of a grid canvas (0–255). */
async function tileDiff(selector, i, j, geometry) {
  return page.locator(selector).evaluate(
    (c, a) => {
      const get = (k) => {
        const x = (k % a.cols) * (a.w + a.gap);
        const y = Math.floor(k / a.cols) * (a.h + a.gap);
        return c.getContext('2d').getImageData(x, y, a.w, a.h).data;
      };
      const p = get(a.i);
      const q = get(a.j);
      let s = 0;
      for (let k = 0; k < p.length; k += 4) s += Math.abs(p[k] - q[k]);
      return s / (p.length / 4);
    },
    { i, j, ...geometry },
  );
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ page, problems } = await openLab(browser, server, '#sample'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page loads: first grid, capabilities and the manifest models are shown', async () => {
  const lab = await page.evaluate(() => window.__latentlab);
  assert.equal(lab.ready, true);
  assert.ok(lab.firstGridMs > 0 && lab.firstGridMs < 30_000, `firstGridMs ${lab.firstGridMs}`);
  assert.equal(lab.lastSample.n, 64);
  assert.ok(lab.lastSampleMs > 0, `lastSampleMs ${lab.lastSampleMs}`);
  const timings = { firstGridMs: lab.firstGridMs, lastSampleMs64: lab.lastSampleMs, workerSampleMs64: lab.lastSampleWorkerMs };
  writeFileSync(join(ARTIFACTS, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  console.log(`timings: first grid ${lab.firstGridMs.toFixed(0)} ms after navigation; 64 samples ${lab.lastSampleMs.toFixed(1)} ms round trip (${lab.lastSampleWorkerMs.toFixed(1)} ms in the worker)`);

  // Capabilities are stated, not left as placeholders.
  assert.equal(lab.capabilities.crossOriginIsolated, true, 'serve.mjs sends COOP/COEP');
  for (const cap of ['simd', 'threads', 'coi']) {
    const text = await page.locator(`#caps [data-cap="${cap}"] b`).textContent();
    assert.ok(text && text !== '…', `${cap} shown: ${text}`);
  }
  // Every manifest model is in the picker; the model card is filled.
  const manifest = JSON.parse(readFileSync(join(ROOT, 'www', 'weights', 'manifest.json'), 'utf8'));
  const values = await page.locator('#model-select option').evaluateAll((os) => os.map((o) => o.value));
  for (const m of manifest.models) assert.ok(values.includes(`m:${m.id}`), `picker lists ${m.id}`);
  assert.match(await page.locator('#meta-params').textContent(), /\d/);
  assert.match(await page.locator('#meta-train').textContent(), /steps/);
  await shot('sample');
});

test('the sample grid is not blank and changes with the seed', async () => {
  const a = await canvasStats(page, '#sample-canvas');
  assert.equal(a.w, 8 * 28 + 7);
  assert.ok(a.variance > 500, `grid variance ${a.variance}`);
  for (const i of [0, 27, 63]) {
    const t = await tileStats(page, '#sample-canvas', i, { cols: 8 });
    assert.ok(t.variance > 100, `tile ${i} variance ${t.variance}`);
  }
  // The grid on the canvas is the one the status names: a render of an earlier choice may
  // still be in flight when the next is asked for (filling the seed field can fire `change`
  // too), and its completion alone must not pass for the next one's.
  const drawn = async (before, seed, T) => {
    await waitRendered(page, '#sample-canvas', before);
    await page.waitForFunction(
      ([s, t]) => document.getElementById('sample-status').textContent.includes(`seed ${s} · T = ${t}`),
      [String(seed), T],
    );
    return canvasStats(page, '#sample-canvas');
  };
  // A typed seed…
  let before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-seed').fill('2');
  await page.locator('#sample-seed').dispatchEvent('change');
  const b = await drawn(before, 2, '1.00');
  assert.notEqual(b.hash, a.hash, 'seed 2 draws other samples');
  assert.ok(b.variance > 500);
  // …and the button.
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-new-seed').click();
  const c = await drawn(before, await page.locator('#sample-seed').inputValue(), '1.00');
  assert.notEqual(c.hash, b.hash);
  // Same seed, same samples.
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-seed').fill('1');
  await page.locator('#sample-seed').dispatchEvent('change');
  assert.equal((await drawn(before, 1, '1.00')).hash, a.hash, 'seed 1 again gives the first grid');
  // Temperature 0 puts every code at its component's mean (the shipped VAEs draw codes from
  // a 200-component mixture fitted to their codes): 64 draws repeat components, so the grid
  // repeats tiles exactly, yet shows more than one.
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-temp').evaluate((e) => {
    e.value = '0';
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await drawn(before, 1, '0.00');
  const distinct = await page.locator('#sample-canvas').evaluate((c) => {
    const tiles = new Set();
    for (let k = 0; k < 64; k++) {
      const d = c.getContext('2d').getImageData((k % 8) * 29, Math.floor(k / 8) * 29, 28, 28).data;
      tiles.add(Array.from(d.filter((_, i) => i % 4 === 0)).join(','));
    }
    return tiles.size;
  });
  assert.ok(distinct > 1 && distinct < 64, `T = 0: ${distinct} distinct tiles of 64`);
  before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-temp').evaluate((e) => {
    e.value = '1';
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await drawn(before, 1, '1.00');
});

test('the interpolation strip renders, its frames differ, and the slider scrubs', async () => {
  await goto('interpolate');
  await viewState('interpolate');
  const strip = await canvasStats(page, '#interp-strip');
  assert.ok(strip.variance > 500, `strip variance ${strip.variance}`);
  const geometry = { cols: 10, w: 28, h: 28, gap: 2 };
  const d = await tileDiff('#interp-strip', 0, 9, geometry);
  assert.ok(d > 5, `first and last frames differ (mean |Δ| ${d})`);
  assert.ok((await tileDiff('#interp-strip', 0, 1, geometry)) < d, 'neighbouring frames are closer than the ends');
  // Slider.
  await page.locator('#interp-slider').evaluate((e) => {
    e.value = '0';
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const s0 = await canvasStats(page, '#interp-frame');
  await page.locator('#interp-slider').evaluate((e) => {
    e.value = e.max;
    e.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const s1 = await canvasStats(page, '#interp-frame');
  assert.ok(s0.variance > 100 && s1.variance > 100);
  assert.notEqual(s0.hash, s1.hash, 'the slider moves the frame');
  // Lerp, then endpoints from two picked test images.
  let before = await rendered(page, '#interp-strip');
  await page.locator('input[name="interp-mode"][value="lerp"]').check();
  await waitRendered(page, '#interp-strip', before);
  assert.match(await page.locator('#interp-status').textContent(), /^lerp/);
  before = await rendered(page, '#interp-strip');
  await page.locator('input[name="interp-ends"][value="images"]').check();
  await waitRendered(page, '#interp-strip', before);
  await viewState('interpolate');
  assert.ok((await canvasStats(page, '#interp-picker-canvas')).variance > 500, 'test images to pick from');
  before = await rendered(page, '#interp-strip');
  const box = await page.locator('#interp-picker-canvas').boundingBox();
  await page.mouse.click(box.x + box.width * (5.5 / 16), box.y + box.height * 0.25); // image 5 → A
  await waitRendered(page, '#interp-strip', before);
  assert.ok((await canvasStats(page, '#interp-strip')).variance > 500);
  // From the keyboard: the cursor starts on the clicked image; → and ↓ move it to image 22
  // (row 1, column 6), Enter makes that endpoint B, and the live region names it.
  const bBefore = await canvasStats(page, '#interp-b');
  before = await rendered(page, '#interp-strip');
  await page.locator('#interp-picker-canvas').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await waitRendered(page, '#interp-strip', before);
  await viewState('interpolate');
  assert.match(await page.locator('#interp-picker [aria-live]').textContent(), /^Image 23 of 32, class [^,]+, picked as B$/);
  assert.notEqual((await canvasStats(page, '#interp-b')).hash, bBefore.hash, 'endpoint B changed');
  // The thumbnails are the picked tiles (compared inside the cursor's frame, below the letter tabs).
  const sameAs = (thumb, i) =>
    page.evaluate(
      ([id, x, y]) => {
        const part = (c, px, py) => c.getContext('2d').getImageData(px + 2, py + 11, 24, 15).data;
        const tile = part(document.getElementById('interp-picker-canvas'), x, y);
        const own = part(document.getElementById(id), 0, 0);
        return tile.every((v, k) => v === own[k]);
      },
      [thumb, (i % 16) * 30, Math.floor(i / 16) * 30],
    );
  assert.ok(await sameAs('interp-b', 22), 'B is image 22, the one under the cursor');
  assert.ok(await sameAs('interp-a', 5), 'A is still image 5');
  await shot('interpolate');
  await page.locator('input[name="interp-ends"][value="random"]').check();
  await page.locator('input[name="interp-mode"][value="slerp"]').check();
  await viewState('interpolate');
});

test('a digit drawn with the mouse is reconstructed, with its posterior', async () => {
  await goto('reconstruct');
  await viewState('reconstruct', ['empty', 'ready']);
  const box = await page.locator('#draw-canvas').boundingBox();
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  // A "7": the bar, then the stem.
  const before = await rendered(page, '#recon-output');
  await page.mouse.move(...at(0.28, 0.22));
  await page.mouse.down();
  for (const [fx, fy] of [[0.45, 0.22], [0.72, 0.22], [0.62, 0.45], [0.52, 0.65], [0.45, 0.82]]) {
    await page.mouse.move(...at(fx, fy), { steps: 6 });
  }
  await page.mouse.up();
  await waitRendered(page, '#recon-output', before);
  await viewState('reconstruct');
  const input = await canvasStats(page, '#recon-input');
  const out = await canvasStats(page, '#recon-output');
  assert.ok(input.variance > 500, `model input variance ${input.variance}`);
  assert.ok(out.variance > 300, `reconstruction variance ${out.variance}`);
  // The posterior: one row per latent dimension, shown.
  assert.equal(await page.locator('#recon-posterior').getAttribute('data-dims'), '2');
  assert.ok(await page.locator('#recon-posterior').isVisible());
  // The drawing was centred like MNIST: its mass lies in the middle of the 28×28 input.
  const com = await page.locator('#recon-input').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let m = 0;
    let x = 0;
    let y = 0;
    for (let i = 0; i < 784; i++) {
      m += d[4 * i];
      x += (i % 28) * d[4 * i];
      y += Math.floor(i / 28) * d[4 * i];
    }
    return [x / m, y / m];
  });
  assert.ok(Math.abs(com[0] - 13.5) < 1.5 && Math.abs(com[1] - 13.5) < 1.5, `centre of mass ${com}`);
  await shot('reconstruct');
  await page.locator('#draw-clear').click();
  assert.equal(await page.locator('#view-reconstruct').getAttribute('data-state'), 'empty');
});

test('the latent map decodes the plane and places 1000 encoded test images', async () => {
  await goto('latent-map');
  await viewState('latent-map');
  assert.equal(await page.locator('#map-points').getAttribute('data-points'), '1000');
  const plane = await canvasStats(page, '#map-plane');
  assert.equal(plane.w, 20 * 28);
  assert.ok(plane.variance > 500, `plane variance ${plane.variance}`);
  const pts = await canvasStats(page, '#map-points');
  assert.ok(pts.variance > 20, `scatter variance ${pts.variance}`);
  assert.equal(await page.locator('#map-legend li').count(), 10);
  await shot('latent-map');
});

test('a bad file in the Load view shows an error and the page keeps working', async () => {
  await goto('load');
  await page.locator('#load-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a checkpoint\n') });
  await page.locator('#load-error').waitFor({ state: 'visible' });
  const msg = await page.locator('#load-error').textContent();
  assert.match(msg, /notes\.txt is not a Latent Lab checkpoint/);
  // A truncated real checkpoint is refused too.
  const real = readFileSync(join(ROOT, 'www', 'weights', 'vae-mnist-2d.safetensors'));
  await page.locator('#load-file').setInputFiles({ name: 'cut.safetensors', mimeType: 'application/octet-stream', buffer: real.subarray(0, 2000) });
  await page.waitForFunction(() => /cut\.safetensors/.test(document.getElementById('load-error').textContent));
  await shot('load-error');
  // Nothing was added to the picker; the model in use is unchanged; sampling still works.
  assert.equal(await page.locator('#model-select optgroup[data-user]').count(), 0);
  assert.equal(await page.locator('#model-select').inputValue(), 'm:vae-mnist-2d');
  await goto('sample');
  const before = await rendered(page, '#sample-canvas');
  await page.locator('#sample-new-seed').click();
  await waitRendered(page, '#sample-canvas', before);
  assert.ok((await canvasStats(page, '#sample-canvas')).variance > 500);
  // A good file loads and becomes the current model.
  await goto('load');
  await page.locator('#load-file').setInputFiles({ name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: real });
  await page.waitForFunction(() => document.getElementById('view-load').dataset.state === 'ready');
  assert.match(await page.locator('#model-select option:checked').textContent(), /mine\.safetensors/);
  assert.equal(await page.locator('#load-error').isVisible(), false);
});

test('an InfoGAN from the Load view: its codes are named codes, and each draws its own points', async () => {
  // tests/fixtures/tiny-infogan-ring8.safetensors: `latentlab train --model gan --dataset ring8
  // --hidden 32,32 --info-codes 4 --lr 1e-3 --batch-size 100 --steps 300 --seed 1`, exported f16.
  await goto('load');
  const bytes = readFileSync(join(ROOT, 'tests', 'fixtures', 'tiny-infogan-ring8.safetensors'));
  await page.locator('#load-file').setInputFiles({ name: 'infogan.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction(() => /infogan\.safetensors/.test(document.querySelector('#model-select option:checked')?.textContent ?? ''));
  await page.waitForFunction(() => document.getElementById('view-load').dataset.state === 'ready');
  assert.match(await page.locator('#meta-summary').textContent(), /, 4 InfoGAN codes\)$/);
  await goto('sample');
  const options = await page.locator('#sample-class option').allTextContents();
  assert.deepEqual(options, ['Each code (one per column)', 'code 0', 'code 1', 'code 2', 'code 3']);
  assert.match(await page.locator('#sample-class').locator('xpath=..').textContent(), /^Code/);
  const scatters = [];
  for (const code of ['0', '2']) {
    const before = await rendered(page, '#sample-scatter');
    await page.locator('#sample-class').selectOption(code);
    await waitRendered(page, '#sample-scatter', before);
    assert.ok((await orangePixels(page, '#sample-scatter')) > 100, `code ${code}: samples on the scatter`);
    scatters.push(await page.locator('#sample-scatter').evaluate((c) => c.toDataURL()));
  }
  assert.notEqual(scatters[0], scatters[1], 'codes 0 and 2 draw the same points');
  await shot('sample-infogan');
});

test('a self-conditioned GAN from the Load view: named clusters, and samples by share unless one is picked', async () => {
  // tests/fixtures/tiny-selfcond-ring8.safetensors: `latentlab train --model gan --dataset ring8
  // --hidden 32,32 --cluster-classes 4 --lr 1e-3 --batch-size 100 --steps 300 --seed 1`, exported f16.
  await goto('load');
  const bytes = readFileSync(join(ROOT, 'tests', 'fixtures', 'tiny-selfcond-ring8.safetensors'));
  await page.locator('#load-file').setInputFiles({ name: 'selfcond.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction(() => /selfcond\.safetensors/.test(document.querySelector('#model-select option:checked')?.textContent ?? ''));
  await page.waitForFunction(() => document.getElementById('view-load').dataset.state === 'ready');
  assert.match(await page.locator('#meta-summary').textContent(), /, 4 clusters\)$/);
  assert.match(await page.locator('#meta-data').textContent(), /, 4 k-means clusters\)$/);
  await goto('sample');
  const options = await page.locator('#sample-class option').allTextContents();
  assert.deepEqual(options, ['Any, by share of the data', 'Each cluster (one per column)', 'cluster 1', 'cluster 2', 'cluster 3', 'cluster 4']);
  assert.match(await page.locator('#sample-class').locator('xpath=..').textContent(), /^Cluster/);
  const scatters = [];
  for (const choice of ['share', '0', '2']) {
    const before = await rendered(page, '#sample-scatter');
    if ((await page.locator('#sample-class').inputValue()) !== choice) await page.locator('#sample-class').selectOption(choice);
    else await page.locator('#sample-new-seed').click();
    await waitRendered(page, '#sample-scatter', before);
    assert.ok((await orangePixels(page, '#sample-scatter')) > 100, `${choice}: samples on the scatter`);
    scatters.push(await page.locator('#sample-scatter').evaluate((c) => c.toDataURL()));
  }
  assert.equal(new Set(scatters).size, 3, 'by share, cluster 1 and cluster 3 draw different points');
  await shot('sample-selfcond');
});

test('the other manifest models: an image GAN grid and a 2-D GAN over its heat map', async () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'www', 'weights', 'manifest.json'), 'utf8'));
  await goto('sample');
  for (const m of manifest.models) {
    const beforeGrid = await rendered(page, '#sample-canvas');
    const beforeScatter = await rendered(page, '#sample-scatter');
    await page.locator('#model-select').selectOption(`m:${m.id}`);
    await page.waitForFunction(
      ([g, s]) =>
        Number(document.getElementById('sample-canvas').dataset.rendered || 0) > g ||
        Number(document.getElementById('sample-scatter').dataset.rendered || 0) > s,
      [beforeGrid, beforeScatter],
      { timeout: 60_000 },
    );
    await viewState('sample');
    const info = await page.evaluate(() => window.__latentlab.model);
    const points = await page.locator('#sample-scatter').isVisible();
    if (points) {
      const orange = await orangePixels(page, '#sample-scatter');
      assert.ok(orange > 500, `${m.id}: ${orange} pixels of samples on the scatter`);
    } else {
      const stats = await canvasStats(page, '#sample-canvas');
      assert.ok(stats.variance > 100, `${m.id}: grid variance ${stats.variance}`);
    }
    await shot(`sample-${m.id}`);
    // Views that need an encoder or a 2-D latent explain themselves instead of failing.
    await goto('reconstruct');
    const encoder = ['autoencoder', 'vae', 'vaegan'].includes(info.kind);
    assert.equal(await page.locator('#recon-notice').isVisible(), !encoder || points, `${m.id}: reconstruct notice`);
    await goto('latent-map');
    await viewState('latent-map', ['ready', 'unsupported'], 60_000);
    await goto('sample');
  }
});

test('the worker answers calls it cannot serve with error replies, and keeps serving', async () => {
  const res = await page.evaluate(async () => {
    const { Rpc, createWorker } = await import('./rpc.js');
    const rpc = new Rpc(createWorker()); // a fresh worker: no model loaded
    const outcome = async (p) => p.then((r) => ({ ok: r }), (e) => ({ error: e.message }));
    const out = {
      init: await outcome(rpc.call('init')),
      sample: await outcome(rpc.call('sample', { n: 4, seed: 1, temperature: 1 })),
      unknown: await outcome(rpc.call('frobnicate')),
      pause: await outcome(rpc.call('trainPause')),
      badLoad: await outcome(rpc.call('loadModel', { bytes: new Uint8Array(8).buffer, name: 'zeros.bin' })),
    };
    out.load = await outcome(rpc.call('loadModel', { url: new URL('weights/vae-mnist-2d.safetensors', document.baseURI).href }));
    const s = await outcome(rpc.call('sample', { n: 4, seed: 1, temperature: 1 }));
    out.sampleAfter = s.ok ? { n: s.ok.n, bytes: s.ok.rgba.length } : s;
    rpc.terminate();
    return out;
  });
  assert.equal(typeof res.init.ok.build.simd, 'boolean');
  assert.match(res.sample.error, /no model is loaded yet/);
  assert.match(res.unknown.error, /unknown request type "frobnicate"/);
  assert.match(res.pause.error, /no training run/);
  assert.match(res.badLoad.error, /zeros\.bin is not a Latent Lab checkpoint/);
  assert.equal(res.load.ok.kind, 'vae');
  assert.deepEqual(res.sampleAfter, { n: 4, bytes: 4 * 28 * 28 * 4 });
});

test('no console errors, failed requests or requests to other hosts', async () => {
  const banner = await page.locator('#banner').isVisible();
  assert.equal(banner, false, `error banner: ${await page.locator('#banner-text').textContent()}`);
  assert.deepEqual(problems, []);
});

// The widget set on www/embed.html: one worker and one download per checkpoint for all
// widgets of a page; work starts when a widget is scrolled into view; a bad src or attribute
// is reported in that widget only; attributes are reflected as properties; latentlab-* events
// carry the latent codes; the trainers train (autoplay waits for Play where the reader asks for
// reduced motion); everything fits a 360 px column.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, canvasStats, computeWorkers, launchBrowser, startServer, watch } from './helpers.mjs';

let server;
let browser;
let page;
let problems;
let workers;
const checkpointRequests = new Map();

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  problems = watch(page, new URL(server.url).origin);
  workers = computeWorkers(page);
  page.on('request', (req) => {
    const path = new URL(req.url()).pathname;
    if (path.endsWith('.safetensors')) checkpointRequests.set(path, (checkpointRequests.get(path) ?? 0) + 1);
  });
  await page.goto(`${server.url}embed.html`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const has = (sel, attr) => page.evaluate(([s, a]) => document.querySelector(s)?.hasAttribute(a), [sel, attr]);
async function settled(sel, attr = 'data-ready', timeout = 60_000) {
  await page.locator(sel).scrollIntoViewIfNeeded();
  await page.waitForFunction(([s, a]) => document.querySelector(s)?.hasAttribute(a), [sel, attr], { timeout });
}

test('a widget below the fold waits until it is scrolled into view', async () => {
  await settled('#demo-sampler');
  assert.equal(await has('#demo-vae', 'data-ready'), false);
  assert.match(await page.locator('#demo-vae .status').textContent(), /scrolled into view/);
  await settled('#demo-vae');
});

test('all widgets share one worker and each checkpoint is fetched once', async () => {
  for (const id of ['#demo-interpolator', '#demo-map', '#demo-reconstruct', '#demo-cvae', '#demo-points', '#demo-gan']) await settled(id);
  const compute = await workers();
  assert.equal(compute.length, 1, `workers: ${compute.join(', ')}`);
  assert.equal(checkpointRequests.get('/weights/vae-mnist-2d.safetensors'), 1, 'three widgets, one download');
  for (const [path, n] of checkpointRequests) assert.equal(n, 1, `${path} fetched ${n} times`);
});

test('the latent map, reconstruct and the 2-D sampler draw what they should', async () => {
  const plane = await canvasStats(page.locator('#demo-map canvas.plane'));
  assert.equal(plane.w, 16 * 28, '16 × 16 decoded grid');
  assert.ok(plane.variance > 500, `plane variance ${plane.variance}`);
  assert.equal(await page.locator('#demo-map canvas.encoded').evaluate((c) => c.dataset.points), '500');
  // The reconstruct widget starts with a test digit; its posterior has one row per latent.
  await page.waitForFunction(() => document.querySelector('#demo-reconstruct').shadowRoot.querySelector('.posterior').dataset.dims === '16');
  assert.ok((await canvasStats(page.locator('#demo-reconstruct canvas.output'))).variance > 300);
  // A 2-D GAN's sampler: 1000 points by default, drawn over the real ring.
  const pts = await canvasStats(page.locator('#demo-points canvas'));
  assert.equal(pts.w, 480);
  assert.ok(pts.variance > 100, `scatter variance ${pts.variance}`);
  assert.match(await page.locator('#demo-points .status').textContent(), /real data/);
  // Themed through --latentlab-fake (#047857 on .themed): the samples are drawn in that green.
  const green = await page.locator('#demo-points canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] > 90 && d[i + 1] < 160 && d[i + 2] < 120 && d[i + 1] - d[i] > 40) n++;
    return n;
  });
  assert.ok(green > 200, `${green} pixels in the theme's colour`);
});

test('a widget takes its drawn size before it loads: the page below it does not jump', async () => {
  // A copy of each drawn widget, placed far off screen (so it never starts), has the size the
  // widget reserved before its model loaded.
  const sizes = await page.evaluate((ids) =>
    ids.map((id) => {
      const el = document.getElementById(id);
      const copy = el.cloneNode(false);
      copy.removeAttribute('id');
      copy.style.position = 'absolute';
      copy.style.left = '-10000px';
      document.body.append(copy);
      const reserved = copy.getBoundingClientRect().height;
      copy.remove();
      return { id, reserved, drawn: el.getBoundingClientRect().height, ready: el.hasAttribute('data-ready') };
    }),
  ['demo-sampler', 'demo-interpolator', 'demo-map', 'demo-reconstruct', 'demo-cvae', 'demo-points']);
  for (const { id, reserved, drawn, ready } of sizes) {
    assert.ok(ready, `${id} is drawn`);
    assert.ok(Math.abs(drawn - reserved) <= 24, `${id}: ${reserved} px before loading, ${drawn} px drawn`);
  }
});

test('drawing on the reconstruct pad re-encodes the drawing', async () => {
  const posterior = page.locator('#demo-reconstruct canvas.posterior');
  const before = await posterior.evaluate((c) => Number(c.dataset.rendered));
  await page.locator('#demo-reconstruct button.clear').click();
  const box = await page.locator('#demo-reconstruct canvas.pad').boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((n) => Number(document.querySelector('#demo-reconstruct').shadowRoot.querySelector('.posterior').dataset.rendered) > n, before);
  assert.ok((await canvasStats(page.locator('#demo-reconstruct canvas.input'))).variance > 300, 'the stroke is the input');
});

test('attributes are reflected as properties; latentlab-sample carries the latent codes', async () => {
  const detail = await page.evaluate(async () => {
    const el = document.querySelector('#demo-sampler');
    const got = new Promise((resolve) => el.addEventListener('latentlab-sample', (e) => resolve(e.detail), { once: true }));
    const props = { count: el.count, seed: el.seed, temperature: el.temperature, modelClass: el.modelClass, codePrior: el.codePrior };
    el.count = 9;
    const d = await got;
    return { props, attr: el.getAttribute('count'), n: d.n, latentDim: d.latentDim, latents: d.latents.length, finite: Array.from(d.latents).every(Number.isFinite) };
  });
  assert.deepEqual(detail.props, { count: 16, seed: 1, temperature: 1, modelClass: null, codePrior: 'fitted' });
  assert.equal(detail.attr, '9');
  assert.equal(detail.n, 9);
  assert.equal(detail.latentDim, 2);
  assert.equal(detail.latents, 18, '9 codes × 2 dimensions');
  assert.ok(detail.finite);
  await page.waitForFunction(() => document.querySelector('#demo-sampler').shadowRoot.querySelector('canvas').width === 3 * 28 + 2);
});

test('the resample button works from the keyboard', async () => {
  const seed = await page.evaluate(() => document.querySelector('#demo-sampler').seed);
  await page.locator('#demo-sampler button.resample').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((s) => document.querySelector('#demo-sampler').seed === s + 1, seed);
});

test('code-prior="standard-normal" draws N(0, I) codes from a file with a fitted code prior', async () => {
  // The sampler's checkpoint (vae-mnist-2d) carries a fitted 200-component code prior.
  const codes = await page.evaluate(async () => {
    const el = document.querySelector('#demo-sampler');
    // The codes of the next draw of `seed` (a redraw still under way has another seed).
    const drawn = (seed) =>
      new Promise((resolve) => {
        const on = (e) => {
          if (e.detail.seed !== seed) return;
          el.removeEventListener('latentlab-sample', on);
          resolve(Array.from(e.detail.latents));
        };
        el.addEventListener('latentlab-sample', on);
      });
    const seed = el.seed + 10;
    let next = drawn(seed);
    el.seed = seed;
    await next;
    next = drawn(seed);
    el.codePrior = 'standard-normal';
    const standard = await next;
    next = drawn(seed);
    el.codePrior = 'fitted';
    const fitted = await next;
    return { standard, fitted };
  });
  assert.equal(codes.standard.length, codes.fitted.length);
  assert.notDeepEqual(codes.standard, codes.fitted, 'the same seed, other codes');
  // A value it does not know is an error in that widget, naming the choices.
  await page.evaluate(() => document.querySelector('#demo-sampler').setAttribute('code-prior', 'uniform'));
  await page.waitForFunction(() => document.querySelector('#demo-sampler').hasAttribute('data-error'));
  const error = await page.evaluate(() => document.querySelector('#demo-sampler').shadowRoot.textContent);
  assert.match(error, /code-prior must be one of "fitted", "standard-normal", got "uniform"/);
  await page.evaluate(() => document.querySelector('#demo-sampler').removeAttribute('code-prior'));
  await page.waitForFunction(() => document.querySelector('#demo-sampler').hasAttribute('data-ready') && !document.querySelector('#demo-sampler').hasAttribute('data-error'));
});

test('bad sources and bad attributes show in their own widget; the others keep working', async () => {
  await page.route('**/weights/unreachable.safetensors', (route) => route.abort('connectionrefused'));
  const cases = [
    ['latent-lab-sampler', { src: 'weights/missing.safetensors' }, /HTTP 404/],
    // A host that does not answer: the message names the file, not only the browser's reason.
    ['latent-lab-sampler', { src: 'weights/unreachable.safetensors' }, /could not fetch http:\/\/\S+\/weights\/unreachable\.safetensors: \S/],
    ['latent-lab-sampler', { src: 'embed.html' }, /not a Latent Lab checkpoint/],
    ['latent-lab-latent-map', { src: 'weights/vae-mnist-conv16.safetensors' }, /2-D latent space; this model has 16/],
    ['latent-lab-reconstruct', { src: 'weights/gan-ring8.safetensors' }, /has no encoder/],
    ['latent-lab-sampler', { src: 'weights/vae-mnist-2d.safetensors', count: '100000' }, /count must be a whole number from 1 to 4096, got "100000"/],
    ['latent-lab-sampler', { src: 'weights/vae-mnist-2d.safetensors', temperature: 'abc' }, /temperature must be a number from 0 to 10, got "abc"/],
    ['latent-lab-sampler', { src: 'weights/cvae-mnist.safetensors', 'model-class': '12' }, /model-class must be from 0 to 9/],
    ['latent-lab-sampler', { src: 'weights/vae-mnist-2d.safetensors', 'model-class': '3' }, /model-class is for conditional models/],
    ['latent-lab-interpolator', { src: 'weights/vae-mnist-2d.safetensors', mode: 'cubic' }, /mode must be one of "slerp", "lerp"/],
    // Numbers are decimal: Number() alone would read "0x0A" as 10.
    ['latent-lab-sampler', { src: 'weights/vae-mnist-2d.safetensors', temperature: '0x0A' }, /temperature must be a number from 0 to 10, got "0x0A"/],
    ['latent-lab-sampler', {}, /set the src attribute/],
    ['latent-lab-gan-trainer', { pack: '0' }, /pack must be a whole number from 1 to 8/],
  ];
  await page.evaluate((list) => {
    const box = document.createElement('div');
    box.id = 'bad';
    list.forEach(([tag, attrs], i) => {
      const el = document.createElement(tag);
      el.id = `bad-${i}`;
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      box.append(el);
    });
    document.querySelector('article').prepend(box);
    window.scrollTo(0, 0);
  }, cases.map(([t, a]) => [t, a]));
  for (const [i, [, , re]] of cases.entries()) {
    await settled(`#bad-${i}`, 'data-error');
    assert.match(await page.locator(`#bad-${i} .error`).textContent(), re);
  }
  // A trainer whose attributes did not parse trains nothing: Play leaves it idle, its error shown.
  const badTrainer = `#bad-${cases.length - 1}`;
  await page.locator(badTrainer).evaluate((el) => {
    el.shadowRoot.querySelector('.lr').value = '0.001';
    el.shadowRoot.querySelector('.play').click();
  });
  await page.waitForTimeout(1000);
  assert.equal(await page.locator(badTrainer).evaluate((el) => el.dataset.trainState), 'idle');
  assert.match(await page.locator(`${badTrainer} .error`).textContent(), /pack must be/);
  // The reconstruct widget that cannot show this model gives up the room it kept for the posterior.
  assert.equal(await page.locator('#bad-4').evaluate((el) => el.shadowRoot.querySelector('.posterior-fig').hidden), true);
  // The error stayed in those widgets: the good ones still answer.
  const n = await page.locator('#demo-sampler canvas').evaluate((c) => Number(c.dataset.rendered));
  await page.locator('#demo-sampler button.resample').click();
  await page.waitForFunction((k) => Number(document.querySelector('#demo-sampler').shadowRoot.querySelector('canvas').dataset.rendered) > k, n);
  assert.equal(await has('#demo-sampler', 'data-error'), false);
  assert.equal(await has('#demo-map', 'data-error'), false);
  // Fixing the attribute clears the error.
  await page.evaluate(() => document.getElementById('bad-6').setAttribute('temperature', '0.5'));
  await settled('#bad-6');
  assert.equal(await has('#bad-6', 'data-error'), false);
  await page.evaluate(() => document.getElementById('bad').remove());
  await page.unroute('**/weights/unreachable.safetensors');
  const expected = /missing\.safetensors|unreachable\.safetensors|status of 404/;
  const rest = problems.filter((p) => !expected.test(p));
  problems.length = 0;
  problems.push(...rest);
});

test('the GAN and the VAE trainers train side by side with progress events', async () => {
  const progress = await page.evaluate(() => {
    window.__progress = { gan: 0, vae: 0 };
    for (const [id, key] of [['demo-gan', 'gan'], ['demo-vae', 'vae']]) {
      document.getElementById(id).addEventListener('latentlab-progress', () => window.__progress[key]++);
    }
    return window.__progress;
  });
  assert.deepEqual(progress, { gan: 0, vae: 0 });
  await page.setViewportSize({ width: 1280, height: 4000 }); // both in view at once
  const height = (id) => page.evaluate((i) => document.getElementById(i).getBoundingClientRect().height, id);
  const idleHeight = await height('demo-vae');
  await page.locator('#demo-gan button.play').click();
  await page.locator('#demo-vae button.play').click();
  await page.waitForFunction(() => Number(document.getElementById('demo-gan').dataset.previews) >= 3 && Number(document.getElementById('demo-vae').dataset.previews) >= 2, null, { timeout: 120_000 });
  const p = await page.evaluate(() => window.__progress);
  assert.ok(p.gan > 0 && p.vae > 0, JSON.stringify(p));
  const heat = await canvasStats(page.locator('#demo-gan canvas'));
  assert.ok(heat.variance > 100, 'scatter over the heat map');
  const samples = await canvasStats(page.locator('#demo-vae canvas.samples'));
  assert.ok(samples.variance > 100, `VAE samples variance ${samples.variance}`);
  // Its previews drew where it had kept room for them.
  const previewHeight = await height('demo-vae');
  assert.ok(Math.abs(previewHeight - idleHeight) <= 24, `VAE trainer: ${idleHeight} px idle, ${previewHeight} px with previews`);
  // Scrolled out of view, a running trainer pauses; back in view, it resumes.
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => document.getElementById('demo-gan').dataset.trainState === 'paused');
  await page.locator('#demo-gan').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.getElementById('demo-gan').dataset.trainState === 'running');
  // Pause is honoured: the step count stops.
  await page.locator('#demo-gan button.play').click();
  await page.waitForFunction(() => document.getElementById('demo-gan').dataset.trainState === 'paused');
  const s1 = await page.locator('#demo-gan .status').textContent();
  await page.waitForTimeout(500);
  assert.equal(await page.locator('#demo-gan .status').textContent(), s1);
  await page.locator('#demo-vae button.reset').click();
  await page.waitForFunction(() => document.getElementById('demo-vae').dataset.trainState === 'idle');
  await page.screenshot({ path: join(ARTIFACTS, 'embed-widgets.png'), fullPage: true });
});

test('a trainer removed while its data loads never trains; moved in the page it trains on; Play uses the learning rate in the box (a refused one marks the box); steps are not announced', async () => {
  await page.evaluate(async () => {
    window.scrollTo(0, 0);
    // Every trainStart payload the widgets send, as the worker gets it.
    const rpc = (await import('./rpc.js')).sharedRpc();
    const call = rpc.call.bind(rpc);
    window.__starts = [];
    rpc.call = (type, payload, ...rest) => {
      if (type === 'trainStart') window.__starts.push(payload);
      return call(type, payload, ...rest);
    };
  });
  const runState = (run) => page.evaluate(async (r) => (await (await import('./rpc.js')).sharedRpc().call('trainStatus', { run: r })).state, run);

  // Removed while Fashion-MNIST is still downloading (held back 3 s here): the run it asked
  // for is cancelled in the worker, not trained to max-steps with nobody watching.
  const data = `${server.url}data/fashion-mnist-train-images.idx.gz`;
  await page.route(data, async (r) => {
    await new Promise((res) => setTimeout(res, 3000));
    await r.continue();
  });
  const removed = await page.evaluate(async () => {
    const el = document.createElement('latent-lab-vae-trainer');
    el.setAttribute('training-set', 'fashion-mnist');
    el.setAttribute('autoplay', '');
    document.querySelector('article').prepend(el);
    while (el.dataset.trainState !== 'starting') await new Promise((res) => setTimeout(res, 10));
    el.remove();
    return el.runId;
  });
  await page.waitForTimeout(5000); // the data has arrived by now
  await page.unroute(data);
  assert.equal(await runState(removed), 'none', 'a removed trainer left a run training');

  // Removed earlier still, while its idle view's data is on the way (held back 500 ms here):
  // autoplay starts no run at all once that arrives.
  const early = await page.evaluate(async () => {
    const rpc = (await import('./rpc.js')).sharedRpc();
    const call = rpc.call;
    rpc.call = async (type, ...rest) => {
      if (type === 'dataPoints') await new Promise((res) => setTimeout(res, 500));
      return call(type, ...rest);
    };
    const el = document.createElement('latent-lab-gan-trainer');
    el.setAttribute('autoplay', '');
    document.querySelector('article').prepend(el);
    while (!el.shadowRoot.querySelector('.lr').value) await new Promise((res) => setTimeout(res, 10));
    el.remove();
    await new Promise((res) => setTimeout(res, 1500));
    rpc.call = call;
    return { run: el.runId, started: window.__starts.some((p) => p.run === el.runId), state: el.dataset.trainState };
  });
  assert.deepEqual([early.started, early.state], [false, 'idle'], 'a trainer removed before it started asked for a run');
  assert.equal(await runState(early.run), 'none');

  // Moved (removed and inserted in one task), a running trainer keeps its run; its step
  // counter is not a live region while it runs, and its learning rate typed before Play is the
  // one the run starts with.
  const moved = await page.evaluate(async () => {
    const el = document.createElement('latent-lab-gan-trainer');
    el.setAttribute('max-steps', '0');
    document.querySelector('article').prepend(el);
    while (!el.shadowRoot.querySelector('.lr').value) await new Promise((res) => setTimeout(res, 10));
    const lr = el.shadowRoot.querySelector('.lr');
    // A refused rate marks the box, described by the error; an accepted one clears both.
    const marks = () => [lr.getAttribute('aria-invalid'), el.shadowRoot.getElementById(lr.getAttribute('aria-describedby'))?.textContent ?? null];
    lr.value = '5';
    lr.dispatchEvent(new Event('change'));
    const refused = marks();
    lr.value = '0.0042';
    lr.dispatchEvent(new Event('change'));
    const accepted = marks();
    el.shadowRoot.querySelector('.play').click();
    while (el.dataset.trainState !== 'running' || el.step < 10) await new Promise((res) => setTimeout(res, 10));
    const live = el.shadowRoot.querySelector('.status').getAttribute('aria-live');
    const before = el.step;
    document.querySelector('article').prepend(el); // a move: disconnected, then connected
    await new Promise((res) => setTimeout(res, 1000));
    return { run: el.runId, live, before, after: el.step, state: el.dataset.trainState, lr: window.__starts.at(-1).spec.lr, refused, accepted };
  });
  assert.equal(moved.refused[0], 'true');
  assert.match(moved.refused[1], /learning rate must be a number from 0.000001 to 1, got "5"/);
  assert.deepEqual(moved.accepted, [null, null]);
  assert.equal(moved.live, 'off');
  assert.equal(moved.lr, 0.0042);
  assert.equal(moved.state, 'running');
  assert.ok(moved.after > moved.before, `steps ${moved.before} → ${moved.after} after the move`);
  assert.equal(await runState(moved.run), 'running');
  await page.evaluate(() => document.querySelector('article > latent-lab-gan-trainer').remove());
  for (let i = 0; i < 50 && (await runState(moved.run)) !== 'none'; i++) await page.waitForTimeout(100);
  assert.equal(await runState(moved.run), 'none', 'a removed trainer left its run training');
});

test('an autoplay trainer waits for Play where the reader asks for reduced motion, and plays by itself otherwise', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  const trainer = (id) =>
    page.evaluate((i) => {
      const el = document.createElement('latent-lab-gan-trainer');
      el.id = i;
      el.setAttribute('autoplay', '');
      el.setAttribute('max-steps', '0');
      document.querySelector('article').prepend(el);
    }, id);
  const steps = (id) => page.evaluate((i) => document.getElementById(i).step, id);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  try {
    await trainer('calm');
    await page.waitForFunction(() => document.getElementById('calm').hasAttribute('data-ready'), null, { timeout: 60_000 });
    await page.waitForTimeout(3000);
    assert.equal(await page.evaluate(() => document.getElementById('calm').dataset.trainState), 'idle', 'reduced motion: not started');
    assert.equal(await steps('calm'), 0);
    assert.match(await page.locator('#calm .status').textContent(), /reduced motion: press Play/);
    await page.locator('#calm button.play').click();
    await page.waitForFunction(() => document.getElementById('calm').step > 0, null, { timeout: 60_000 });
  } finally {
    await page.emulateMedia({ reducedMotion: null });
  }
  await trainer('lively');
  await page.waitForFunction(() => document.getElementById('lively').step > 0, null, { timeout: 60_000 });
  await page.evaluate(() => {
    for (const id of ['calm', 'lively']) document.getElementById(id).remove();
  });
});

test('the GAN trainer offers only the pack sizes that divide its batch', async () => {
  const offered = await page.evaluate(async () => {
    const el = document.createElement('latent-lab-gan-trainer');
    el.setAttribute('max-steps', '0');
    document.querySelector('article').prepend(el);
    const enabled = () => [...el.shadowRoot.querySelectorAll('select.pack option')].filter((o) => !o.disabled).map((o) => Number(o.value));
    while (!el.shadowRoot.querySelector('.lr').value) await new Promise((res) => setTimeout(res, 10));
    const atDefault = enabled();
    el.setAttribute('batch-size', '24');
    for (let i = 0; i < 300 && enabled().includes(5); i++) await new Promise((res) => setTimeout(res, 10));
    const at24 = enabled();
    el.remove();
    return { atDefault, at24 };
  });
  assert.deepEqual(offered.atDefault, [1, 2, 4, 5], 'batch 100');
  assert.deepEqual(offered.at24, [1, 2, 3, 4, 6, 8], 'batch 24');
});

test('the default GAN recipe (PacGAN, pack 2, lr 1e-3, batch 100) forms the ring: ≥ 6 of 8 modes by step 1000', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  const coverage = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const el = document.createElement('latent-lab-gan-trainer');
        el.id = 'ring';
        el.setAttribute('autoplay', '');
        el.setAttribute('max-steps', '1000');
        el.setAttribute('preview-every', '100');
        const seen = [];
        el.addEventListener('latentlab-error', (e) => reject(new Error(e.detail.message)));
        el.addEventListener('latentlab-sample', (e) => {
          // Modes of ring8: 8 Gaussians on the unit circle; a mode counts with ≥ 10 of the 1000
          // generated points within 0.1 of its centre.
          const p = e.detail.points;
          const hits = new Array(8).fill(0);
          for (let i = 0; i < p.length; i += 2) {
            for (let m = 0; m < 8; m++) {
              const a = (2 * Math.PI * m) / 8;
              if (Math.hypot(p[i] - Math.cos(a), p[i + 1] - Math.sin(a)) < 0.1) hits[m]++;
            }
          }
          seen.push({ step: e.detail.step, modes: hits.filter((c) => c >= 10).length });
          if (e.detail.step >= 1000) resolve(seen);
        });
        document.querySelector('article').prepend(el);
      }),
  );
  const best = Math.max(...coverage.filter((c) => c.step >= 600).map((c) => c.modes));
  assert.ok(best >= 6, `modes covered from step 600 on: ${JSON.stringify(coverage)}`);
  await page.evaluate(() => document.getElementById('ring').remove());
});

test('every widget fits a 360 px column', async () => {
  await page.setViewportSize({ width: 360, height: 800 });
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('article [id^="demo-"]')]
      .map((el) => [el.id, el.getBoundingClientRect().right])
      .filter(([, r]) => r > 360.5),
  );
  assert.deepEqual(wide, []);
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 360), 'no horizontal scrolling');
});

test('no console errors, failed requests or requests to other hosts', async () => {
  assert.deepEqual(problems, []);
});

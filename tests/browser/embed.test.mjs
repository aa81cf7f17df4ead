// The widget gallery (www/embed.html): the sampler and the interpolator render inside their
// shadow roots, from one <script type="module"> line, and respond to their controls.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, canvasStats, launchBrowser, startServer, watch } from './helpers.mjs';

let server;
let browser;
let page;
let problems;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  problems = watch(page, new URL(server.url).origin);
  await page.goto(`${server.url}embed.html`);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Widgets start their work when scrolled into view.
const ready = async (sel) => {
  await page.locator(sel).scrollIntoViewIfNeeded();
  await page.waitForFunction((s) => document.querySelector(s)?.hasAttribute('data-ready'), sel, { timeout: 60_000 });
};

test('the sampler widget draws a grid and resamples', async () => {
  await ready('#demo-sampler');
  const canvas = page.locator('#demo-sampler canvas'); // locators reach into open shadow roots
  const a = await canvasStats(canvas);
  assert.equal(a.w, 4 * 28 + 3, '16 samples in a 4 × 4 grid');
  assert.ok(a.variance > 500, `grid variance ${a.variance}`);
  await page.locator('#demo-sampler button').click();
  await page.waitForFunction(() => document.querySelector('#demo-sampler').getAttribute('seed') === '2');
  await page.waitForFunction(() => {
    const c = document.querySelector('#demo-sampler').shadowRoot.querySelector('canvas');
    return Number(c.dataset.rendered) >= 2;
  });
  const b = await canvasStats(canvas);
  assert.notEqual(b.hash, a.hash, 'resample draws new samples');
  assert.match(await page.locator('#demo-sampler .status').textContent(), /seed 2/);
});

test('the interpolator widget draws a strip and the slider scrubs', async () => {
  await ready('#demo-interpolator');
  const strip = await canvasStats(page.locator('#demo-interpolator canvas.strip'));
  assert.equal(strip.w, 10 * 28 + 9 * 2, '10 frames');
  assert.ok(strip.variance > 500, `strip variance ${strip.variance}`);
  const frame = page.locator('#demo-interpolator canvas.frame');
  const slider = page.locator('#demo-interpolator input[type="range"]');
  await slider.evaluate((e) => {
    e.value = '0';
    e.dispatchEvent(new Event('input'));
  });
  const f0 = await canvasStats(frame);
  await slider.evaluate((e) => {
    e.value = e.max;
    e.dispatchEvent(new Event('input'));
  });
  const f1 = await canvasStats(frame);
  assert.ok(f0.variance > 100 && f1.variance > 100);
  assert.notEqual(f0.hash, f1.hash);
  await page.screenshot({ path: join(ARTIFACTS, 'embed.png'), fullPage: true });
});

test('a widget given a file that is not a checkpoint shows the error; the others keep working', async () => {
  await page.evaluate(() => {
    const w = document.createElement('latent-lab-sampler');
    w.id = 'broken';
    w.setAttribute('src', 'weights/vae-mnist-2d.safetensors');
    document.querySelector('article').append(w);
  });
  await ready('#broken');
  // Point it at a file that is not a checkpoint: an error reply, shown in the widget.
  await page.evaluate(() => document.getElementById('broken').setAttribute('src', 'embed.html'));
  await page.waitForFunction(() => document.getElementById('broken').hasAttribute('data-error'));
  assert.match(await page.locator('#broken .error').textContent(), /not a Latent Lab checkpoint/);
  await page.locator('#demo-sampler').scrollIntoViewIfNeeded();
  const count = () => page.locator('#demo-sampler canvas').evaluate((c) => Number(c.dataset.rendered));
  const before = await count();
  await page.locator('#demo-sampler button').click();
  await page.waitForFunction(
    (n) => Number(document.querySelector('#demo-sampler').shadowRoot.querySelector('canvas').dataset.rendered) > n,
    before,
  );
  assert.ok((await canvasStats(page.locator('#demo-sampler canvas'))).variance > 500);
});

test('no console errors, failed requests or requests to other hosts', async () => {
  assert.deepEqual(problems, []);
});

// The widgets under a strict Content-Security-Policy, and served from another origin than the
// page (a CDN-like script host that sends CORS and CORP headers), with and without a CSP. These
// are the policies README.md documents.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, canvasStats, computeWorkers, launchBrowser, startServer, watch, watchCsp } from './helpers.mjs';

const STRICT = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const crossOriginPolicy = (host) => `default-src 'self'; script-src 'self' ${host} 'wasm-unsafe-eval'; worker-src blob:; connect-src 'self' ${host}`;

let browser;
const servers = [];
let site;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  if (site) rmSync(site, { recursive: true, force: true });
});

async function serve(options) {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

/** Opens `url`, records problems and CSP violations (page and worker alike). */
async function open(url, origin) {
  const page = await browser.context.newPage();
  const problems = watch(page, origin);
  const workers = computeWorkers(page);
  await watchCsp(page, problems);
  await page.goto(url);
  return { page, problems, workers };
}

async function ready(page, sel) {
  await page.locator(sel).scrollIntoViewIfNeeded();
  await page.waitForFunction((s) => document.querySelector(s)?.hasAttribute('data-ready') || document.querySelector(s)?.hasAttribute('data-error'), sel, { timeout: 60_000 });
  const error = await page.evaluate((s) => document.querySelector(s).getAttribute('data-error'), sel);
  assert.equal(error, null, `${sel}: ${error}`);
}

test(`same origin under "${STRICT}": widgets and a trainer work`, async () => {
  const server = await serve({ args: ['--csp', STRICT] });
  const { page, problems, workers } = await open(`${server.url}embed.html`, new URL(server.url).origin);
  for (const sel of ['#demo-sampler', '#demo-map', '#demo-points', '#demo-gan']) await ready(page, sel);
  assert.ok((await canvasStats(page.locator('#demo-sampler canvas'))).variance > 500);
  await page.locator('#demo-gan button.play').click();
  await page.waitForFunction(() => Number(document.getElementById('demo-gan').dataset.previews) >= 2, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.querySelector('#demo-sampler').shadowRoot.adoptedStyleSheets.length), 1);
  const compute = await workers();
  assert.equal(compute.length, 1);
  assert.doesNotMatch(compute[0], /^blob:/, 'same origin: the worker script itself, no blob (none is allowed here)');
  assert.deepEqual(problems, []);
  await page.close();
});

/** A page on its own origin that loads the widgets from `cdn` (a URL ending in /). */
function writeSite(cdn) {
  site = mkdtempSync(join(tmpdir(), 'latentlab-site-'));
  copyFileSync(join(ROOT, 'www', 'weights', 'vae-mnist-2d.safetensors'), join(site, 'own.safetensors'));
  copyFileSync(join(ROOT, 'www', 'favicon.svg'), join(site, 'favicon.svg'));
  writeFileSync(
    join(site, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A tutorial elsewhere</title><link rel="icon" href="favicon.svg">
<script type="module" src="${cdn}widgets.js"></script></head><body>
<latent-lab-sampler id="cdn-weights" src="${cdn}weights/vae-mnist-2d.safetensors"></latent-lab-sampler>
<latent-lab-sampler id="own-weights" src="own.safetensors" count="4"></latent-lab-sampler>
<latent-lab-reconstruct id="recon" src="${cdn}weights/vae-mnist-conv16.safetensors"></latent-lab-reconstruct>
<latent-lab-gan-trainer id="gan" autoplay max-steps="100" preview-every="20"></latent-lab-gan-trainer>
</body></html>`,
  );
  return site;
}

test('scripts, wasm and data from another origin (CORS + CORP): isolated, under a CSP, and without COOP/COEP', async () => {
  const cdn = await serve({ args: ['--cors'] });
  const dir = writeSite(cdn.url);
  const cdnHost = new URL(cdn.url).origin;
  // A cross-origin-isolated host, the same under the documented CSP, and a host that sends no
  // COOP/COEP headers at all (as many static hosts do).
  for (const options of [{}, { args: ['--csp', crossOriginPolicy(cdnHost)] }, { isolation: false }]) {
    const host = await serve({ ...options, args: ['--root', dir, ...(options.args ?? [])] });
    assert.notEqual(new URL(host.url).origin, cdnHost);
    const { page, problems, workers } = await open(host.url);
    for (const sel of ['#cdn-weights', '#own-weights', '#recon', '#gan']) await ready(page, sel);
    assert.ok((await canvasStats(page.locator('#cdn-weights canvas'))).variance > 500);
    assert.equal((await canvasStats(page.locator('#own-weights canvas'))).w, 2 * 28 + 1, 'src relative to the page');
    await page.waitForFunction(() => document.getElementById('recon').shadowRoot.querySelector('.posterior').dataset.dims === '16', null, { timeout: 30_000 });
    await page.waitForFunction(() => Number(document.getElementById('gan').dataset.previews) >= 2, null, { timeout: 60_000 });
    const compute = await workers();
    assert.equal(compute.length, 1, `one worker: ${compute}`);
    assert.match(compute[0], /^blob:/, 'started from a same-origin blob');
    assert.deepEqual(problems, [], `options ${JSON.stringify(options)}`);
    await page.close();
  }
});

// pkg-scripts/pack: the npm tarball `latentlab-web` installed into a plain static site and into
// a fresh Vite app (vite build), each served and opened in Chromium: the widgets render, a GAN
// trains, a test digit (packed data) is reconstructed. Its TypeScript declarations type-check
// a correct use and reject a wrong one.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, canvasStats, launchBrowser, startServer, watch } from './helpers.mjs';

let tmp;
let tgz;
let browser;
const servers = [];

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const npmInstall = (dir) => run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tgz], dir);

const WIDGETS = `
<latent-lab-sampler id="sampler" src="weights/vae-mnist-2d.safetensors" count="9"></latent-lab-sampler>
<latent-lab-sampler id="points" src="weights/gan-ring8.safetensors"></latent-lab-sampler>
<latent-lab-reconstruct id="recon" src="weights/vae-mnist-conv16.safetensors"></latent-lab-reconstruct>
<latent-lab-gan-trainer id="gan" autoplay max-steps="60" preview-every="20"></latent-lab-gan-trainer>`;

function site(name, weightsDir) {
  const dir = join(tmp, name);
  mkdirSync(join(dir, weightsDir), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  for (const w of ['vae-mnist-2d', 'gan-ring8', 'vae-mnist-conv16']) {
    copyFileSync(join(ROOT, 'www', 'weights', `${w}.safetensors`), join(dir, weightsDir, `${w}.safetensors`));
  }
  npmInstall(dir);
  return dir;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'latentlab-pack-'));
  tgz = run(join(ROOT, 'pkg-scripts', 'pack'), [join(tmp, 'out')], ROOT).trim().split('\n').pop();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds the entry, the worker, the wasm, the data, the types and a README', () => {
  const list = run('tar', ['-tzf', tgz], tmp).split('\n');
  for (const f of ['widgets.js', 'widgets.d.ts', 'rpc.js', 'rpc.d.ts', 'worker.js', 'pkg/latentlab.js', 'pkg/latentlab_bg.wasm', 'pkg/latentlab_relaxed_bg.wasm', 'widgets/base.js', 'data/mnist-test-images.idx.gz', 'README.md', 'package.json']) {
    assert.ok(list.includes(`package/${f}`), `package/${f} is packed`);
  }
  const manifest = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json'], tmp));
  assert.equal(manifest.name, 'latentlab-web');
  assert.deepEqual(manifest.exports['.'], { types: './widgets.d.ts', default: './widgets.js' });
});

/** Opens `url` and checks the widgets; resolves to the names of the wasm files it fetched. */
async function expectWidgets(url) {
  const page = await browser.context.newPage();
  const problems = watch(page, new URL(url).origin);
  const wasm = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname.split('/').pop());
  });
  await page.setViewportSize({ width: 1280, height: 3000 });
  await page.goto(url);
  for (const id of ['sampler', 'points', 'recon', 'gan']) {
    await page.waitForFunction((i) => document.getElementById(i)?.matches('[data-ready], [data-error]'), id, { timeout: 60_000 });
    assert.equal(await page.evaluate((i) => document.getElementById(i).getAttribute('data-error'), id), null, id);
  }
  const grid = await canvasStats(page.locator('#sampler canvas'));
  assert.equal(grid.w, 3 * 28 + 2);
  assert.ok(grid.variance > 500);
  await page.waitForFunction(() => document.getElementById('recon').shadowRoot.querySelector('.posterior').dataset.dims === '16', null, { timeout: 30_000 });
  await page.waitForFunction(() => Number(document.getElementById('gan').dataset.previews) >= 2, null, { timeout: 60_000 });
  assert.deepEqual(problems, []);
  await page.close();
  return wasm;
}

test('a plain static page: <script type="module" src="node_modules/latentlab-web/widgets.js">', async () => {
  const dir = site('static-site', 'weights');
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>static</title><link rel="icon" href="data:,">
<script type="module" src="node_modules/latentlab-web/widgets.js"></script></head><body>${WIDGETS}</body></html>`,
  );
  const server = await startServer({ args: ['--root', dir] });
  servers.push(server);
  await expectWidgets(server.url);
});

test('a Vite app: import "latentlab-web", vite build, serve dist/', async () => {
  const dir = site('vite-app', join('public', 'weights'));
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vite</title><link rel="icon" href="data:,">
<script type="module" src="/main.js"></script></head><body>${WIDGETS}</body></html>`,
  );
  writeFileSync(join(dir, 'main.js'), "import { ELEMENTS } from 'latentlab-web';\ndocument.body.dataset.elements = String(Object.keys(ELEMENTS).length);\n");
  // No vite.config.js: `vite build` needs none (README: Embedding).
  run(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], dir);
  // Both of the single-thread build's modules are bundled (Chromium runs the relaxed-simd one),
  // and only those: the threaded build is not (README: Embedding).
  const assets = readdirSync(join(dir, 'dist', 'assets'));
  const wasm = assets.filter((f) => f.endsWith('.wasm')).sort();
  assert.equal(wasm.length, 2, `two wasm modules bundled: ${wasm}`);
  assert.match(wasm[0], /^latentlab_bg-/);
  assert.match(wasm[1], /^latentlab_relaxed_bg-/);
  // Served without COOP/COEP, as a Vite app is by default, the page does not look for the
  // threaded build. The page's `?relaxed=0` reaches the bundled worker (its options travel in
  // the worker's name, not in a URL the bundle would not have).
  const server = await startServer({ isolation: false, args: ['--root', join(dir, 'dist')] });
  servers.push(server);
  const relaxed = await expectWidgets(server.url);
  assert.deepEqual(relaxed.map((f) => f.split('-')[0]), ['latentlab_relaxed_bg'], `fetched ${relaxed}`);
  const plain = await expectWidgets(`${server.url}?relaxed=0`);
  assert.deepEqual(plain.map((f) => f.split('-')[0]), ['latentlab_bg'], `?relaxed=0 fetched ${plain}`);
});

test('imported in Node, as a server-side render does: the classes, no tags and no error', () => {
  const out = run(process.execPath, ['--input-type=module', '-e', "const m = await import('latentlab-web'); console.log(Object.keys(m.ELEMENTS).length, typeof m.LatentLabSampler, typeof globalThis.customElements)"], join(tmp, 'vite-app'));
  assert.equal(out.trim(), '6 function undefined');
});

test('the TypeScript declarations type the elements, their properties and events', () => {
  const dir = join(tmp, 'vite-app');
  const tsc = (file) =>
    spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom', file], { cwd: dir, encoding: 'utf8' });
  writeFileSync(
    join(dir, 'good.ts'),
    `import { LatentLabSampler, loadModel } from 'latentlab-web';
const s = document.createElement('latent-lab-sampler');
const check: LatentLabSampler = s;
s.count = 9;
s.modelClass = 3;
const t: number = s.temperature;
s.addEventListener('latentlab-sample', (e) => { const z: Float32Array | undefined = e.detail.latents; console.log(z, t, check); });
document.querySelector('latent-lab-gan-trainer')!.pack = 4;
document.querySelector('latent-lab-gan-trainer')!.trainingSet = 'grid25';
document.querySelector('latent-lab-vae-trainer')!.latentDim = 8;
document.querySelector('latent-lab-vae-trainer')!.trainingSet = 'fashion-mnist';
s.src = 'weights/other.safetensors';
loadModel('x').then((info) => { const d: number | null = info.latent_dim; return d; });
`,
  );
  writeFileSync(join(dir, 'bad.ts'), "import 'latentlab-web';\ndocument.createElement('latent-lab-sampler').count = 'many';\n");
  writeFileSync(join(dir, 'bad-set.ts'), "import 'latentlab-web';\ndocument.createElement('latent-lab-gan-trainer').trainingSet = 'mnist';\n");
  const good = tsc('good.ts');
  assert.equal(good.status, 0, good.stdout + good.stderr);
  const bad = tsc('bad.ts');
  assert.notEqual(bad.status, 0, 'assigning a string to count is a type error');
  assert.match(bad.stdout, /not assignable to type 'number/);
  const badSet = tsc('bad-set.ts');
  assert.notEqual(badSet.status, 0, 'an image set on the GAN trainer is a type error');
  assert.match(badSet.stdout, /"mnist"' is not assignable to type 'ToySet'/);
});

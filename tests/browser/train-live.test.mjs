// The Train view while it trains: Pause is answered within 200 ms (by the worker itself when a
// step is shorter than its time budget; at once by the page, then after the step in flight,
// for the heaviest allowed model, whose first step shows its running time instead of "Step 0");
// the other views are never blocked by training (it has a worker of its own); Reset is
// immediate; the live paper metric equals `latentlab eval` on the downloaded checkpoint (mode
// count of a 2-D GAN, held-out ELBO of a VAE, held-out reconstruction of an autoencoder, LeNet
// Fréchet distance of an image GAN);
// notes after a download stay, and "Use in other views" lands on the top of the page.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, ROOT, clickConfirming, launchBrowser, openLab, rendered, startServer, waitRendered } from './helpers.mjs';

const CLI = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'release', 'latentlab');

let server;
let browser;
let page;
let problems;

const lab = (fn, arg) => page.evaluate(fn, arg);
const trainState = () => page.locator('#view-train').getAttribute('data-train-state');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ page, problems } = await openLab(browser, server, '#train'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Sets the Train form: dataset first (it proposes a kind and recipe), then the rest. */
async function setForm({ dataset, kind, hidden = '', batch, stop = '', preview }) {
  await page.locator('#train-dataset').selectOption(dataset);
  if (kind) await page.locator('#train-kind').selectOption(kind);
  await page.locator('#train-arch').selectOption('mlp');
  await page.locator('#train-hidden').fill(hidden);
  if (batch) await page.locator('#train-batch').fill(String(batch));
  await page.locator('#train-stop').fill(String(stop));
  if (preview) await page.locator('#train-preview').fill(String(preview));
}

/**
 * Clicks Pause; resolves to {ackMs, pausedMs}: from the click (as the page saw it) to the page
 * saying "pausing" and to the worker's "paused", timed in the page.
 */
async function pauseLatency(timeout) {
  await lab(() => {
    const view = document.getElementById('view-train');
    const times = (window.__pauseTimes = {});
    document.getElementById('train-pause').addEventListener('click', () => (times.click = performance.now()), { capture: true, once: true });
    const seen = new MutationObserver(() => {
      times[view.dataset.trainState] ??= performance.now();
      if (view.dataset.trainState === 'paused') seen.disconnect();
    });
    seen.observe(view, { attributes: true, attributeFilter: ['data-train-state'] });
  });
  await page.locator('#train-pause').click();
  await page.waitForFunction(() => window.__pauseTimes.paused, null, { timeout, polling: 50 });
  const t = await lab(() => window.__pauseTimes);
  return { ackMs: (t.pausing ?? t.paused) - t.click, pausedMs: t.paused - t.click };
}

/** Resets the run (it has steps: Reset asks first, answered yes); resolves to the ms it took. */
async function resetIdle() {
  const t0 = Date.now();
  await clickConfirming(page.locator('#train-reset'));
  await page.waitForFunction(() => document.getElementById('view-train').dataset.trainState === 'idle');
  return Date.now() - t0;
}

test('an ordinary model: the worker itself answers Pause within 200 ms', async () => {
  await setForm({ dataset: 'mnist', kind: 'vae', batch: 64 });
  await page.locator('#train-start').click();
  await page.waitForFunction(() => window.__latentlab.train?.state === 'running' && window.__latentlab.train.step > 20, null, { timeout: 60_000 });
  const { ackMs, pausedMs } = await pauseLatency(5_000);
  const sps = await lab(() => window.__latentlab.train.stepsPerSec);
  console.log(`MLP VAE, batch 64: ${(1000 / sps).toFixed(1)} ms a step; Pause acknowledged in ${ackMs.toFixed(0)} ms, paused by the worker in ${pausedMs.toFixed(0)} ms`);
  assert.ok(pausedMs < 200, `paused in ${pausedMs} ms`);
  const step = await lab(() => window.__latentlab.train.step);
  await page.waitForTimeout(300);
  assert.equal(await lab(() => window.__latentlab.train.step), step, 'paused means no more steps');
  await resetIdle();
});

test('the heaviest allowed model: running time shown, Pause answered at once, other views never wait', async () => {
  // Within the library's limits (4 hidden layers of at most 4096, batch ≤ 1024) and its 1 GiB
  // memory budget (which refuses 4096×4 at batch 1024: 3.4 GiB), about the largest MLP VAE.
  await setForm({ dataset: 'mnist', kind: 'vae', hidden: '2048,2048,2048,2048', batch: 768, preview: 1000 });
  await page.locator('#train-start').click();
  await page.waitForFunction(() => window.__latentlab.train?.state === 'running', null, { timeout: 60_000 });
  // The first step: the status counts its seconds instead of sitting at "Step 0".
  await page.waitForFunction(() => /running step 1: [\d.]+ s so far/.test(document.getElementById('train-status').textContent), null, { timeout: 10_000 });
  const status = await page.locator('#train-status').textContent();
  assert.doesNotMatch(status, /Step 0/, status);
  // Another view's request goes to the page's own worker: answered while the step runs.
  await page.evaluate(() => (location.hash = 'sample'));
  const before = await rendered(page, '#sample-canvas');
  const t0 = Date.now();
  await page.locator('#sample-new-seed').click();
  await waitRendered(page, '#sample-canvas', before, 10_000);
  const sampleMs = Date.now() - t0;
  await page.evaluate(() => (location.hash = 'train'));
  assert.equal(await lab(() => window.__latentlab.train.step), 0, 'the first step is still running');
  const { ackMs, pausedMs } = await pauseLatency(120_000);
  const run = await lab(() => ({ step: window.__latentlab.train.step, wallS: window.__latentlab.train.wallS }));
  console.log(
    `MLP VAE 784-2048×4, batch 768: first step ${run.wallS.toFixed(1)} s; a Sample request during it took ${sampleMs} ms; ` +
      `Pause acknowledged in ${ackMs.toFixed(0)} ms, the worker paused ${(pausedMs / 1000).toFixed(1)} s after the click (after the step in flight)`,
  );
  assert.ok(ackMs < 200, `Pause acknowledged in ${ackMs} ms`);
  assert.ok(sampleMs < 2_000, `the Sample view answered in ${sampleMs} ms while the training step ran`);
  assert.ok(run.step >= 1);
  await page.screenshot({ path: join(ARTIFACTS, 'train-live-heavy.png'), fullPage: true });
  // Reset stops the training worker: immediate, even while a step runs.
  await page.locator('#train-pause').click(); // Resume
  await page.waitForFunction(() => /running step/.test(document.getElementById('train-status').textContent), null, { timeout: 10_000 });
  const resetMs = await resetIdle();
  console.log(`Reset during a heavy step: ${resetMs} ms`);
  assert.ok(resetMs < 1_000, `Reset took ${resetMs} ms`);
});

/** `latentlab eval FILE ARGS --json`, parsed; skips the test if the CLI is not built. */
function cliEval(t, file, args) {
  if (!existsSync(CLI)) {
    t.skip(`${CLI} does not exist (cargo build --release --bin latentlab)`);
    return null;
  }
  const res = spawnSync(CLI, ['eval', file, ...args, '--json', '--data-dir', join(ROOT, 'data')], { encoding: 'utf8' });
  assert.equal(res.status, 0, `latentlab eval failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

async function download(name) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.locator('#train-download').click()]);
  const path = join(ARTIFACTS, `train-live-${name}.safetensors`);
  await d.saveAs(path);
  return path;
}

test('a 2-D GAN: the live mode count is latentlab eval on the same checkpoint', async (t) => {
  await setForm({ dataset: 'ring8', stop: 1000, preview: 250 });
  assert.equal(await page.locator('#train-kind').inputValue(), 'gan');
  await page.locator('#train-start').click();
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 1000, null, { timeout: 120_000 });
  await page.waitForFunction(() => window.__latentlab.train.eval?.step === 1000);
  const live = await lab(() => window.__latentlab.train.eval);
  assert.match(await page.locator('#train-metric').textContent(), /PacGAN protocol at step 1000: \d+ \/ 8 modes covered, [\d.]+ % high quality/);
  const file = await download('gan-ring8');
  // The "saved" note stays while the page carries on.
  await page.waitForTimeout(1500);
  assert.match(await page.locator('#train-note').textContent(), /Saved latentlab-gan-ring8\.safetensors \(step 1000/);
  assert.equal(await page.locator('#train-note').isVisible(), true);
  const cli = cliEval(t, file, ['--samples', String(live.options.samples), '--seed', String(live.options.seed)]);
  if (!cli) return;
  console.log(
    `ring8 GAN, step 1000: page ${live.report.modes.modes_covered}/8 modes, ${live.report.modes.high_quality_pct.toFixed(2)} % HQ; ` +
      `latentlab eval ${cli.modes.modes_covered}/8, ${cli.modes.high_quality_pct.toFixed(2)} % HQ (${cli.modes.samples} samples)`,
  );
  assert.equal(live.report.modes.samples, 2500, "PacGAN's sample count, the points the scatter shows");
  assert.ok(cli.modes.modes_covered > 0, 'a comparison of something: the GAN covers a mode by step 1000');
  assert.equal(live.report.modes.modes_covered, cli.modes.modes_covered);
  assert.ok(Math.abs(live.report.modes.high_quality_pct - cli.modes.high_quality_pct) <= 0.2, 'high quality within 5 of 2500 samples');
  await page.screenshot({ path: join(ARTIFACTS, 'train-live-gan.png'), fullPage: true });
});

test('a VAE: the live held-out ELBO and the IWAE bound are latentlab eval on the same checkpoint', async (t) => {
  await setForm({ dataset: 'mnist', kind: 'vae', batch: 64, stop: 100, preview: 50 });
  await clickConfirming(page.locator('#train-start')); // Restart: the last test's run is paused at its limit
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 100, null, { timeout: 120_000 });
  await page.waitForFunction(() => window.__latentlab.train.eval?.step === 100);
  const live = await lab(() => window.__latentlab.train.eval);
  assert.match(await page.locator('#train-metric').textContent(), /Held-out −ELBO at step 100: [\d.]+ nats/);
  await page.locator('#train-iwae').click();
  await page.waitForFunction(() => window.__latentlab.train.eval?.report.likelihood.k === 50, null, { timeout: 60_000 });
  const iwae = await lab(() => window.__latentlab.train.eval);
  assert.match(await page.locator('#train-metric').textContent(), /IWAE-50 −log p\(x\) ≤ [\d.]+ nats/);
  const file = await download('vae-mnist');
  const o = live.options;
  const cli = cliEval(t, file, ['--k', '1', '--test-size', String(o.test_size), '--seed', String(o.seed)]);
  if (!cli) return;
  const cli50 = cliEval(t, file, ['--k', '50', '--test-size', String(iwae.options.test_size), '--seed', String(iwae.options.seed)]);
  const l = live.report.likelihood;
  console.log(
    `MNIST VAE, step 100: page −ELBO ${l.neg_elbo.toFixed(3)}, IWAE-50 ${iwae.report.likelihood.nll.toFixed(3)}; ` +
      `latentlab eval −ELBO ${cli.likelihood.neg_elbo.toFixed(3)}, IWAE-50 ${cli50.likelihood.nll.toFixed(3)} (first ${o.test_size} test images)`,
  );
  assert.equal(l.samples, cli.likelihood.samples);
  assert.ok(Math.abs(l.neg_elbo - cli.likelihood.neg_elbo) < 0.05, `−ELBO ${l.neg_elbo} vs ${cli.likelihood.neg_elbo}`);
  assert.ok(Math.abs(iwae.report.likelihood.nll - cli50.likelihood.nll) < 0.05, `IWAE ${iwae.report.likelihood.nll} vs ${cli50.likelihood.nll}`);
});

test('an autoencoder: the live held-out reconstruction is latentlab eval on the same checkpoint', async (t) => {
  await setForm({ dataset: 'mnist', kind: 'autoencoder', batch: 64, stop: 100, preview: 50 });
  await clickConfirming(page.locator('#train-start')); // Restart: the last test's run is paused at its limit
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 100, null, { timeout: 120_000 });
  await page.waitForFunction(() => window.__latentlab.train.eval?.step === 100);
  const live = await lab(() => window.__latentlab.train.eval);
  assert.match(await page.locator('#train-metric').textContent(), /Held-out reconstruction at step 100: −log p\(x \| z = μ\(x\)\) [\d.]+ nats/);
  const file = await download('autoencoder-mnist');
  const o = live.options;
  const cli = cliEval(t, file, ['--test-size', String(o.test_size), '--seed', String(o.seed)]);
  if (!cli) return;
  const r = live.report.reconstruction;
  console.log(
    `MNIST autoencoder, step 100: page ${r.nll.toFixed(3)} nats, squared error ${r.mse.toFixed(5)}; latentlab eval ` +
      `${cli.reconstruction.nll.toFixed(3)} nats, ${cli.reconstruction.mse.toFixed(5)}, LeNet names ` +
      `${(100 * cli.reconstruction.label_agreement).toFixed(1)} % of the digits (first ${o.test_size} test images)`,
  );
  assert.equal(r.samples, cli.reconstruction.samples);
  assert.ok(Math.abs(r.nll - cli.reconstruction.nll) < 0.05, `${r.nll} vs ${cli.reconstruction.nll}`);
  assert.ok(Math.abs(r.mse - cli.reconstruction.mse) < 1e-5, `${r.mse} vs ${cli.reconstruction.mse}`);
  assert.equal(r.label_agreement, undefined, 'the page gives its classifier to image GANs alone');
});

test('an image GAN: the live LeNet Fréchet distance is latentlab eval on the same checkpoint', async (t) => {
  await setForm({ dataset: 'mnist', kind: 'gan', batch: 64, stop: 100, preview: 50 });
  await clickConfirming(page.locator('#train-start')); // Restart: the last test's run is paused at its limit
  await page.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 100, null, { timeout: 120_000 });
  await page.waitForFunction(() => window.__latentlab.train.eval?.step === 100);
  const live = await lab(() => window.__latentlab.train.eval);
  const text = await page.locator('#train-metric').textContent();
  assert.match(text, /LeNet Fréchet distance at step 100: [\d.]+ \(real training images: [\d.]+\); \d+ % of 500 samples recognizable/);
  assert.match(text, /--classifier www\/weights\/classifiers\/lenet-mnist\.safetensors/);
  const file = await download('gan-mnist');
  const o = live.options;
  const classifier = join(ROOT, 'www', 'weights', 'classifiers', 'lenet-mnist.safetensors');
  const cli = cliEval(t, file, ['--samples', String(o.samples), '--test-size', String(o.test_size), '--seed', String(o.seed), '--classifier', classifier]);
  if (!cli) return;
  const [f, c] = [live.report.frechet, cli.frechet];
  console.log(
    `MNIST MLP GAN, step 100 (live metric took ${live.ms.toFixed(0)} ms): page Fréchet ${f.generated_vs_test.toFixed(3)} (floor ${f.floor_train_vs_test.toFixed(3)}), ` +
      `${(100 * f.confident_share).toFixed(1)} % confident; latentlab eval ${c.generated_vs_test.toFixed(3)} (floor ${c.floor_train_vs_test.toFixed(3)}), ` +
      `${(100 * c.confident_share).toFixed(1)} % (${c.samples} samples, first ${o.test_size} test images)`,
  );
  assert.equal(f.samples, c.samples);
  assert.ok(Math.abs(f.generated_vs_test - c.generated_vs_test) <= 0.01 * c.generated_vs_test, `${f.generated_vs_test} vs ${c.generated_vs_test}`);
  assert.ok(Math.abs(f.floor_train_vs_test - c.floor_train_vs_test) <= 0.01 * c.floor_train_vs_test, `${f.floor_train_vs_test} vs ${c.floor_train_vs_test}`);
  assert.ok(Math.abs(f.confident_share - c.confident_share) <= 2 / 500, `${f.confident_share} vs ${c.confident_share}`);
});

test('"Use in other views" lands on the top of the Sample view', async () => {
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.locator('#train-use').click();
  await page.waitForFunction(() => document.documentElement.dataset.view === 'sample');
  await page.waitForFunction(() => /Trained here/.test(document.querySelector('#model-select option:checked')?.textContent ?? ''));
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  assert.ok(await page.locator('.site-header').isVisible());
  await page.evaluate(() => (location.hash = 'train'));
  await resetIdle();
});

test('no console errors, failed requests or requests to other hosts', async () => {
  assert.equal(await page.locator('#banner').isVisible(), false, await page.locator('#banner-text').textContent());
  assert.deepEqual(problems, []);
});

// Training in the browser: 200 MLP-VAE steps on the MNIST subset lower the loss while the
// page stays responsive; the downloaded checkpoint is read by the native CLI; the trained
// model is usable in the other views; pause / resume / reset; a 2-D GAN's heat map; Reset and
// Restart ask before they discard a run with steps.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, ROOT, canvasStats, clickConfirming, launchBrowser, rendered, startServer, waitRendered, watch } from './helpers.mjs';

const CLI = join(ROOT, 'target', 'release', 'latentlab');

let server;
let browser;
let page;
let problems;
let checkpointPath = null;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `train-${name}.png`), fullPage: true });
const lab = (expr) => page.evaluate(expr);

/** Mean of `metric` over the steps in [from, to], weighting each chunk by its overlap. */
function meanOver(history, metric, from, to) {
  let sum = 0;
  let w = 0;
  for (const e of history) {
    const lo = e.step - e.k + 1;
    const overlap = Math.min(e.step, to) - Math.max(lo, from) + 1;
    if (overlap > 0) {
      sum += e.metrics[metric] * overlap;
      w += overlap;
    }
  }
  return sum / w;
}

async function waitTrain(pred, arg, timeout = 120_000) {
  await page.waitForFunction(pred, arg, { timeout, polling: 100 });
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  problems = watch(page, new URL(server.url).origin);
  await page.goto(`${server.url}#train`);
  await page.waitForFunction(() => window.__latentlab?.ready === true, null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('200 steps of an MLP VAE on MNIST (batch 64) lower the loss; the page stays responsive', async () => {
  await page.locator('#train-dataset').selectOption('mnist');
  await page.locator('#train-kind').selectOption('vae');
  await page.locator('#train-arch').selectOption('mlp');
  await page.locator('#train-batch').fill('64');
  await page.locator('#train-stop').fill('200');
  await page.locator('#train-preview').fill('50');
  // Watch the main thread: the longest gap between animation frames while training runs.
  await page.evaluate(() => {
    window.__frameGap = 0;
    let last = performance.now();
    const tick = (t) => {
      window.__frameGap = Math.max(window.__frameGap, t - last);
      last = t;
      if (!window.__stopFrames) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const t0 = Date.now();
  await page.locator('#train-start').click();
  await waitTrain(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 200);
  const seconds = (Date.now() - t0) / 1000;
  const frameGap = await page.evaluate(() => {
    window.__stopFrames = true;
    return window.__frameGap;
  });
  const run = await lab(() => ({
    history: window.__latentlab.train.history,
    stepsPerSec: window.__latentlab.train.stepsPerSec,
    previews: window.__latentlab.train.previews,
    reason: window.__latentlab.train.pauseReason,
  }));
  assert.equal(run.reason, 'limit');
  const first = meanOver(run.history, 'loss', 1, 20);
  const last = meanOver(run.history, 'loss', 181, 200);
  console.log(
    `training: 200 steps in ${seconds.toFixed(1)} s (${run.stepsPerSec.toFixed(1)} steps/s in the worker); ` +
      `loss ${first.toFixed(1)} (steps 1–20) → ${last.toFixed(1)} (steps 181–200); longest frame gap ${frameGap.toFixed(0)} ms`,
  );
  assert.ok(last < first * 0.85, `loss fell: ${first} → ${last}`);
  assert.equal(run.history.reduce((s, e) => s + e.k, 0), 200, 'chunks add up to 200 steps');
  assert.ok(frameGap < 2000, `the page kept drawing frames (longest gap ${frameGap} ms)`);
  // Previews at steps 0, 50, 100, 150, 200 and the loss curves.
  assert.ok(run.previews >= 5, `${run.previews} previews`);
  assert.ok((await canvasStats(page, '#train-samples')).variance > 200, 'sample preview drawn');
  assert.ok((await canvasStats(page, '#train-recon')).variance > 200, 'reconstruction preview drawn');
  for (const m of ['loss', 'kl', 'recon']) {
    assert.ok((await rendered(page, `#train-charts canvas[data-metric="${m}"]`)) > 0, `${m} chart drawn`);
  }
  assert.match(await page.locator('#train-status').textContent(), /paused at the step limit · Step 200/);
  await shot('vae-mnist');
});

test('the downloaded checkpoint is accepted by the native CLI', async (t) => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#train-download').click()]);
  assert.equal(download.suggestedFilename(), 'latentlab-vae-mnist.safetensors');
  checkpointPath = join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(checkpointPath);
  if (!existsSync(CLI)) {
    t.skip(`${CLI} does not exist (build it with cargo build --release); the checkpoint is at ${checkpointPath}`);
    return;
  }
  const res = spawnSync(CLI, ['info', checkpointPath, '--json'], { encoding: 'utf8' });
  assert.equal(res.status, 0, `latentlab info failed: ${res.stderr}`);
  const info = JSON.parse(res.stdout);
  assert.equal(info.model.kind, 'vae');
  assert.equal(info.model.backbone.arch, 'mlp');
  assert.equal(info.train.steps, 200);
  assert.equal(info.train.config.batch_size, 64);
  assert.equal(info.train.device, 'wasm');
  assert.equal(info.data.name, 'mnist');
  assert.ok(info.train.wall_s > 0);
});

test('"Use in other views" makes the trained model current', async () => {
  const before = await rendered(page, '#sample-canvas');
  await page.locator('#train-use').click();
  await page.waitForFunction(() => document.documentElement.dataset.view === 'sample');
  // The button went with its view: focus is on the Sample view's heading, not lost to the body.
  assert.equal(await page.evaluate(() => document.activeElement.closest('section')?.id + ' ' + document.activeElement.localName), 'view-sample h2');
  await waitRendered(page, '#sample-canvas', before);
  assert.match(await page.locator('#model-select option:checked').textContent(), /Trained here: vae \(mlp, latent 20\) on mnist, step 200/);
  assert.match(await page.locator('#meta-train').textContent(), /200 steps.*on wasm/);
  assert.ok((await canvasStats(page, '#sample-canvas')).variance > 300);
  await shot('use-sample');
  // The run is still there to continue.
  await page.evaluate(() => {
    location.hash = 'train';
  });
});

test('with a code prior, "Use in other views" samples from a mixture fitted to the training codes', async () => {
  await page.waitForFunction(() => document.documentElement.dataset.view === 'train');
  await page.locator('#train-code-prior').check();
  const before = await rendered(page, '#sample-canvas');
  await page.locator('#train-use').click();
  await page.waitForFunction(() => document.documentElement.dataset.view === 'sample');
  await waitRendered(page, '#sample-canvas', before);
  assert.match(await page.locator('#meta-summary').textContent(), /codes from a 50-component mixture/);
  assert.ok((await canvasStats(page, '#sample-canvas')).variance > 300);
  await page.evaluate(() => {
    location.hash = 'train';
  });
  await page.locator('#train-code-prior').uncheck();
});

test('resume past the limit, pause and reset', async () => {
  await page.locator('#train-pause').click(); // "Resume": lifts the step limit
  await waitTrain(() => window.__latentlab.train?.state === 'running' && window.__latentlab.train.step > 210, null, 60_000);
  await page.locator('#train-pause').click();
  await waitTrain(() => window.__latentlab.train?.state === 'paused', null, 30_000);
  const step = await lab(() => window.__latentlab.train.step);
  assert.ok(step > 210);
  // Paused means paused: no steps while we wait a little.
  await page.waitForTimeout(400);
  assert.equal(await lab(() => window.__latentlab.train.step), step);
  // A live learning-rate change is accepted, Enter included: it applies the rate rather than
  // submitting the form, whose default button reads Restart now.
  await page.locator('#train-lr').fill('0.0005');
  await page.locator('#train-lr').press('Enter');
  await page.waitForFunction(() => /Learning rate now 0.0005/.test(document.getElementById('train-note').textContent));
  assert.deepEqual(await lab(() => [window.__latentlab.train.state, window.__latentlab.train.step]), ['paused', step], 'Enter kept the run');
  // So is a step limit typed while the run goes on; one it has passed is kept for the next run.
  await page.locator('#train-stop').fill(String(step));
  await page.locator('#train-stop').press('Enter');
  await page.waitForFunction((s) => document.getElementById('train-note').textContent.includes(`The run is past step ${s} (at ${s})`), step);
  assert.equal(await page.locator('#train-stop').getAttribute('aria-invalid'), null);
  await page.locator('#train-stop').fill('');
  await page.locator('#train-pause').click(); // "Resume", with no limit
  await waitTrain(() => window.__latentlab.train?.state === 'running', null, 30_000);
  const stopAt = (await lab(() => window.__latentlab.train.step)) + 300;
  await page.locator('#train-stop').fill(String(stopAt));
  await page.locator('#train-stop').press('Enter');
  await page.waitForFunction((s) => document.getElementById('train-note').textContent.includes(`The run stops at step ${s}.`), stopAt);
  await waitTrain(() => window.__latentlab.train?.state === 'paused', null, 60_000);
  assert.equal(await lab(() => window.__latentlab.train.step), stopAt);
  // Leaving the page asks first while the run has steps to lose, and not once it is reset.
  const leaving = () =>
    page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      dispatchEvent(e);
      return e.defaultPrevented;
    });
  assert.equal(await leaving(), true, 'a run with steps: the browser asks before unloading');
  await page.locator('#train-iwae').click();
  await clickConfirming(page.locator('#train-reset'));
  await page.waitForFunction(() => document.getElementById('view-train').dataset.trainState === 'idle');
  await page.waitForTimeout(500);
  // Reset while the IWAE bound was being computed: no failure of the bound is reported.
  assert.equal(await page.locator('#train-error').isVisible(), false, await page.locator('#train-error').textContent());
  assert.equal(await leaving(), false, 'nothing to lose after Reset');
  assert.equal(await page.locator('#train-download').isDisabled(), true);
  assert.equal(await page.locator('#train-charts canvas').count(), 0);
});

test('a 2-D GAN on ring8 draws real and fake points over the discriminator heat map', async () => {
  await page.locator('#train-dataset').selectOption('ring8');
  await page.locator('#train-kind').selectOption('gan');
  await page.locator('#train-stop').fill('60');
  await page.locator('#train-preview').fill('30');
  await page.locator('#train-start').click();
  await waitTrain(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 60, null, 120_000);
  const scatter = await canvasStats(page, '#train-scatter');
  assert.ok(scatter.variance > 50, `scatter variance ${scatter.variance}`);
  // The heat map colours the background: most pixels are not white.
  const colored = await page.locator('#train-scatter').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 750) n++;
    return n / (d.length / 4);
  });
  assert.ok(colored > 0.5, `heat map covers the plot (${(colored * 100).toFixed(0)} % coloured)`);
  for (const m of ['d_loss', 'g_loss', 'd_real', 'd_fake']) {
    assert.equal(await page.locator(`#train-charts canvas[data-metric="${m}"]`).count(), 1, `${m} chart`);
  }
  await shot('gan-ring8');
  await clickConfirming(page.locator('#train-reset'));
  await page.waitForFunction(() => document.getElementById('view-train').dataset.trainState === 'idle');
});

test('Reset and Restart ask before discarding a run with steps: declined, the run goes on; accepted, it is discarded', async () => {
  // The run as the page has it; `mark` tells this run from a new one.
  const now = () => lab(() => ({ mark: window.__latentlab.train?.mark, state: window.__latentlab.train?.state, step: window.__latentlab.train?.step }));
  await page.locator('#train-stop').fill('');
  await page.locator('#train-start').click(); // idle: starts without asking
  await waitTrain(() => window.__latentlab.train?.state === 'running' && window.__latentlab.train.step > 0, null, 60_000);
  await lab(() => (window.__latentlab.train.mark = 'first'));
  // Running, then paused: declining either button keeps the run, its steps and its state.
  for (const state of ['running', 'paused']) {
    if (state === 'paused') {
      await page.locator('#train-pause').click();
      await waitTrain(() => window.__latentlab.train?.state === 'paused', null, 30_000);
    }
    for (const [button, asked] of [
      ['#train-reset', /^Discard the run at step \d+\? Download checkpoint first to keep it\.$/],
      ['#train-start', /^Discard the run at step \d+ and start a new one\? Download checkpoint first to keep it\.$/],
    ]) {
      const before = await now();
      const message = await clickConfirming(page.locator(button), { accept: false });
      assert.match(message, asked);
      const after = await now();
      assert.deepEqual([after.mark, after.state], ['first', state], `${button} declined while ${state}: ${JSON.stringify(after)}`);
      if (state === 'paused') {
        assert.equal(message.match(/step (\d+)/)[1], String(before.step), 'the question names the step');
        assert.equal(after.step, before.step);
      } else assert.ok(after.step >= before.step, `steps ${before.step} → ${after.step}`);
    }
  }
  assert.ok((await page.locator('#train-charts canvas').count()) > 0, 'the charts stay');
  // Accepted, Restart starts a new run and Reset ends it.
  await clickConfirming(page.locator('#train-start'));
  await waitTrain(() => window.__latentlab.train?.state === 'running' && window.__latentlab.train.step > 0 && !window.__latentlab.train.mark, null, 60_000);
  await clickConfirming(page.locator('#train-reset'));
  await page.waitForFunction(() => document.getElementById('view-train').dataset.trainState === 'idle');
  assert.equal(await page.locator('#train-status').textContent(), 'Reset. Not started.');
});

test('no console errors, failed requests or requests to other hosts', async () => {
  assert.equal(await page.locator('#banner').isVisible(), false, await page.locator('#banner-text').textContent());
  assert.deepEqual(problems, []);
});

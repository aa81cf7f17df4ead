// The page's forms as a newcomer meets them: every invalid field gets an in-page message beside
// it that names the real limit (the Train form's limits come from the library's catalog) and
// nothing is clamped or wrapped; choosing a dataset proposes the kind and recipe the library
// suggests for it; at phone width (390 × 844, and 360) every tab and, after Start, the training
// status are visible without scrolling sideways.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, launchBrowser, openLab, startServer, watch } from './helpers.mjs';

let server;
let browser;
let page;
let problems;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ page, problems } = await openLab(browser, server, '#train'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * The in-page message that describes field `id` (null if none). It must not be inside the
 * field's label, where it would become part of the field's name.
 */
const fieldError = (id) =>
  page.evaluate((i) => {
    const input = document.getElementById(i);
    const note = document.getElementById(input.getAttribute('aria-describedby'));
    if (note && input.closest('label')?.contains(note)) throw new Error(`the message of ${i} is inside its label`);
    return note?.textContent ?? null;
  }, id);

/** Fills field `id` with `value`, presses Start, and returns the message beside it. */
async function refusedOnStart(id, value) {
  await page.locator(`#${id}`).fill(value);
  await page.locator('#train-start').click();
  const msg = await fieldError(id);
  assert.equal(await page.locator('#view-train').getAttribute('data-train-state'), 'idle', `${id}=${value} started a run`);
  assert.equal(await page.evaluate(() => document.activeElement?.id), id, 'focus goes to the refused field');
  return msg;
}

test('choosing a dataset proposes the kind and settings the library suggests for it', async () => {
  await page.locator('#train-dataset').selectOption('ring8');
  assert.equal(await page.locator('#train-kind').inputValue(), 'gan', 'a 2-D mixture proposes the GAN');
  assert.equal(await page.locator('#train-pack').inputValue(), '2', 'PacGAN packing 2');
  assert.equal(await page.locator('#train-batch').inputValue(), '100');
  assert.equal(await page.locator('#train-arch').inputValue(), 'mlp');
  await page.locator('#train-dataset').selectOption('mnist');
  assert.equal(await page.locator('#train-kind').inputValue(), 'vae', 'images propose the VAE');
  assert.equal(await page.locator('#train-batch').inputValue(), '64');
  // A kind chosen by hand stays while the proposal is the same.
  await page.locator('#train-kind').selectOption('beta-vae');
  await page.locator('#train-dataset').selectOption('fashion-mnist');
  assert.equal(await page.locator('#train-kind').inputValue(), 'beta-vae');
  await page.locator('#train-dataset').selectOption('mnist');
});

test('every invalid Train field shows an in-page message naming the limit', async () => {
  const cases = [
    // [kind to select (its fields appear), field, value, message]
    ['vae', 'train-batch', '0', /Batch size must be a whole number from 1 to 1024, got 0/],
    ['vae', 'train-batch', '2.5', /from 1 to 1024, got 2.5/],
    ['vae', 'train-latent', '100000', /Latent dim must be a whole number from 1 to 512, got 100000/],
    ['vae', 'train-hidden', '99999999', /whole numbers from 1 to 4096 .*got 99999999/],
    ['vae', 'train-hidden', '64,64,64,64,64', /list 1 to 4 layers, got 5/],
    ['vae', 'train-hidden', 'abc', /from 1 to 4096 .*got abc/],
    ['vae', 'train-lr', '0', /Learning rate must be a number above 0 and at most 1, got 0/],
    ['vae', 'train-seed', '4294967296', /Seed must be a whole number from 0 to 4294967295, got 4294967296/],
    ['vae', 'train-seed', '-1', /from 0 to 4294967295, got -1/],
    ['vae', 'train-preview', '0', /Preview every \(steps\) must be a whole number ≥ 1, got 0/],
    ['vae', 'train-stop', '-5', /Stop at step must be a whole number from 0 to 1099511627776, got -5/],
    ['vae', 'train-stop', '3e12', /from 0 to 1099511627776, got 3e12/],
    ['beta-vae', 'train-beta', '-1', /β \(KL weight\) must be a number from 0 to 1000, got -1/],
    ['gan', 'train-pack', '100', /Pack \(PacGAN\) must be a whole number from 1 to 8, got 100/],
    ['gan', 'train-pack', '3', /Pack \(PacGAN\) must divide the batch size \(\d+\), got 3/],
  ];
  const defaults = {};
  for (const [kind, id, value, want] of cases) {
    await page.locator('#train-kind').selectOption(kind);
    defaults[id] ??= await page.locator(`#${id}`).inputValue();
    const msg = await refusedOnStart(id, value);
    assert.match(msg ?? '(no message)', want, `${id} = ${value}`);
    assert.match(await page.locator('#train-error').textContent(), want, 'and above the charts');
    assert.equal(await page.locator(`#${id}`).inputValue(), value, 'the field keeps what was typed');
    await page.locator(`#${id}`).fill(defaults[id]);
    assert.equal(await fieldError(id), null, 'editing the field clears its message');
    assert.equal(await page.locator('#train-error').isVisible(), false, 'and the one above the charts');
  }
  await page.screenshot({ path: join(ARTIFACTS, 'forms-train.png'), fullPage: true });
});

test("the other views' fields are refused with the limit, not clamped or wrapped", async () => {
  const cases = [
    ['sample', 'sample-seed', '4294967296', /Seed must be a whole number from 0 to 4294967295, got 4294967296/, '#sample-status'],
    ['sample', 'sample-seed', '-1', /got -1/, '#sample-status'],
    ['interpolate', 'interp-steps', '0', /Frames must be a whole number from 2 to 32, got 0/, '#interp-status'],
    ['interpolate', 'interp-steps', '1000', /from 2 to 32, got 1000/, '#interp-status'],
    ['interpolate', 'interp-seed', '4294967296', /from 0 to 4294967295/, '#interp-status'],
    ['latent-map', 'map-range', '100', /Range ± must be a number from 0.5 to 8, got 100/, '#map-status'],
  ];
  for (const [view, id, value, want, status] of cases) {
    await page.evaluate((v) => (location.hash = v), view);
    const before = await page.locator(`#${id}`).inputValue();
    await page.locator(`#${id}`).fill(value);
    await page.locator(`#${id}`).dispatchEvent('change');
    await page.waitForFunction((i) => document.getElementById(i).hasAttribute('aria-describedby'), id);
    assert.match(await fieldError(id), want, `${id} = ${value}`);
    assert.match(await page.locator(status).textContent(), want);
    assert.equal(await page.locator(`#${id}`).inputValue(), value, 'not rewritten');
    await page.locator(`#${id}`).fill(before);
    await page.locator(`#${id}`).dispatchEvent('change');
  }
  assert.equal(await page.locator('#banner').isVisible(), false, 'a refused field is not a page error');
});

test('at 390 × 844 every tab shows and, after Start, the training status is in view', async () => {
  const phone = await browser.context.newPage();
  const seen = watch(phone, new URL(server.url).origin);
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${server.url}#train`);
  await phone.waitForFunction(() => window.__latentlab?.ready === true, null, { timeout: 60_000 });
  await phone.waitForFunction(() => document.querySelectorAll('#train-kind option').length > 0);
  const layout = () =>
    phone.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const tabs = [...document.querySelectorAll('.tabs a')].map((a) => {
        const r = a.getBoundingClientRect();
        return { text: a.textContent, left: r.left, right: r.right };
      });
      const card = document.getElementById('model-card').getBoundingClientRect();
      const s = document.getElementById('train-status').getBoundingClientRect();
      return { vw, scrollWidth: document.documentElement.scrollWidth, tabs, cardBottom: card.bottom, status: { top: s.top, bottom: s.bottom }, vh: innerHeight };
    });
  let l = await layout();
  assert.ok(l.scrollWidth <= l.vw, `no sideways scroll (${l.scrollWidth} > ${l.vw})`);
  assert.deepEqual(l.tabs.map((t) => t.text), ['Sample', 'Interpolate', 'Reconstruct', 'Latent map', 'Arithmetic', 'Train', 'Load']);
  for (const t of l.tabs) assert.ok(t.left >= 0 && t.right <= l.vw, `tab ${t.text} in view (${t.left}–${t.right} of ${l.vw})`);
  assert.ok(l.cardBottom < 0.3 * l.vh, `header and model card take ${((100 * l.cardBottom) / l.vh).toFixed(0)} % of the first screen`);
  await phone.locator('#train-dataset').selectOption('ring8');
  await phone.locator('#train-stop').fill('40');
  await phone.locator('#train-start').scrollIntoViewIfNeeded();
  await phone.locator('#train-start').click();
  await phone.waitForFunction(() => window.__latentlab.train?.state === 'paused' && window.__latentlab.train.step === 40, null, { timeout: 60_000 });
  l = await layout();
  assert.ok(l.status.top >= -1 && l.status.bottom <= l.vh, `status in view after Start (${l.status.top}–${l.status.bottom} of ${l.vh})`);
  assert.ok(l.scrollWidth <= l.vw, `no sideways scroll while training (${l.scrollWidth} > ${l.vw})`);
  await phone.screenshot({ path: join(ARTIFACTS, 'forms-phone-train.png') });
  for (const view of ['sample', 'interpolate', 'reconstruct', 'latent-map', 'arithmetic', 'load']) {
    await phone.evaluate((v) => (location.hash = v), view);
    const w = await phone.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(w[0] <= w[1], `#${view}: no sideways scroll (${w[0]} > ${w[1]})`);
  }
  // The narrowest phones: still every tab, still no sideways scroll.
  await phone.setViewportSize({ width: 360, height: 740 });
  for (const view of ['train', 'sample', 'reconstruct']) {
    await phone.evaluate((v) => (location.hash = v), view);
    l = await layout();
    assert.ok(l.scrollWidth <= l.vw, `360 px, #${view}: no sideways scroll (${l.scrollWidth} > ${l.vw})`);
    for (const t of l.tabs) assert.ok(t.left >= 0 && t.right <= l.vw, `360 px: tab ${t.text} in view`);
  }
  await phone.close();
  assert.deepEqual(seen, []);
});

test('no console errors, failed requests or requests to other hosts', async () => {
  assert.deepEqual(problems, []);
});

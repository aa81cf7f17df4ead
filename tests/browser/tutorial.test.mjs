// The bilingual tutorial (www/tutorial/index.html, zh.html), served under the strict CSP that
// pkg-scripts/serve sends by default (DEMO_CSP): every widget renders in both languages with its
// labels in that language, the trainers train, the formulas are laid out as MathML, the language
// switch and the demo page's link lead there, and nothing is fetched from another host.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_CSP } from '../../pkg-scripts/serve.mjs';
import { ARTIFACTS, launchBrowser, startServer, watch, watchCsp } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ args: ['--csp', DEMO_CSP] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const PAGES = [
  { file: 'index.html', lang: 'en', other: 'zh.html', resample: 'Resample', play: /^(Play|Pause)$/ },
  { file: 'zh.html', lang: 'zh-CN', other: 'index.html', resample: '重新采样', play: /^(开始|暂停)$/ },
];

for (const p of PAGES) {
  test(`tutorial/${p.file}: every widget renders, in ${p.lang}`, async () => {
    const page = await browser.context.newPage();
    const problems = watch(page, new URL(server.url).origin);
    await watchCsp(page, problems);
    await page.goto(`${server.url}tutorial/${p.file}`);
    assert.equal(await page.evaluate(() => document.documentElement.lang), p.lang);
    const ids = await page.evaluate(() => [...document.querySelectorAll('article *')].filter((e) => e.localName.startsWith('latent-lab-')).map((e) => e.id));
    assert.ok(ids.length >= 12, `${ids.length} widgets`);
    const kinds = new Set(await page.evaluate(() => [...document.querySelectorAll('article *')].map((e) => e.localName).filter((n) => n.startsWith('latent-lab-'))));
    assert.deepEqual([...kinds].sort(), ['latent-lab-gan-trainer', 'latent-lab-interpolator', 'latent-lab-latent-map', 'latent-lab-reconstruct', 'latent-lab-sampler', 'latent-lab-vae-trainer']);
    for (const id of ids) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded();
      await page.waitForFunction((i) => {
        const el = document.getElementById(i);
        return el.hasAttribute('data-ready') || el.hasAttribute('data-error');
      }, id, { timeout: 90_000 });
      assert.equal(await page.evaluate((i) => document.getElementById(i).getAttribute('data-error'), id), null, id);
      if (await page.evaluate((i) => document.getElementById(i).hasAttribute('autoplay'), id)) {
        // An autoplaying trainer trains while it is in view.
        await page.waitForFunction((i) => Number(document.getElementById(i).dataset.previews) >= 1, id, { timeout: 90_000 });
      }
    }
    assert.equal(await page.locator('#w-samples button.resample').textContent(), p.resample);
    assert.match(await page.locator('#w-gan-pack button.play').textContent(), p.play);
    // Formulas: native MathML, laid out (a fraction stacks its numerator over its denominator).
    const math = await page.evaluate(() => {
      const all = [...document.querySelectorAll('math')];
      const frac = document.querySelector('math[display="block"] mfrac');
      const [num, den] = frac.children;
      return {
        n: all.length,
        mathml: all.every((m) => m instanceof MathMLElement && m.getBoundingClientRect().width > 0),
        stacked: num.getBoundingClientRect().bottom <= den.getBoundingClientRect().top + 1,
      };
    });
    assert.ok(math.n >= 20, `${math.n} formulas`);
    assert.ok(math.mathml, 'every formula is a laid-out MathML element');
    assert.ok(math.stacked, 'fractions are stacked');
    await page.screenshot({ path: join(ARTIFACTS, `tutorial-${p.lang}.png`), fullPage: true });
    // A phone-width column: nothing sticks out.
    await page.setViewportSize({ width: 360, height: 800 });
    assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 360), 'no horizontal scrolling at 360 px');
    // The language switch.
    await page.locator(`nav.top a[href="${p.other}"]`).click();
    await page.waitForURL(`**/tutorial/${p.other}`);
    assert.notEqual(await page.evaluate(() => document.documentElement.lang), p.lang);
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('the demo page links to the tutorial in both languages', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}index.html`, { waitUntil: 'domcontentloaded' });
  const links = await page.evaluate(() => [...document.querySelectorAll('footer a')].map((a) => a.getAttribute('href')));
  assert.ok(links.includes('tutorial/index.html') && links.includes('tutorial/zh.html'), links.join(', '));
  await page.close();
});

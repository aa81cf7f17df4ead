import { launchBrowser, startServer } from './helpers.mjs';
const srv = await startServer({ isolation: false });
const b = await launchBrowser();
const p = await b.context.newPage();
await p.goto(`${srv.url}${process.argv[2] ?? 'embed.html'}`);
const dump = () => p.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.shadowRoot && e.localName.startsWith('latent-lab')).map((e) => `${e.id || e.localName} ${Math.round(e.getBoundingClientRect().height)}: ` + [...e.shadowRoot.querySelectorAll('canvas,figure,.row,.status,input')].map((c) => { const r = c.getBoundingClientRect(); return `${c.localName}.${c.className}=${Math.round(r.width)}x${Math.round(r.height)}`; }).join(' ')).join('\n'));
console.log(await dump());
for (const id of await p.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.shadowRoot && e.localName.startsWith('latent-lab')).map((e) => e.id))) {
  await p.locator('#' + id).scrollIntoViewIfNeeded();
  await p.waitForFunction((s) => { const e = document.getElementById(s); return e.hasAttribute('data-ready') || e.hasAttribute('data-error') || e.localName.includes('trainer'); }, id, { timeout: 30000 }).catch(() => {});
}
await p.waitForTimeout(1000);
console.log('---- after'); console.log(await dump());
await b.close(); await srv.close();

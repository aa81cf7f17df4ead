// The page: header (model picker, model card, capabilities), the hash router and the views.
// All compute happens in worker.js; this file only moves data and draws.

import { sharedRpc } from './rpc.js';
import { el, fmtBytes, fmtCount, fmtMetric, fmtSeconds } from './ui.js';
import { createSampleView } from './views/sample.js';
import { createInterpolateView } from './views/interpolate.js';
import { createReconstructView } from './views/reconstruct.js';
import { createLatentMapView } from './views/latent-map.js';
import { createArithmeticView } from './views/arithmetic.js';
import { createTrainView } from './views/train.js';
import { createLoadView } from './views/load.js';

/** For tests and benchmarks: timings and readiness (see README). */
const lab = {
  ready: false,
  firstGridMs: null,
  lastSampleMs: null, // round trip of the last 64-image sample call
  lastSampleWorkerMs: null, // the same call's time inside the worker
  lastSample: null, // {n, ms, workerMs} of the last sample call of any size
  capabilities: null,
  model: null,
  train: null,
  errors: [],
  restarts: [], // {reason, reloaded, failed} of each compute worker that died and was replaced
};
window.__latentlab = lab;

const rpc = sharedRpc();
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// Errors: shown in the banner (and kept in __latentlab.errors), never only in the console.

function showError(err, context = '') {
  const msg = `${context ? `${context}: ` : ''}${err?.message ?? err}`;
  lab.errors.push(msg);
  $('banner-text').textContent = msg;
  $('banner').hidden = false;
  console.warn(msg);
}
$('banner-close').addEventListener('click', () => {
  $('banner').hidden = true;
  // Focus would fall to the page's body with the button: it goes to the current view's tab.
  document.querySelector('.tabs a[aria-current="page"]').focus();
});

// A compute worker that dies is replaced by rpc.js, which reloads the models it held: say so.
rpc.addEventListener('restart', ({ detail }) => {
  lab.restarts.push(detail);
  const reloaded = detail.reloaded.length ? ` and reloaded ${detail.reloaded.join(', ')}` : '';
  const failed = detail.failed.map((f) => `; could not reload ${f.name}: ${f.message}`).join('');
  const runs = detail.interrupted.filter((t) => t === 'trainStart').length;
  const lost = runs ? `; ${runs === 1 ? 'a training run was' : `${runs} training runs were`} lost` : '';
  showError(`${detail.reason}. A new worker was started${reloaded}${failed}${lost}`, 'The compute worker died');
});

// ---------------------------------------------------------------------------------------------
// Models: the manifest's, plus files loaded and runs trained in this page.

/** value → {title, url?, bytes?} */
const entries = new Map();
let userCount = 0;
let info = null;
let selected = null;
const modelListeners = [];
let loadChain = Promise.resolve();
let loadToken = 0;

const select = $('model-select');

function describeModel(i) {
  // An InfoGAN's and a self-conditioned GAN's summaries already name their codes or clusters
  // ("10 InfoGAN codes", "50 clusters").
  const cond = i.num_classes && !i.info_codes && !i.clusters ? ` · conditional on ${i.num_classes} classes` : '';
  $('meta-summary').textContent = `${i.summary}${cond}`;
  $('meta-params').textContent = `${fmtCount(i.parameters)}${i.bytes ? ` (${fmtBytes(i.bytes)} file)` : ''}`;
  const d = i.data ?? {};
  const shape = (i.sample_shape ?? []).join(' × ');
  const labels = d.clusters ? `, ${d.clusters.k} k-means clusters` : d.class_names?.length ? `, ${d.class_names.length} classes` : '';
  $('meta-data').textContent = `${d.name ?? '?'} (${shape}${labels})`;
  const t = i.train;
  if (!t) {
    $('meta-train').textContent = 'no training record';
  } else {
    const fm = t.final_metrics ?? {};
    const keys = ['loss', 'd_loss', 'g_loss'].filter((k) => k in fm);
    if (!keys.length && Object.keys(fm).length) keys.push(Object.keys(fm)[0]);
    const finals = keys.slice(0, 2).map((k) => `${k} ${fmtMetric(fm[k])}`).join(', ');
    const parts = [
      `${t.steps} steps`,
      t.epochs != null ? `${Number(t.epochs).toFixed(1)} epochs` : null,
      `batch ${t.config?.batch_size ?? '?'}`,
      t.wall_s ? `${fmtSeconds(t.wall_s)} on ${t.device}` : `on ${t.device}`,
      t.timestamp ? t.timestamp.slice(0, 10) : null,
      finals ? `final ${finals}` : null,
    ];
    $('meta-train').textContent = parts.filter(Boolean).join(' · ');
  }
  $('model-card').title = i.source ? `Source: ${i.source}` : '';
}

/**
 * Loads a picker entry into the worker. Resolves to the model's info; rejects (and leaves
 * the previous model in place) if the checkpoint cannot be loaded.
 */
function loadEntry(value) {
  const entry = entries.get(value);
  if (!entry) return Promise.reject(new Error(`no model "${value}"`));
  const token = ++loadToken;
  select.value = value;
  document.documentElement.dataset.modelLoading = 'true';
  const job = async () => {
    const payload = entry.bytes
      ? { bytes: entry.bytes.slice(0), name: entry.name ?? entry.title } // a copy: we keep ours to reselect
      : { url: entry.url, name: entry.url };
    try {
      const i = await rpc.call('loadModel', payload);
      if (token === loadToken) {
        info = i;
        selected = value;
        lab.model = { id: value, title: entry.title, kind: i.kind, summary: i.summary };
        describeModel(i);
        for (const fn of modelListeners) fn(i);
      }
      return i;
    } catch (err) {
      if (token === loadToken) select.value = selected ?? '';
      throw err;
    } finally {
      if (token === loadToken) delete document.documentElement.dataset.modelLoading;
    }
  };
  const p = loadChain.then(job);
  loadChain = p.catch(() => {});
  return p;
}

/**
 * Adds a user model (a file or a browser-trained run) to the picker and loads it; if it
 * does not load, it is taken out again and the promise rejects with the reason.
 */
async function addModel({ title, bytes, name }) {
  const value = `u:${++userCount}`;
  entries.set(value, { title, bytes, name });
  let group = select.querySelector('optgroup[data-user]');
  if (!group) {
    group = el('optgroup', { label: 'Yours (this session)', 'data-user': '' });
    select.append(group);
  }
  const option = el('option', { value, text: title });
  group.append(option);
  try {
    return await loadEntry(value);
  } catch (err) {
    option.remove();
    entries.delete(value);
    if (!group.children.length) group.remove();
    if (selected) select.value = selected;
    throw err;
  }
}

select.addEventListener('change', () => {
  const value = select.value;
  loadEntry(value).catch((err) => showError(err, `Could not load ${entries.get(value)?.title ?? value}`));
});

async function loadManifest() {
  const url = new URL('weights/manifest.json', document.baseURI);
  let manifest;
  try {
    const res = await fetch(url).catch((err) => {
      throw new Error(`could not fetch ${url.pathname}: ${err.message}`);
    });
    if (!res.ok) throw new Error(`could not fetch ${url.pathname}: HTTP ${res.status}`);
    manifest = await res.json();
  } catch (err) {
    select.textContent = '';
    select.append(el('option', { text: 'No pretrained models: use the Load view' }));
    throw err;
  }
  const models = Array.isArray(manifest?.models) ? manifest.models : [];
  select.textContent = '';
  const group = el('optgroup', { label: 'Pretrained' });
  for (const m of models) {
    const value = `m:${m.id}`;
    entries.set(value, { title: m.title ?? m.id, url: new URL(m.file, url).href, id: m.id });
    group.append(el('option', { value, text: `${m.title ?? m.id}${m.bytes ? ` · ${fmtBytes(m.bytes)}` : ''}` }));
  }
  select.append(group);
  select.disabled = false;
  if (!models.length) throw new Error('the model manifest lists no models: load a checkpoint in the Load view');
  const wanted = new URLSearchParams(location.search).get('model');
  const first = wanted && entries.has(`m:${wanted}`) ? `m:${wanted}` : `m:${models[0].id}`;
  return loadEntry(first).catch((err) => {
    throw new Error(`could not load ${entries.get(first).title}: ${err.message}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Capabilities: what the wasm build and this browser can do, said plainly.

function setCap(name, ok, text, title) {
  const li = document.querySelector(`#caps [data-cap="${name}"]`);
  li.classList.toggle('yes', ok);
  li.classList.toggle('no', !ok);
  li.querySelector('b').textContent = text;
  li.title = title;
}

async function detectCapabilities() {
  const coi = window.crossOriginIsolated === true;
  setCap(
    'coi',
    coi,
    coi ? 'yes' : 'no',
    coi
      ? 'The page is cross-origin isolated (COOP/COEP): SharedArrayBuffer is available.'
      : 'The server does not send COOP/COEP headers: SharedArrayBuffer (needed by threaded wasm) is unavailable.',
  );
  const caps = await rpc.call('init');
  const { build, browser, wasm } = caps;
  lab.capabilities = { ...build, crossOriginIsolated: window.crossOriginIsolated === true, browser, wasm };
  const simdText = build.relaxed_simd ? 'yes (relaxed, FMA)' : 'yes';
  const simdTitle = build.relaxed_simd
    ? 'The wasm module uses 128-bit SIMD with relaxed-simd fused multiply-adds for matrix products (?relaxed=0 turns them off).'
    : `The wasm module uses 128-bit SIMD for matrix products${browser.relaxedSimd ? ' (relaxed-simd turned off by ?relaxed=0, or its module is not served)' : '; this browser has no relaxed-simd (fused multiply-add)'}.`;
  setCap(
    'simd',
    build.simd && browser.simd,
    build.simd ? (browser.simd ? simdText : 'no (browser)') : 'no (build)',
    build.simd ? simdTitle : 'This build of the wasm module was compiled without SIMD: expect slower compute.',
  );
  const n = build.thread_count;
  setCap(
    'threads',
    build.threads,
    build.threads ? `${n} (threaded build)` : '1 (single-thread build)',
    build.threads
      ? `The threaded wasm build is running with a pool of ${n} thread${n === 1 ? '' : 's'} (Web Workers sharing its memory); ?threads=N sets the count.`
      : `The single-thread wasm build is running: ${wasm?.fallback ?? 'all compute runs on one worker thread'}.`,
  );
  $('footer-version').textContent = `Latent Lab ${build.version} · wasm`;
}

// ---------------------------------------------------------------------------------------------
// Views and the hash router

let catalog = null;

const ctx = {
  call: (type, payload, onProgress, transfer) => rpc.call(type, payload, onProgress, transfer),
  /** The library's model presets and datasets (`{presets, datasets, fallback}`), asked once
   * (asked again after a failure, e.g. a worker that died meanwhile). */
  catalog: () =>
    (catalog ??= rpc.call('catalog').catch((err) => {
      catalog = null;
      throw err;
    })),
  /** `images`, `points` or undefined (not a dataset the library knows). */
  async datasetKind(name) {
    return (await ctx.catalog()).datasets.find((d) => d.name === name)?.kind;
  },
  get info() {
    return info;
  },
  lab,
  showError,
  addModel,
  /**
   * Shows view `name` now (not on the hashchange to come) and puts focus on its heading: a
   * control that asked for it leaves with its view and would drop focus to the page's body.
   */
  showView(name) {
    location.hash = `#${name}`;
    route();
    $(`view-${name}`).querySelector('h2').focus({ preventScroll: true });
  },
  onModel(fn) {
    modelListeners.push(fn);
  },
  /** Fills a class <select> from the model's class names; `extra` are leading options. */
  fillClasses(selectEl, i, extra = []) {
    const prev = selectEl.value;
    selectEl.textContent = '';
    for (const [value, text] of extra) selectEl.append(el('option', { value, text }));
    // An InfoGAN's codes are its own, whatever the data's labels are.
    const names = i.info_codes ? Array.from({ length: i.num_classes }, (_, k) => `code ${k}`) : i.data?.class_names ?? [];
    names.slice(0, i.num_classes ?? 0).forEach((name, k) => {
      const text = i.info_codes || i.clusters || name === String(k) ? name : `${k}: ${name}`;
      selectEl.append(el('option', { value: String(k), text }));
    });
    if ([...selectEl.options].some((o) => o.value === prev)) selectEl.value = prev;
    const label = selectEl.closest('label')?.firstChild;
    if (label?.nodeType === Node.TEXT_NODE) label.textContent = i.info_codes ? 'Code ' : i.clusters ? 'Cluster ' : 'Class ';
    for (const wrap of [selectEl.closest('.cond-only')]) if (wrap) wrap.hidden = !i.num_classes;
  },
};

const views = {
  sample: createSampleView(ctx),
  interpolate: createInterpolateView(ctx),
  reconstruct: createReconstructView(ctx),
  'latent-map': createLatentMapView(ctx),
  arithmetic: createArithmeticView(ctx),
  train: createTrainView(ctx),
  load: createLoadView(ctx),
};
let current = null;

function route() {
  const name = location.hash.replace(/^#/, '') || 'sample';
  const next = views[name] ? name : 'sample';
  for (const [n] of Object.entries(views)) $(`view-${n}`).hidden = n !== next;
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.getAttribute('href') === `#${next}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  current = next;
  document.documentElement.dataset.view = next;
  const v = views[next];
  if (v.stale && info) {
    v.stale = false;
    v.render();
  }
  v.shown?.();
}

ctx.onModel(() => {
  for (const [n, v] of Object.entries(views)) {
    v.modelChanged?.(info);
    if (n === current) {
      v.stale = false;
      v.render();
    } else v.stale = true;
  }
  // Ready: on the Sample view once the first grid is drawn (it sets this with firstGridMs);
  // on any other view once the first model is loaded.
  if (current !== 'sample' && !lab.ready) {
    lab.ready = true;
    document.documentElement.dataset.ready = 'true';
  }
});
for (const v of Object.values(views)) v.stale = true;

window.addEventListener('hashchange', route);
route();

// Start-up: the worker compiles the wasm while the manifest arrives.
Promise.all([
  detectCapabilities().catch((err) => {
    for (const c of ['simd', 'threads']) setCap(c, false, 'unknown', String(err.message));
    // The usual reason: a browser without WebAssembly SIMD, which this build needs.
    const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
    if (!WebAssembly.validate(probe)) {
      setCap('simd', false, 'no (browser)', 'This browser does not support WebAssembly SIMD.');
      throw new Error(`this browser lacks WebAssembly SIMD, which Latent Lab's wasm build needs (${err.message})`);
    }
    throw err;
  }),
  loadManifest(),
]).catch((err) => showError(err, 'Start-up failed'));

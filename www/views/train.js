// Train: the form (train-form.js) becomes a TrainSpec, a run in the worker (start / pause / resume /
// reset, live learning rate), loss curves, previews, checkpoint download and "use".

import { CLASS_COLORS, drawImageGrid, drawLineChart, drawScatter, el, fmtMetric, fmtSeconds } from '../ui.js';
import { createTrainForm } from './train-form.js';

const METRIC_ORDER = ['loss', 'recon', 'kl', 'elbo', 'feature_recon', 'd_loss', 'g_loss', 'd_real', 'd_fake'];
const metricRank = (m) => (METRIC_ORDER.includes(m) ? METRIC_ORDER.indexOf(m) : METRIC_ORDER.length);

export function createTrainView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-train');
  const form = $('train-form');
  const f = {
    kind: $('train-kind'),
    arch: $('train-arch'),
    latent: $('train-latent'),
    hidden: $('train-hidden'),
    beta: $('train-beta'),
    pack: $('train-pack'),
    dataset: $('train-dataset'),
    binarize: $('train-binarize'),
    lr: $('train-lr'),
    batch: $('train-batch'),
    seed: $('train-seed'),
    preview: $('train-preview'),
    stop: $('train-stop'),
  };
  const btn = {
    start: $('train-start'),
    pause: $('train-pause'),
    reset: $('train-reset'),
    download: $('train-download'),
    use: $('train-use'),
  };
  const statusEl = $('train-status');
  const errorEl = $('train-error');
  const hint = $('train-hint');
  const charts = $('train-charts');

  /** The run as the page sees it; mirrored into window.__latentlab.train for tests. */
  let run = null;
  let state = 'idle';
  /** metric → its chart canvas (kept out of `run`, which tests read as plain data). */
  const chartCanvases = new Map();
  let chartFrame = 0;

  function setState(s) {
    state = s;
    view.dataset.trainState = s;
    if (run) run.state = s;
    const active = s === 'running' || s === 'paused';
    btn.start.disabled = s === 'starting';
    btn.start.textContent = active ? 'Restart' : 'Start';
    btn.pause.disabled = !active;
    btn.pause.textContent = s === 'paused' ? 'Resume' : 'Pause';
    btn.reset.disabled = !active && s !== 'starting';
    btn.download.disabled = !active;
    btn.use.disabled = !active;
  }

  const { applyConstraints, buildSpec, fillMenus, presetLabel } = createTrainForm(f, view, hint);

  // --- progress -------------------------------------------------------------------------------

  function statusText() {
    if (!run) return 'Not started.';
    const last = run.history[run.history.length - 1];
    const parts = [`Step ${run.step}`];
    if (last) parts.push(`epoch ${last.epochs.toFixed(2)}`);
    if (run.stepsPerSec) parts.push(`${run.stepsPerSec.toFixed(1)} steps/s`);
    parts.push(fmtSeconds(run.wallS));
    if (last) {
      const m = last.metrics;
      const key = 'loss' in m ? 'loss' : 'g_loss' in m ? 'g_loss' : Object.keys(m)[0];
      if (key) parts.push(`${key} ${fmtMetric(m[key])}`);
    }
    const label = state === 'paused' ? (run.pauseReason === 'limit' ? 'paused at the step limit' : 'paused') : state;
    return `${run.title} · ${label} · ${parts.join(' · ')}`;
  }

  function ensureChart(name, index) {
    let c = chartCanvases.get(name);
    if (!c) {
      c = el('canvas', { width: 640, height: 300, 'data-metric': name, 'aria-label': `${name} over training steps` });
      c.color = CLASS_COLORS[index % CLASS_COLORS.length];
      charts.append(c);
      chartCanvases.set(name, c);
    }
    return c;
  }

  function drawCharts() {
    chartFrame = 0;
    if (!run) return;
    const h = run.history;
    const stride = Math.max(1, Math.floor(h.length / 1500));
    const pick = h.filter((_, i) => i % stride === 0 || i === h.length - 1);
    const xs = pick.map((e) => e.step);
    const names = Object.keys(h[h.length - 1]?.metrics ?? {});
    names.sort((a, b) => metricRank(a) - metricRank(b) || a.localeCompare(b));
    names.forEach((name, i) => {
      const c = ensureChart(name, i);
      drawLineChart(c, xs, pick.map((e) => e.metrics[name]), { title: name, color: c.color });
    });
    statusEl.textContent = statusText();
  }

  function scheduleCharts() {
    if (!chartFrame) chartFrame = requestAnimationFrame(drawCharts);
  }

  function drawPreview(p) {
    const samplesFig = $('train-samples-fig');
    const reconFig = $('train-recon-fig');
    const scatterFig = $('train-scatter-fig');
    if (p.samples.kind === 'images') {
      samplesFig.hidden = false;
      scatterFig.hidden = true;
      drawImageGrid($('train-samples'), p.samples, { cols: p.columns ?? 8 });
      samplesFig.querySelector('figcaption').textContent = `Samples at step ${p.step} (fixed seed)`;
      if (p.recon) {
        reconFig.hidden = false;
        const both = new Uint8Array(p.originals.rgba.length + p.recon.rgba.length);
        both.set(p.originals.rgba, 0);
        both.set(p.recon.rgba, p.originals.rgba.length);
        drawImageGrid($('train-recon'), { n: p.originals.n * 2, h: p.recon.h, w: p.recon.w, rgba: both }, { cols: p.originals.n });
      } else reconFig.hidden = true;
    } else {
      samplesFig.hidden = true;
      reconFig.hidden = true;
      scatterFig.hidden = false;
      const layers = [
        { points: p.real, color: '#374151', radius: 1.6, alpha: 0.45 },
        { points: p.samples.points, color: '#f28e2b', radius: 2.2, alpha: 0.75 },
      ];
      drawScatter($('train-scatter'), { bounds: p.bounds, layers, heat: p.heat ?? null });
      $('train-scatter-caption').textContent =
        `Step ${p.step}: real (grey) and generated (orange) points` + (p.heat ? ' over the discriminator’s P(real): blue = fake, red = real' : '');
    }
  }

  function onProgress(p) {
    if (!run) return;
    switch (p.event) {
      case 'started':
        run.info = p.info;
        run.title = `${presetLabel()} (${p.info.summary.match(/\((.*)\)/)?.[1] ?? p.info.summary}) on ${run.dataset}`;
        setState('running');
        break;
      case 'steps':
        run.step = p.step;
        run.wallS = p.wallS;
        run.stepsPerSec = p.stepsPerSec;
        run.history.push({ step: p.step, k: p.k, epochs: p.epochs, metrics: p.metrics });
        scheduleCharts();
        break;
      case 'preview':
        drawPreview(p);
        run.previews++;
        view.dataset.previews = String(run.previews);
        break;
      case 'state':
        run.step = p.step;
        run.wallS = p.wallS ?? run.wallS;
        run.pauseReason = p.reason ?? null;
        if (p.error) {
          errorEl.hidden = false;
          errorEl.textContent = `Training stopped at step ${p.step}: ${p.error}\nLower the learning rate and press Resume, or Reset.`;
        }
        setState(p.state);
        drawCharts();
        break;
      default:
        break;
    }
  }

  // --- buttons --------------------------------------------------------------------------------

  async function start() {
    let spec;
    try {
      spec = buildSpec();
    } catch (err) {
      errorEl.hidden = false;
      errorEl.textContent = err.message;
      return;
    }
    errorEl.hidden = true;
    if (run) await ctx.call('trainReset').catch(() => {});
    charts.textContent = '';
    chartCanvases.clear();
    for (const id of ['train-samples-fig', 'train-recon-fig', 'train-scatter-fig']) $(id).hidden = true;
    const dataset = f.dataset.value;
    const seed = Number(f.seed.value) >>> 0;
    const me = {
      dataset,
      spec,
      seed,
      title: `${presetLabel()} on ${dataset}`,
      step: 0,
      wallS: 0,
      stepsPerSec: null,
      history: [],
      previews: 0,
      info: null,
      state: 'starting',
      pauseReason: null,
    };
    run = me;
    ctx.lab.train = me;
    view.dataset.previews = '0';
    setState('starting');
    statusEl.textContent = `Loading ${dataset} and building the model…`;
    const payload = {
      spec,
      seed,
      dataset,
      maxSteps: Number(f.stop.value) > 0 ? Number(f.stop.value) : 0,
      previewEvery: Number(f.preview.value) || 50,
    };
    try {
      const end = await ctx.call('trainStart', payload, (p) => {
        if (run === me) onProgress(p);
      });
      if (run === me) {
        run = null;
        setState('idle');
        statusEl.textContent = `Run ended at step ${end.step} (${end.reason}).`;
      }
    } catch (err) {
      if (run === me) {
        run = null;
        setState('idle');
        // A run that had started ends here when the compute worker dies (see rpc.js).
        statusEl.textContent = me.info ? `Run lost at step ${me.step}.` : 'Not started.';
        errorEl.hidden = false;
        errorEl.textContent = `${me.info ? `Training stopped at step ${me.step}` : 'Could not start'}: ${err.message}`;
      }
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });

  btn.pause.addEventListener('click', async () => {
    try {
      if (state === 'paused') {
        // Resuming past the step limit lifts it.
        let maxSteps = Number(f.stop.value) > 0 ? Number(f.stop.value) : 0;
        if (maxSteps && run && run.step >= maxSteps) {
          maxSteps = 0;
          f.stop.value = '';
        }
        errorEl.hidden = true;
        await ctx.call('trainResume', { maxSteps });
      } else {
        await ctx.call('trainPause');
      }
    } catch (err) {
      ctx.showError(err, 'Training');
    }
  });

  btn.reset.addEventListener('click', async () => {
    const r = run;
    run = null;
    try {
      await ctx.call('trainReset');
    } catch (err) {
      ctx.showError(err, 'Reset');
    }
    if (r) r.state = 'idle';
    setState('idle');
    charts.textContent = '';
    chartCanvases.clear();
    for (const id of ['train-samples-fig', 'train-recon-fig', 'train-scatter-fig']) $(id).hidden = true;
    errorEl.hidden = true;
    statusEl.textContent = 'Reset. Not started.';
  });

  btn.download.addEventListener('click', async () => {
    try {
      const { bytes, filename, step } = await ctx.call('trainCheckpoint', { f16: false });
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = el('a', { href: url, download: filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      statusEl.textContent = `${statusText()} · saved ${filename} (step ${step})`;
    } catch (err) {
      ctx.showError(err, 'Download failed');
    }
  });

  btn.use.addEventListener('click', async () => {
    try {
      const { bytes, step } = await ctx.call('trainCheckpoint', { f16: false });
      const info = run?.info;
      const title = `Trained here: ${info?.summary ?? 'model'} on ${run?.dataset ?? '?'}, step ${step}`;
      await ctx.addModel({ title, bytes });
      location.hash = '#sample';
    } catch (err) {
      ctx.showError(err, 'Could not use the trained model');
    }
  });

  f.lr.addEventListener('change', async () => {
    if (!run || state === 'starting') return;
    try {
      const { lr } = await ctx.call('trainSetLr', { lr: Number(f.lr.value) });
      statusEl.textContent = `${statusText()} · learning rate now ${lr}`;
    } catch (err) {
      errorEl.hidden = false;
      errorEl.textContent = err.message;
    }
  });
  f.preview.addEventListener('change', () => {
    if (run && state !== 'starting') ctx.call('trainSetPreview', { previewEvery: Number(f.preview.value) }).catch(() => {});
  });
  for (const s of [f.kind, f.arch, f.dataset]) s.addEventListener('change', () => applyConstraints());

  ctx
    .catalog()
    .then(fillMenus)
    .catch((err) => ctx.showError(err, 'The model menu could not be loaded'));
  setState('idle');

  return {
    render() {},
  };
}

// Train: the form (train-form.js) becomes a TrainSpec, a run in a worker of its own (start /
// pause / resume / reset, live learning rate), loss curves, previews, the live paper metric,
// checkpoint download and "use".
//
// Training has its own compute worker (worker.js, a second instance): one training step of a
// large model can take seconds and cannot be cut, and the other views' requests must never
// wait behind it. Pause is acknowledged at once ("pausing") and takes effect after the step in
// flight; Reset and Restart stop that worker, so they are immediate whatever the model. Both ask
// first while the run has steps to lose, as closing the tab does.

import { Rpc, createWorker } from '../rpc.js';
import { numberField } from '../fields.js';
import { CLASS_COLORS, drawImageGrid, drawLineChart, drawScatter, el, fmtBytes, fmtMetric, fmtSeconds } from '../ui.js';
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
    iwae: $('train-iwae'),
  };
  // Download and Use with a code prior (models with an encoder): `latentlab export --fit-prior`.
  const codePrior = $('train-code-prior');
  const codePriorLabel = $('train-code-prior-label');
  const CODE_PRIOR_COMPONENTS = 50;
  const checkpointOptions = () => ({ f16: false, codePrior: codePrior.checked && !codePriorLabel.hidden ? CODE_PRIOR_COMPONENTS : undefined });
  // The status line ticks (steps, seconds) and is no live region: its state changes are said
  // in the visually hidden announcer.
  const statusEl = $('train-status');
  const announcer = $('train-announce');
  const noteEl = $('train-note');
  const metricEl = $('train-metric');
  const errorEl = $('train-error');
  const hint = $('train-hint');
  const charts = $('train-charts');

  /** The training worker, started with the first run and stopped by Reset and Restart. */
  let worker = null;
  // A training worker that dies is replaced (rpc.js): the run in flight is reported lost, the next starts.
  const call = (type, payload, onProgress) => (worker ??= new Rpc(() => createWorker())).call(type, payload, onProgress);
  function stopWorker() {
    worker?.terminate();
    worker = null;
  }

  /** Says `text` to screen readers (their polite region). */
  function announce(text) {
    announcer.textContent = text;
  }

  /** Shows a new state of the run on the status line, and says it. */
  function showState(text) {
    statusEl.textContent = text;
    announce(text);
  }

  /** A note that stays until the next one (a save, a learning-rate change). */
  function note(text) {
    noteEl.textContent = text;
    noteEl.hidden = !text;
  }

  /** The run as the page sees it; mirrored into window.__latentlab.train for tests. */
  let run = null;
  let state = 'idle';
  /** metric → its chart canvas (kept out of `run`, which tests read as plain data). */
  const chartCanvases = new Map();
  let chartFrame = 0;

  /** Whether the run has steps that Reset, Restart or closing the tab would lose. */
  const hasStepsToLose = () => Boolean(run && run.step > 0 && state !== 'idle');

  /**
   * Whether Reset (or Restart, `restart`) may discard the run: at once when it has no steps to
   * lose, else when the user confirms (Reset sits next to Pause: a mis-click must not cost the
   * run). Declined, nothing changes.
   */
  function mayDiscard(restart) {
    if (!hasStepsToLose()) return true;
    const then = restart ? ' and start a new one' : '';
    return window.confirm(`Discard the run at step ${run.step}${then}? Download checkpoint first to keep it.`);
  }

  function setState(s) {
    state = s;
    view.dataset.trainState = s;
    if (run) run.state = s;
    const active = s === 'running' || s === 'paused' || s === 'pausing';
    btn.start.disabled = s === 'starting';
    btn.start.textContent = active ? 'Restart' : 'Start';
    btn.pause.disabled = !active || s === 'pausing';
    btn.pause.textContent = s === 'paused' ? 'Resume' : 'Pause';
    btn.reset.disabled = !active && s !== 'starting';
    btn.download.disabled = !active;
    btn.use.disabled = !active;
    codePriorLabel.hidden = !(active && run?.info?.has_encoder);
  }

  const { applyConstraints, buildSpec, datasetChanged, fillMenus, presetLabel } = createTrainForm(f, view, hint);

  // --- progress -------------------------------------------------------------------------------

  /** "running step 1: 12.3 s so far", while a chunk that outlasts the worker's budget runs. */
  function busyText() {
    const b = run.busy;
    if (!b) return null;
    const elapsed = (performance.now() - b.since) / 1000;
    if (elapsed < 0.25) return null;
    const steps = b.k > 1 ? `steps ${b.step + 1}–${b.step + b.k}` : `step ${b.step + 1}`;
    const expected = b.expectS ? ` of about ${fmtSeconds(b.expectS)}` : b.step === 0 ? ' (the first step: its time sizes the next ones)' : '';
    return `running ${steps}: ${fmtSeconds(elapsed)} so far${expected}`;
  }

  function statusText() {
    if (!run) return 'Not started.';
    const last = run.history[run.history.length - 1];
    const busy = state === 'running' || state === 'pausing' ? busyText() : null;
    const parts = [busy && !last ? busy : `Step ${run.step}`];
    if (busy && last) parts.push(busy);
    if (last) parts.push(`epoch ${last.epochs.toFixed(2)}`);
    if (run.stepsPerSec) parts.push(`${run.stepsPerSec.toFixed(1)} steps/s`);
    parts.push(fmtSeconds(run.wallS));
    if (last) {
      const m = last.metrics;
      const key = 'loss' in m ? 'loss' : 'g_loss' in m ? 'g_loss' : Object.keys(m)[0];
      if (key) parts.push(`${key} ${fmtMetric(m[key])}`);
    }
    const label =
      state === 'paused'
        ? run.pauseReason === 'limit'
          ? 'paused at the step limit'
          : 'paused'
        : state === 'pausing'
          ? 'pausing (after the step in flight)'
          : state;
    return `${run.title} · ${label} · ${parts.join(' · ')}`;
  }

  function ensureChart(name, index) {
    let c = chartCanvases.get(name);
    if (!c) {
      c = el('canvas', { width: 640, height: 300, 'data-metric': name, role: 'img', 'aria-label': `${name} over training steps` });
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

  /** While a long chunk runs, the status counts its seconds. */
  let ticker = 0;
  function tick() {
    if (run?.busy) statusEl.textContent = statusText();
    else {
      clearInterval(ticker);
      ticker = 0;
    }
  }

  /** The live paper metric: the CLI's `eval` on the preview's own samples / test images. */
  function showMetric(e) {
    if (!e) return;
    metricEl.hidden = false;
    run.eval = e;
    if (e.skipped) {
      metricEl.textContent = `Live metric: none (${e.skipped}).`;
      return;
    }
    const r = e.report;
    const o = e.options;
    if (r.modes) {
      const m = r.modes;
      metricEl.textContent =
        `PacGAN protocol at step ${e.step}: ${m.modes_covered} / ${m.modes} modes covered, ${m.high_quality_pct.toFixed(1)} % high quality ` +
        `(the ${m.samples} plotted samples; as latentlab eval --samples ${o.samples} --seed ${o.seed} on this checkpoint)`;
    } else if (r.frechet?.generated_vs_test !== undefined) {
      const f = r.frechet;
      const h = f.class_histogram;
      const asked = f.class_agreement === undefined ? '' : `, ${(100 * f.class_agreement).toFixed(0)} % of the class asked for`;
      metricEl.textContent =
        `LeNet Fréchet distance at step ${e.step}: ${f.generated_vs_test.toFixed(1)} (real training images: ${f.floor_train_vs_test.toFixed(1)}); ` +
        `${(100 * f.confident_share).toFixed(0)} % of ${f.samples} samples recognizable (classifier ≥ 0.9), each class ${h.min_share_pct.toFixed(1)}–${h.max_share_pct.toFixed(1)} %${asked} ` +
        `(as latentlab eval --samples ${o.samples} --test-size ${o.test_size} --seed ${o.seed} --classifier www/weights/classifiers/lenet-${run.dataset}.safetensors on this checkpoint)`;
    } else if (!r.likelihood) {
      const c = r.reconstruction;
      metricEl.textContent =
        `Held-out reconstruction at step ${e.step}: −log p(x | z = μ(x)) ${c.nll.toFixed(2)} nats, squared error ${c.mse.toFixed(4)} a pixel ` +
        `on the first ${c.samples} test images (as latentlab eval --test-size ${o.test_size} --seed ${o.seed} on this checkpoint)`;
    } else {
      const l = r.likelihood;
      const bound = l.k > 1 ? ` · IWAE-${l.k} −log p(x) ≤ ${l.nll.toFixed(2)} nats` : '';
      metricEl.textContent =
        `Held-out −ELBO at step ${e.step}: ${l.neg_elbo.toFixed(2)} nats${bound} on the first ${l.samples} test images ` +
        `(as latentlab eval --k ${l.k} --test-size ${o.test_size} --seed ${o.seed} on this checkpoint)`;
    }
    btn.iwae.hidden = !r.likelihood;
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
        showState(statusText());
        // Fields the user changed while the run was starting (nothing to send them to then)
        // apply now; a recipe's defaults the menus put there meanwhile do not.
        for (const field of run.editedWhileStarting) field.dispatchEvent(new Event('change'));
        break;
      case 'busy':
        run.busy = { step: p.step, k: p.k, expectS: p.expectS, since: performance.now() };
        ticker ||= setInterval(tick, 250);
        break;
      case 'steps':
        run.busy = null;
        run.step = p.step;
        run.wallS = p.wallS;
        run.stepsPerSec = p.stepsPerSec;
        run.history.push({ step: p.step, k: p.k, epochs: p.epochs, metrics: p.metrics });
        scheduleCharts();
        break;
      case 'preview':
        drawPreview(p);
        if (p.eval) showMetric({ ...p.eval, step: p.step });
        run.previews++;
        view.dataset.previews = String(run.previews);
        break;
      case 'state': {
        if (p.state === 'paused') run.busy = null;
        run.step = p.step;
        run.wallS = p.wallS ?? run.wallS;
        run.pauseReason = p.reason ?? null;
        if (p.error) {
          errorEl.hidden = false;
          errorEl.textContent = `Training stopped at step ${p.step}: ${p.error}\nLower the learning rate and press Resume, or Reset.`;
        }
        // Said when the state changes (not the "running" that follows "started"); an error is
        // said by its alert.
        const changed = p.state !== state && !p.error;
        setState(p.state);
        drawCharts();
        if (changed) announce(statusEl.textContent);
        break;
      }
      default:
        break;
    }
  }

  // --- buttons --------------------------------------------------------------------------------

  /**
   * A refused field or option, above the charts; a field's goes once every field is fixed.
   * `focus`: the form was refused (Start, Resume), so focus goes to the field to fix.
   */
  function formError(err, { focus = false } = {}) {
    errorEl.hidden = false;
    errorEl.textContent = err.message;
    errorEl.dataset.field = err.field ? 'yes' : '';
    if (focus) err.field?.focus();
  }
  form.addEventListener('input', () => {
    if (errorEl.dataset.field && !form.querySelector('[aria-invalid="true"]')) errorEl.hidden = true;
  });

  function clearOutput() {
    charts.textContent = '';
    chartCanvases.clear();
    for (const id of ['train-samples-fig', 'train-recon-fig', 'train-scatter-fig']) $(id).hidden = true;
    metricEl.hidden = true;
    btn.iwae.hidden = true;
    note('');
  }

  async function start() {
    let spec;
    let opts;
    try {
      ({ spec, run: opts } = buildSpec());
    } catch (err) {
      formError(err, { focus: true });
      return;
    }
    // Restarting discards the run in progress.
    if (!mayDiscard(true)) return;
    errorEl.hidden = true;
    errorEl.dataset.field = '';
    const restart = Boolean(run);
    if (run) stopWorker();
    clearOutput();
    const dataset = f.dataset.value;
    const { seed } = opts;
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
      busy: null,
      eval: null,
      editedWhileStarting: new Set(),
    };
    run = me;
    ctx.lab.train = me;
    view.dataset.previews = '0';
    setState('starting');
    showState(`${restart ? 'Restarting' : 'Starting'}: loading ${dataset} and building the model…`);
    // Where the page was scrolled to the form's buttons, bring the status into view.
    const { top } = statusEl.getBoundingClientRect();
    if (top < 0 || top > innerHeight - 40) statusEl.scrollIntoView({ block: 'start' });
    const payload = { spec, seed, dataset, maxSteps: opts.maxSteps, previewEvery: opts.previewEvery };
    try {
      const end = await call('trainStart', payload, (p) => {
        if (run === me) onProgress(p);
      });
      if (run === me) {
        run = null;
        setState('idle');
        showState(`Run ended at step ${end.step} (${end.reason}).`);
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
  // Closing or reloading the tab ends a run that lives only here: the browser asks first while
  // one has steps to lose (Download keeps them).
  addEventListener('beforeunload', (e) => {
    if (!hasStepsToLose()) return;
    e.preventDefault();
    e.returnValue = ''; // browsers before Chrome 119 ask only when this is set
  });
  // Enter in a field submits the form, whose default button is Start, "Restart" while a run is
  // active: there Enter applies the field (its change event) instead of discarding the run.
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target instanceof HTMLInputElement && state !== 'idle') {
      e.preventDefault();
      e.target.dispatchEvent(new Event('change', { bubbles: true }));
    }
  });

  btn.pause.addEventListener('click', async () => {
    const r = run;
    try {
      if (state === 'paused') {
        // Resuming past the step limit lifts it.
        let maxSteps;
        try {
          maxSteps = numberField(f.stop, { optional: true }) ?? 0;
        } catch (err) {
          formError(err, { focus: true });
          return;
        }
        if (maxSteps && run && run.step >= maxSteps) {
          maxSteps = 0;
          f.stop.value = '';
        }
        errorEl.hidden = true;
        await call('trainResume', { maxSteps });
      } else if (state === 'running') {
        // Said at once; the worker answers after the step in flight.
        setState('pausing');
        showState(statusText());
        await call('trainPause');
      }
    } catch (err) {
      // A run reset meanwhile stopped its worker: nothing to report.
      if (run === r) ctx.showError(err, 'Training');
    }
  });

  btn.reset.addEventListener('click', () => {
    if (!mayDiscard(false)) return;
    const r = run;
    run = null;
    stopWorker();
    if (r) r.state = 'idle';
    setState('idle');
    clearOutput();
    errorEl.hidden = true;
    showState('Reset. Not started.');
  });

  btn.download.addEventListener('click', async () => {
    try {
      const { bytes, filename, step } = await call('trainCheckpoint', checkpointOptions());
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = el('a', { href: url, download: filename, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      note(`Saved ${filename} (step ${step}, ${fmtBytes(bytes.byteLength)}) at ${new Date().toLocaleTimeString()}.`);
    } catch (err) {
      ctx.showError(err, 'Download failed');
    }
  });

  btn.use.addEventListener('click', async () => {
    try {
      const { bytes, step } = await call('trainCheckpoint', checkpointOptions());
      const info = run?.info;
      const title = `Trained here: ${info?.summary ?? 'model'} on ${run?.dataset ?? '?'}, step ${step}`;
      await ctx.addModel({ title, bytes });
      // This button goes with its view: focus goes to the Sample view's heading, and the page
      // to its top (the header and the model card that now name the model).
      ctx.showView('sample');
      window.scrollTo(0, 0);
    } catch (err) {
      ctx.showError(err, 'Could not use the trained model');
    }
  });

  f.lr.addEventListener('change', async () => {
    if (run && state === 'starting') run.editedWhileStarting.add(f.lr);
    if (!run || state === 'starting') return;
    const r = run;
    try {
      const { lr } = await call('trainSetLr', { lr: numberField(f.lr) });
      note(`Learning rate now ${lr} (from step ${run.step + 1}).`);
    } catch (err) {
      // A run reset meanwhile stopped its worker: nothing to report.
      if (run === r) formError(err);
    }
  });
  f.preview.addEventListener('change', () => {
    if (run && state === 'starting') run.editedWhileStarting.add(f.preview);
    if (!run || state === 'starting') return;
    try {
      call('trainSetPreview', { previewEvery: numberField(f.preview) }).catch(() => {});
    } catch (err) {
      formError(err);
    }
  });
  f.stop.addEventListener('change', async () => {
    if (run && state === 'starting') run.editedWhileStarting.add(f.stop);
    if (!run || state === 'starting') return;
    const r = run;
    let maxSteps;
    try {
      maxSteps = numberField(f.stop, { optional: true }) ?? 0;
    } catch (err) {
      formError(err);
      return;
    }
    // A limit the run has passed is no error: typed for a Restart, it applies to the next run.
    const passed = (step) => note(`The run is past step ${maxSteps} (at ${step}): that limit applies when you Start or Restart.`);
    if (maxSteps && maxSteps <= run.step) return passed(run.step);
    try {
      // The worker, a chunk ahead of the steps shown here, may have passed it meanwhile.
      const res = await call('trainSetMaxSteps', { maxSteps });
      if (run !== r) return;
      if (res.passed) passed(res.step);
      else note(maxSteps ? `The run stops at step ${maxSteps}.` : 'The run has no step limit now.');
    } catch (err) {
      if (run === r) formError(err);
    }
  });
  btn.iwae.addEventListener('click', async () => {
    const k = 50;
    const r = run;
    btn.iwae.disabled = true;
    note(`Computing the IWAE-${k} bound on the first test images…`);
    try {
      const res = await call('trainEvaluate', { k });
      showMetric(res);
      note('');
      announce(metricEl.textContent); // asked for: said once (the metric line is quiet)
    } catch (err) {
      note('');
      // A run reset meanwhile stopped its worker: nothing failed.
      if (run !== r) return;
      errorEl.hidden = false;
      errorEl.textContent = `The IWAE bound failed: ${err.message}`;
    } finally {
      btn.iwae.disabled = false;
    }
  });
  for (const s of [f.kind, f.arch]) s.addEventListener('change', () => applyConstraints());
  f.dataset.addEventListener('change', datasetChanged);

  ctx
    .catalog()
    .then(fillMenus)
    .catch((err) => ctx.showError(err, 'The model menu could not be loaded'));
  setState('idle');

  return {
    render() {},
  };
}

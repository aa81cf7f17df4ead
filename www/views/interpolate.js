// Interpolate: a lerp or slerp path between two latent codes (random from a seed, or the
// encodings of two picked test images), as a strip of frames plus a slider over a dense path.

import { numberField, readFields } from '../fields.js';
import { drawImageGrid, drawOneImage, drawPath, drawScatter, imagePicker, latestOnly, projector, randomSeed } from '../ui.js';

const PICKER_COUNT = 32;
const PICKER_COLS = 16;
const PICKER_GAP = 2;
const DENSE = 61;

export function createInterpolateView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-interpolate');
  const seedIn = $('interp-seed');
  const stepsIn = $('interp-steps');
  const classSel = $('interp-class');
  const picker = $('interp-picker');
  const pickerCanvas = $('interp-picker-canvas');
  const frame = $('interp-frame');
  const scatter = $('interp-scatter');
  const slider = $('interp-slider');
  const tOut = $('interp-t');
  const strip = $('interp-strip');
  const status = $('interp-status');

  let result = null; // the last interpolate reply
  let real = null; // toy data behind 2-D paths
  let tests = null; // {dataset, values, labels, rgba, n, h, w}
  const picks = { a: null, b: null, next: 'a' };

  const mode = () => view.querySelector('input[name="interp-mode"]:checked').value;
  const ends = () => view.querySelector('input[name="interp-ends"]:checked').value;

  async function ensureTests(info) {
    const dataset = info.data?.name;
    if (tests?.dataset === dataset) return tests;
    const t = await ctx.call('testImages', { dataset, start: 0, count: PICKER_COUNT });
    tests = { ...t, dataset, names: info.data?.class_names };
    // Start with two different classes picked, so the view shows something at once.
    picks.a = 0;
    picks.b = Array.from(t.labels).findIndex((l) => l !== t.labels[0]);
    if (picks.b < 0) picks.b = 1;
    picks.next = 'a';
    return tests;
  }

  // A pick (click, or Enter on the keyboard cursor) sets endpoint A, the next one B, and so on.
  const chooser = imagePicker(pickerCanvas, {
    cols: PICKER_COLS,
    gap: PICKER_GAP,
    marks: () => ['a', 'b'].filter((which) => picks[which] !== null).map((which) => [picks[which], which]),
    onPick(i) {
      picks[picks.next] = i;
      picks.next = picks.next === 'a' ? 'b' : 'a';
      render();
    },
  });

  function drawPicker() {
    chooser.draw(tests);
    for (const which of ['a', 'b']) {
      if (picks[which] !== null) drawOneImage($(`interp-${which}`), tests, picks[which]);
    }
  }

  function showFrame() {
    const i = Number(slider.value);
    const t = (i / (DENSE - 1)).toFixed(2);
    tOut.value = t;
    slider.setAttribute('aria-valuetext', `t = ${t}`); // not the step number, 0 to 60
    if (!result) return;
    if (result.dense.kind === 'images') {
      drawOneImage(frame, result.dense, i);
    } else {
      drawPointsPath(i);
    }
  }

  function drawPointsPath(i) {
    const dense = result.dense.points;
    const bounds = real?.bounds ?? autoBounds(dense);
    const layers = [];
    if (real) layers.push({ points: real.points, color: '#9ca3af', radius: 1.4, alpha: 0.4 });
    layers.push({ points: result.strip.points, color: '#4338ca', radius: 3.5, alpha: 0.9 });
    layers.push({ points: dense.slice(2 * i, 2 * i + 2), color: '#f28e2b', radius: 7, alpha: 1 });
    drawScatter(scatter, { bounds, layers });
    const c = scatter.getContext('2d');
    drawPath(c, projector(scatter, bounds), dense, { color: 'rgba(67,56,202,0.6)', width: 2 * (scatter.width / 480) });
  }

  function autoBounds(pts) {
    let m = 1;
    for (const v of pts) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
    return [-1.15 * m, 1.15 * m, -1.15 * m, 1.15 * m];
  }

  const render = latestOnly(async () => {
    const info = ctx.info;
    if (!info) return;
    view.dataset.state = 'busy';
    try {
      if (!info.latent_dim) throw new Error(`a ${info.kind} has no latent space`);
      const canPick = info.has_encoder && info.is_image && (await ctx.datasetKind(info.data?.name)) === 'images';
      view.querySelector('.encoder-only').hidden = !canPick;
      if (!canPick && ends() === 'images') view.querySelector('input[name="interp-ends"][value="random"]').checked = true;
      const usePicks = ends() === 'images';
      picker.hidden = !usePicks;
      for (const e of view.querySelectorAll('.random-only')) e.hidden = usePicks;
      const read = readFields(() => ({ steps: numberField(stepsIn), seed: usePicks ? 0 : numberField(seedIn) }), status);
      if (!read) {
        view.dataset.state = 'invalid';
        return;
      }
      const { steps, seed } = read;
      const payload = { mode: mode(), steps, dense: DENSE, seed, temperature: 1 };
      if (info.num_classes) payload.class = Number(classSel.value || 0);
      if (usePicks) {
        await ensureTests(info);
        drawPicker();
        const d = tests.h * tests.w;
        const x = new Float32Array(2 * d);
        x.set(tests.values.subarray(picks.a * d, (picks.a + 1) * d), 0);
        x.set(tests.values.subarray(picks.b * d, (picks.b + 1) * d), d);
        payload.images = x;
        if (info.num_classes) payload.labels = [tests.labels[picks.a], tests.labels[picks.b]];
      }
      if (info.is_points && !real && (await ctx.datasetKind(info.data?.name)) === 'points') {
        real = { ...(await ctx.call('dataPoints', { name: info.data.name, n: 1000 })), name: info.data.name };
      }
      const t0 = performance.now();
      result = await ctx.call('interpolate', payload);
      const ms = performance.now() - t0;
      frame.hidden = result.dense.kind !== 'images';
      scatter.hidden = result.dense.kind === 'images';
      strip.hidden = result.strip.kind !== 'images';
      if (result.strip.kind === 'images') {
        drawImageGrid(strip, result.strip, { cols: steps, gap: 2 });
      }
      showFrame();
      const from = usePicks ? 'two test images (encoder means)' : `seed ${payload.seed}`;
      status.textContent = `${result.mode} · ${steps} frames + ${DENSE} for the slider from ${from} · ${ms.toFixed(0)} ms`;
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Interpolation failed: ${err.message}`;
      ctx.showError(err, 'Interpolation failed');
    }
  });

  for (const r of view.querySelectorAll('input[name="interp-mode"], input[name="interp-ends"]')) {
    r.addEventListener('change', () => render());
  }
  seedIn.addEventListener('change', () => render());
  stepsIn.addEventListener('change', () => render());
  classSel.addEventListener('change', () => render());
  $('interp-new').addEventListener('click', () => {
    seedIn.value = String(randomSeed());
    render();
  });
  slider.max = String(DENSE - 1);
  slider.value = String((DENSE - 1) / 2);
  slider.addEventListener('input', showFrame);

  return {
    render,
    modelChanged(info) {
      result = null;
      if (real && real.name !== info.data?.name) real = null;
      if (info.num_classes) ctx.fillClasses(classSel, info);
      else classSel.closest('.cond-only').hidden = true;
    },
  };
}

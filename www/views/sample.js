// Sample: a seeded grid of decoded samples (images) or a scatter (2-D data, with the
// discriminator's heat map for GANs).

import { numberField, readFields } from '../fields.js';
import { drawImageGrid, drawScatter, latestOnly, randomSeed, setAnnounce } from '../ui.js';

export function createSampleView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-sample');
  const seedIn = $('sample-seed');
  const temp = $('sample-temp');
  const tempOut = $('sample-temp-out');
  const classSel = $('sample-class');
  const sizeSel = $('sample-size');
  const grid = $('sample-canvas');
  const scatter = $('sample-scatter');
  const status = $('sample-status');
  const legend = $('sample-legend');
  const realCache = new Map();

  async function realPoints(name) {
    if ((await ctx.datasetKind(name)) !== 'points') return null;
    if (!realCache.has(name)) {
      const points = ctx.call('dataPoints', { name, n: 1000 });
      // A failure is not kept: the next draw asks again.
      points.catch(() => realCache.delete(name));
      realCache.set(name, points);
    }
    return realCache.get(name);
  }

  /** Timings for tests and benchmarks: any sample call, and the last one of 64 images. */
  function record(n, roundTrip, workerMs) {
    const lab = ctx.lab;
    lab.lastSample = { n, ms: roundTrip, workerMs };
    if (n === 64) {
      lab.lastSampleMs = roundTrip;
      lab.lastSampleWorkerMs = workerMs;
    }
  }

  function markFirstGrid() {
    const lab = ctx.lab;
    if (lab.firstGridMs === null) {
      lab.firstGridMs = performance.now();
      lab.ready = true;
      document.documentElement.dataset.ready = 'true';
    }
  }

  async function drawImages(info, seed, T) {
    const size = Number(sizeSel.value);
    let cols = size;
    let payload = { n: size * size, seed, temperature: T };
    if (info.num_classes) {
      if (classSel.value === 'each') {
        cols = info.num_classes;
        payload = { labels: Array.from({ length: cols * size }, (_, i) => i % cols), seed, temperature: T };
      } else if (classSel.value !== 'share') payload.class = Number(classSel.value);
    }
    const t0 = performance.now();
    const out = await ctx.call('sample', payload);
    const roundTrip = performance.now() - t0;
    drawImageGrid(grid, out, { cols });
    record(out.n, roundTrip, out.ms);
    markFirstGrid();
    status.textContent = `${out.n} samples in ${out.ms.toFixed(1)} ms (worker), ${roundTrip.toFixed(1)} ms round trip · seed ${seed} · T = ${T.toFixed(2)}`;
  }

  async function drawPoints(info, seed, T) {
    const t0 = performance.now();
    const payload = { n: 1000, seed, temperature: T };
    // A 2-D InfoGAN: one code's points, or (each) all codes in turn.
    if (info.num_classes && !['each', 'share'].includes(classSel.value)) payload.class = Number(classSel.value);
    const out = await ctx.call('sample', payload);
    const roundTrip = performance.now() - t0;
    const real = await realPoints(info.data?.name);
    let heat = null;
    let bounds = real?.bounds;
    // A conditional discriminator judges points as one class: no heat map for a mix of classes.
    if (info.has_discriminator && (!info.num_classes || info.info_codes || payload.class !== undefined)) {
      heat = await ctx.call('discriminate', { size: 64, bounds, class: payload.class });
      bounds = heat.bounds;
    }
    if (!bounds) {
      let m = 1;
      for (const v of out.points) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
      bounds = [-1.15 * m, 1.15 * m, -1.15 * m, 1.15 * m];
    }
    const layers = [];
    if (real) layers.push({ points: real.points, color: '#374151', radius: 1.6, alpha: 0.45 });
    layers.push({ points: out.points, color: '#f28e2b', radius: 2.2, alpha: 0.75 });
    drawScatter(scatter, { bounds, layers, heat });
    record(out.n, roundTrip, out.ms);
    markFirstGrid();
    legend.innerHTML = '';
    legend.append(
      swatch('#f28e2b'),
      `${out.n} samples`,
      ...(real ? [swatch('#374151'), `real data (${info.data.name})`] : []),
      ...(heat ? [' · background: the discriminator’s P(real), blue = fake, red = real'] : []),
    );
    status.textContent = `${out.n} points in ${out.ms.toFixed(1)} ms (worker) · seed ${seed} · T = ${T.toFixed(2)}`;
  }

  function swatch(color) {
    const s = document.createElement('span');
    s.className = 'swatch';
    s.style.background = color;
    return s;
  }

  /** `announce`: false while the temperature moves (its results are said once it is let go). */
  const render = latestOnly(async (announce = true) => {
    const info = ctx.info;
    if (!info) return;
    setAnnounce(status, announce);
    const seed = readFields(() => numberField(seedIn), status);
    if (seed === null) return;
    view.dataset.state = 'busy';
    const T = Number(temp.value);
    try {
      if (!info.latent_dim) throw new Error(`a ${info.kind} has no latent space to sample from`);
      if (info.is_image) await drawImages(info, seed, T);
      else if (info.is_points) await drawPoints(info, seed, T);
      else throw new Error(`cannot draw samples of shape [${info.sample_shape}]`);
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Sampling failed: ${err.message}`;
      ctx.showError(err, 'Sampling failed');
    }
  });

  seedIn.addEventListener('change', () => render());
  $('sample-new-seed').addEventListener('click', () => {
    seedIn.value = String(randomSeed());
    render();
  });
  temp.addEventListener('input', () => {
    tempOut.value = Number(temp.value).toFixed(2);
    render(false);
  });
  temp.addEventListener('change', () => render());
  classSel.addEventListener('change', () => render());
  sizeSel.addEventListener('change', () => render());

  return {
    render,
    modelChanged(info) {
      if (info.clusters) ctx.fillClasses(classSel, info, [['share', 'Any, by share of the data'], ['each', 'Each cluster (one per column)']]);
      else if (info.num_classes) ctx.fillClasses(classSel, info, [['each', info.info_codes ? 'Each code (one per column)' : 'Each class (one per column)']]);
      else classSel.closest('.cond-only').hidden = true;
      grid.hidden = !info.is_image;
      scatter.hidden = !info.is_points;
      legend.hidden = !info.is_points;
      for (const e of view.querySelectorAll('.image-only')) e.hidden = !info.is_image;
    },
  };
}

// The benchmark protocol of benches/README.md, shared by the Node runner
// (run-node.mjs) and the Chromium page (bench-page.mjs). No imports: both runtimes load it
// as a plain ES module.
//
//   1. build model, optimizer and one fixed input batch (not timed: the bench's setup());
//   2. warm up >= minWarmIters iterations AND >= minWarmMs (Node 20 / 1 s, Chromium 30 / 3 s);
//   3. choose N so one timed run lasts ~targetMs (500 ms); 7 timed runs of N iterations;
//      report median, min, max of ms per iteration;
//   4. one iteration is the whole step including reading the result back to JS (the bench's
//      step() does that and returns a number that is folded into a sink).

export const PROTOCOL = {
  node: { minWarmIters: 20, minWarmMs: 1000, targetMs: 500, runs: 7 },
  chromium: { minWarmIters: 30, minWarmMs: 3000, targetMs: 500, runs: 7 },
  // For developing the harness only (never for reported numbers).
  quick: { minWarmIters: 3, minWarmMs: 100, targetMs: 100, runs: 3 },
};

const now = () => performance.now();
const pause = () => new Promise((r) => setTimeout(r, 0));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `step` (a synchronous function doing one whole iteration, read-back included, and
 * returning a number) by the protocol. Returns {median, min, max, n, runs, warmup}.
 */
export async function measure(step, protocol) {
  const { minWarmIters, minWarmMs, targetMs, runs } = protocol;
  let sink = 0;
  // Warm-up; each iteration timed so that N can be chosen from the settled (last) ones.
  const warmTimes = [];
  const w0 = now();
  while (warmTimes.length < minWarmIters || now() - w0 < minWarmMs) {
    const t = now();
    sink += step();
    warmTimes.push(now() - t);
    if (warmTimes.length % 10 === 0) await pause();
  }
  const warmMs = now() - w0;
  const tail = warmTimes.slice(-Math.max(5, Math.floor(warmTimes.length / 4)));
  const perIter = median(tail);
  const n = Math.max(1, Math.round(targetMs / perIter));
  const perRun = [];
  for (let r = 0; r < runs; r++) {
    await pause(); // let the event loop breathe between runs (not timed)
    const t = now();
    for (let i = 0; i < n; i++) sink += step();
    perRun.push((now() - t) / n);
  }
  if (!Number.isFinite(sink)) throw new Error(`non-finite result read back (${sink})`);
  return {
    median: median(perRun),
    min: Math.min(...perRun),
    max: Math.max(...perRun),
    n,
    runs: perRun,
    warmup: { iters: warmTimes.length, ms: warmMs, lastMs: perIter },
  };
}

// ---------------------------------------------------------------------------------------------
// Inputs shared by both libraries: one fixed batch, deterministic (so both see the same data).

/** Small deterministic PRNG (mulberry32) → floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** N uniform-random u8 images 28×28 (the fixed batch), seed-deterministic. */
export function randomImagesU8(n, seed = 1) {
  const r = rng(seed);
  const px = new Uint8Array(n * 784);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(r() * 256);
  return px;
}

/** Uncompressed IDX files for `pixels` (N×28×28 u8): images (0x00000803) and labels (0x00000801, all 0). */
export function idxFiles(pixels) {
  const n = pixels.length / 784;
  const images = new Uint8Array(16 + pixels.length);
  const di = new DataView(images.buffer);
  di.setUint32(0, 0x00000803);
  di.setUint32(4, n);
  di.setUint32(8, 28);
  di.setUint32(12, 28);
  images.set(pixels, 16);
  const labels = new Uint8Array(8 + n);
  const dl = new DataView(labels.buffer);
  dl.setUint32(0, 0x00000801);
  dl.setUint32(4, n);
  return { images, labels };
}

/** The two fixed latent end points of bench E ([1,20] each) and the lerp of frame `i` of 60. */
export function interpolationPath(dim = 20, seed = 7) {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const z0 = Float32Array.from({ length: dim }, gauss);
  const z1 = Float32Array.from({ length: dim }, gauss);
  const z = new Float32Array(dim);
  const frames = 60;
  return (i) => {
    const t = (i % frames) / (frames - 1);
    for (let k = 0; k < dim; k++) z[k] = z0[k] + t * (z1[k] - z0[k]);
    return z;
  };
}

export const BENCHES = {
  A: 'MLP VAE train step, batch 128',
  B: 'Conv VAE train step, batch 64',
  C: 'DCGAN train step (D+G), batch 64',
  D: 'Sample 64 (conv VAE decoder)',
  E: 'Interpolation frame (MLP decoder, 1×20)',
};

/**
 * Runs the benches in `only` for each library, alternating libraries per bench (A: ours,
 * TF.js; B: ours, TF.js; …). `libs` maps a library name to {benches: {A: setup, …}} where a
 * setup() returns {step, dispose?, check?} or throws/returns {unsupported: reason}.
 * `log` gets progress lines. Returns {[lib]: {[bench]: result}}.
 */
export async function runSuite({ libs, only = Object.keys(BENCHES), protocol, log = () => {} }) {
  const out = {};
  for (const id of only) {
    for (const [lib, impl] of Object.entries(libs)) {
      out[lib] ??= {};
      const setup = impl.benches[id];
      if (!setup) {
        out[lib][id] = { unsupported: 'not implemented' };
        continue;
      }
      let b;
      try {
        b = await setup();
      } catch (err) {
        out[lib][id] = { unsupported: String(err?.message ?? err) };
        log(`${id} ${lib}: unsupported: ${out[lib][id].unsupported}`);
        continue;
      }
      if (b.unsupported) {
        out[lib][id] = { unsupported: b.unsupported };
        log(`${id} ${lib}: unsupported: ${b.unsupported}`);
        continue;
      }
      try {
        const r = await measure(b.step, protocol);
        if (b.check) Object.assign(r, b.check());
        out[lib][id] = r;
        log(`${id} ${lib}: ${r.median.toFixed(3)} ms [${r.min.toFixed(3)}–${r.max.toFixed(3)}] n=${r.n} warm-up ${r.warmup.iters} it / ${(r.warmup.ms / 1000).toFixed(1)} s`);
      } catch (err) {
        out[lib][id] = { error: String(err?.stack ?? err) };
        log(`${id} ${lib}: ERROR ${err?.message ?? err}`);
      } finally {
        b.dispose?.();
      }
      await pause();
    }
  }
  return out;
}

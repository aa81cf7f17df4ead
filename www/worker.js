// The compute worker: owns the wasm module, the loaded models and the training run, so the
// page never blocks. Protocol (rpc.js is the client):
//
//   request  {id, type, payload}
//   replies  {id, type: "progress", progress} … then {id, type: "result", result}
//            or {id, type: "error", message}
//
// Request types (payload fields; `slot` names a loaded model, default "main", so widgets with
// different checkpoints can share one worker):
//   init                                   → {build: {simd, relaxed_simd, threads, thread_count, version},
//                                              browser: {…}, wasm: {package, threaded, threads, relaxed, fallback}}
//   catalog                                → {presets, datasets, fallback, recipes} (the library's menus)
//   setMemoryLimit {bytes}                 → {bytes}: the budget past which requests are refused
//                                              before allocating (default 1 GiB; see README, Safety)
//   loadModel     {slot, url | bytes, name, codePrior?} → info (the checkpoint's description);
//                 codePrior: false drops a fitted code prior (random codes from N(0, I))
//   modelInfo     {slot}                    → info
//   sample        {slot, n, seed, temperature, class?, labels?} → Output + {ms}
//   discriminate  {slot, bounds, size, class?} → {size, bounds, p: Float32Array size×size} (2-D
//                 data; `class` for a conditional discriminator)
//   interpolate   {slot, mode, steps, dense, seed, temperature, class?, a?, b?, images?}
//                                           → {a, b, strip: Output, dense: Output}
//   encode        {slot, x, labels?}        → {mu, logvar}
//   reconstruct   {slot, x, label?}         → {mu, logvar, output: Output}
//   testImages    {dataset, start, count}   → {n, c, h, w, values, labels, rgba}
//   dataPoints    {name, n}                 → {points, bounds} (a 2-D toy, for drawing "real" data)
//   latentMap     {slot, grid, range, count, class?} → {plane: Output, grid, range, points?, labels?}
//                 (progress: {done, total} while encoding test images)
//   trainStart    {run?, spec, seed, dataset, maxSteps, previewEvery}
//                 progress: {event: "started", info}
//                           {event: "busy", step, k, expectS}: a chunk expected to outlast the
//                             time budget (the first step, or one step longer than it) begins
//                           {event: "steps", step, epochs, k, metrics, stepsPerSec, wallS}
//                           {event: "preview", step, samples: Output, originals?, recon?, real?, heat?,
//                             eval?: {report, options} | {skipped}}
//                           {event: "state", state: "running" | "paused", step, reason?, error?}
//                 result (when the run is reset or replaced): {step, reason}
//   trainPause, trainResume, trainReset, trainStatus  {run?} → {state, step}
//   trainSetLr    {run?, lr}                → {lr}
//   trainSetPreview {run?, previewEvery}    → {previewEvery}
//   trainSetMaxSteps {run?, maxSteps}       → {maxSteps, passed, step}: the step the run pauses at
//                                             (0: none); one it has passed is not set (passed)
//   trainCheckpoint {run?, f16, codePrior?}  → {bytes: Uint8Array, filename, step}; codePrior: a
//                                             number of components, fitted to the training codes
//   trainEvaluate {run?, k, testSize}       → {report, options, step}: the CLI's eval on the live weights
//                                             (an IWAE-k bound on demand)
//   (`run` names a training run, default "main": several runs train side by side, e.g. a
//   GAN and a VAE trainer widget on one tutorial page; starting a run replaces the one of its name.)
//
// Output is {kind: "images", n, c, h, w, rgba: Uint8Array} or {kind: "points", n, points}.
// A request that needs a model before one is loaded gets an error reply, never a throw.
// A trap of the wasm module (out of memory, an abort) is different: its state is lost, so the
// worker posts {type: "fatal", message} once (and error replies after it); rpc.js replaces it.

import { loadWasm, relaxedSimdAvailable } from './wasm.js';

// The wasm bindings, set once a build is loaded: threaded or single-thread, relaxed-simd or not
// (see wasm.js); the pool size comes from `threads=N` in this worker's name and `relaxed=0` keeps
// it off the relaxed-simd modules (rpc.js's createWorker names it `latentlab?threads=N&relaxed=0`:
// a name survives the bundlers that rewrite the worker's URL and the blob: shim of a
// cross-origin page).
let LatentModel, LatentTrainer, capabilities, catalog, idxImages, imagesToRgba, latentGridPoints, setMemoryLimit, toyPoints, wasmInfo;
const workerQuery = new URLSearchParams(self.name.split('?')[1] ?? '');
const wasmReady = loadWasm({ threads: workerQuery.get('threads'), relaxed: workerQuery.get('relaxed') !== '0' }).then((w) => {
  ({ LatentModel, LatentTrainer, capabilities, catalog, idxImages, imagesToRgba, latentGridPoints, setMemoryLimit, toyPoints } = w.bindings);
  wasmInfo = w.info;
});
wasmReady.catch(() => {}); // reported per request below

// ---------------------------------------------------------------------------------------------
// Models

/** slot → {model: LatentModel, info} */
const models = new Map();

function slotOf(payload) {
  const slot = payload.slot ?? 'main';
  const m = models.get(slot);
  if (!m) throw new Error('no model is loaded yet: pick one from the list or load a checkpoint first');
  return m;
}

/** The library's presets and datasets (read once the wasm is ready). */
let known = null;
const library = () => (known ??= JSON.parse(catalog()));
const datasetEntry = (name) => library().datasets.find((d) => d.name === name);
const datasetNames = (kind) => library().datasets.filter((d) => d.kind === kind).map((d) => d.name);

/** A step count from a request: a whole number ≥ 0 (0 for none), at most 2⁴⁰ as a run counts. */
function stepCount(v) {
  const n = Math.floor(Number(v));
  return n > 0 ? Math.min(n, 2 ** 40) : 0;
}

/** `fetch(url)`, whose failures (unreachable, refused, HTTP errors) name the URL. */
async function fetchOk(url) {
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`could not fetch ${url}: ${err.message}`);
  }
  if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status}`);
  return res;
}

async function fetchBytes(url) {
  const res = await fetchOk(url);
  return new Uint8Array(await res.arrayBuffer());
}

/** Data-space values → what the page draws. */
function output(values, info, n) {
  if (info.is_image) {
    const [c, h, w] = info.sample_shape;
    const rgba = imagesToRgba(values, c, h, w);
    return { kind: 'images', n: values.length / (c * h * w), c, h, w, rgba };
  }
  const d = info.sample_shape.reduce((a, b) => a * b, 1);
  return { kind: 'points', n: n ?? values.length / d, points: values };
}

function optClass(c) {
  return c === null || c === undefined || c === '' ? undefined : Number(c);
}

// ---------------------------------------------------------------------------------------------
// Data: the gzipped IDX subsets in www/data/ and the 2-D toys (for display only)

const idxCache = new Map();

async function gunzipFetch(url) {
  const res = await fetchOk(url);
  const stream = res.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** {n, c, h, w, imagesIdx, labelsIdx, values, labels} of an image dataset's train or test split. */
function loadImages(name, split) {
  if (datasetEntry(name)?.kind !== 'images') {
    return Promise.reject(new Error(`this page has no image data for the dataset "${name}" (it has ${datasetNames('images').join(' and ')})`));
  }
  const key = `${name}-${split}`;
  if (!idxCache.has(key)) {
    // One template per file name, so that bundlers can see which files it may name.
    const url = (part) => new URL(`./data/${key}-${part}.idx.gz`, import.meta.url);
    const p = Promise.all([gunzipFetch(url('images')), gunzipFetch(url('labels'))]).then(
      ([imagesIdx, labelsIdx]) => ({ imagesIdx, labelsIdx, ...idxImages(name, imagesIdx, labelsIdx) }),
    );
    p.catch(() => idxCache.delete(key));
    idxCache.set(key, p);
  }
  return idxCache.get(key);
}

// The page's feature classifiers (www/weights/classifiers/, from pkg-scripts/train-weights): the
// live Fréchet distance of image GANs. The npm package has none (its widgets show no live
// metric): the URL's base is a variable so that bundlers leave it alone, and a missing file
// means no metric, with the reason.
const classifierCache = new Map();

/** {bytes, source} of the LeNet-style classifier of an image dataset. */
function loadClassifier(name) {
  if (!classifierCache.has(name)) {
    const here = import.meta.url;
    const url = new URL(`./weights/classifiers/lenet-${name}.safetensors`, here);
    const p = fetchBytes(url).then((bytes) => ({ bytes, source: url.pathname }));
    p.catch(() => classifierCache.delete(name));
    classifierCache.set(name, p);
  }
  return classifierCache.get(name);
}

/** Images `start … start + count` of a set, as a copy (replies transfer their buffers). */
function imageValues(set, start, count) {
  const d = set.c * set.h * set.w;
  return set.values.slice(start * d, (start + count) * d);
}

function gridPoints(bounds, size) {
  const [x0, x1, y0, y1] = bounds;
  const pts = new Float32Array(2 * size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const i = r * size + c;
      pts[2 * i] = x0 + ((c + 0.5) / size) * (x1 - x0);
      pts[2 * i + 1] = y1 - ((r + 0.5) / size) * (y1 - y0); // row 0 at the top
    }
  }
  return pts;
}

// ---------------------------------------------------------------------------------------------
// Request handlers

/** The ArrayBuffers under typed arrays in `v` (one level of objects deep, plus `Output`s). */
function buffersOf(v, seen = new Set(), depth = 0) {
  if (ArrayBuffer.isView(v)) {
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) seen.add(v.buffer);
  } else if (v && typeof v === 'object' && depth < 3) {
    for (const x of Object.values(v)) buffersOf(x, seen, depth + 1);
  }
  return seen;
}

function browserCaps() {
  const simdProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  return {
    simd: WebAssembly.validate(simdProbe),
    relaxedSimd: relaxedSimdAvailable(),
    crossOriginIsolated: self.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    hardwareConcurrency: navigator.hardwareConcurrency ?? null,
  };
}

const handlers = {
  init() {
    return { build: capabilities(), browser: browserCaps(), wasm: wasmInfo };
  },

  async loadModel({ slot = 'main', url, bytes, name, codePrior = true }, _progress, prefetched) {
    const data = bytes ? new Uint8Array(bytes) : await (prefetched ?? fetchBytes(url));
    let model;
    try {
      model = LatentModel.load(data);
    } catch (err) {
      throw new Error(`${name ?? url ?? 'this file'} is not a Latent Lab checkpoint: ${err.message}`);
    }
    let info;
    try {
      if (!codePrior) model.dropCodePrior();
      info = JSON.parse(model.info());
    } catch (err) {
      if (!moduleTrapped(err)) model.free();
      throw err;
    }
    info.bytes = data.byteLength;
    info.source = name ?? url ?? null;
    models.get(slot)?.model.free();
    models.set(slot, { model, info });
    return info;
  },

  modelInfo(p) {
    return slotOf(p).info;
  },

  catalog() {
    return library();
  },

  setMemoryLimit({ bytes }) {
    setMemoryLimit(Number(bytes));
    return { bytes: Number(bytes) };
  },

  sample(p) {
    const { model, info } = slotOf(p);
    const n = Math.max(1, Math.min(1024, p.n | 0 || 64));
    const t = Number(p.temperature ?? 1);
    const t0 = performance.now();
    let values;
    if (Array.isArray(p.labels) && p.labels.length) {
      const labels = Uint32Array.from(p.labels);
      values = model.decode(model.randomLatents(labels.length, p.seed >>> 0, t, labels), labels);
    } else {
      values = model.sample(n, p.seed >>> 0, t, optClass(p.class));
    }
    const out = output(values, info);
    out.ms = performance.now() - t0;
    return out;
  },

  discriminate(p) {
    const { model, info } = slotOf(p);
    if (!info.has_discriminator) throw new Error(`a ${info.kind} has no discriminator`);
    if (!info.is_points) throw new Error('the heat map is for models of 2-D points');
    const size = p.size ?? 64;
    const bounds = p.bounds ?? info.view_bounds;
    // A conditional discriminator judges the points as samples of one class; an InfoGAN's
    // takes no code (the page's code picker only chooses which samples are drawn).
    const cls = info.info_codes ? undefined : optClass(p.class);
    if (info.num_classes && !info.info_codes && cls === undefined) throw new Error('a conditional discriminator needs the class to judge the points as');
    const labels = cls === undefined ? undefined : new Uint32Array(size * size).fill(cls);
    const prob = model.discriminate(gridPoints(bounds, size), labels);
    return { size, bounds, p: prob };
  },

  async interpolate(p) {
    const { model, info } = slotOf(p);
    const steps = Math.max(2, Math.min(64, p.steps | 0 || 10));
    const dense = Math.max(2, Math.min(129, p.dense | 0 || 61));
    const mode = p.mode === 'lerp' ? 'lerp' : 'slerp';
    const cls = optClass(p.class);
    let a = p.a;
    let b = p.b;
    if (p.images) {
      if (!info.has_encoder) throw new Error(`a ${info.kind} has no encoder: use random endpoints`);
      const labels = p.labels ? Uint32Array.from(p.labels) : cls === undefined ? undefined : Uint32Array.from([cls, cls]);
      const post = model.encode(p.images, labels);
      const l = info.latent_dim;
      a = Float32Array.from(post.mu.slice(0, l));
      b = Float32Array.from(post.mu.slice(l, 2 * l));
    } else if (!a || !b) {
      // Both ends from the class the path is decoded as (a code prior per class needs it).
      const ends = info.num_classes ? Uint32Array.from([cls ?? 0, cls ?? 0]) : undefined;
      const z = model.randomLatents(2, p.seed >>> 0, Number(p.temperature ?? 1), ends);
      a = z.slice(0, z.length / 2);
      b = z.slice(z.length / 2);
    }
    const strip = output(model.interpolate(a, b, steps, mode, cls), info, steps);
    const frames = output(model.interpolate(a, b, dense, mode, cls), info, dense);
    return { a: Float32Array.from(a), b: Float32Array.from(b), mode, strip, dense: frames };
  },

  encode(p) {
    const { model, info } = slotOf(p);
    if (!info.has_encoder) throw new Error(`a ${info.kind} has no encoder`);
    const post = model.encode(p.x, p.labels ? Uint32Array.from(p.labels) : undefined);
    return { mu: Float32Array.from(post.mu), logvar: post.logvar ? Float32Array.from(post.logvar) : null };
  },

  reconstruct(p) {
    const { model, info } = slotOf(p);
    if (!info.has_encoder) throw new Error(`a ${info.kind} has no encoder, so it cannot reconstruct`);
    const labels = optClass(p.label) === undefined ? undefined : Uint32Array.from([Number(p.label)]);
    const t0 = performance.now();
    const post = model.encode(p.x, labels);
    const mu = Float32Array.from(post.mu);
    const out = output(model.reconstruct(p.x, labels), info);
    return { mu, logvar: post.logvar ? Float32Array.from(post.logvar) : null, output: out, ms: performance.now() - t0 };
  },

  dataPoints({ name, n = 1000 }) {
    const entry = datasetEntry(name);
    if (entry?.kind !== 'points') throw new Error(`no 2-D toy named "${name}" (${datasetNames('points').join(', ')})`);
    return { points: toyPoints(name, Math.max(1, Math.min(100000, n | 0)), 7), bounds: entry.view_bounds };
  },

  async testImages({ dataset, start = 0, count = 32 }) {
    const set = await loadImages(dataset, 'test');
    start = Math.max(0, Math.min(set.n - 1, start | 0));
    count = Math.max(1, Math.min(set.n - start, count | 0));
    const values = imageValues(set, start, count);
    return {
      n: count,
      c: set.c,
      h: set.h,
      w: set.w,
      values,
      labels: set.labels.slice(start, start + count),
      rgba: imagesToRgba(values, set.c, set.h, set.w),
    };
  },

  async latentMap(p, progress) {
    const slot = slotOf(p);
    const { info } = slot;
    const grid = Math.max(2, Math.min(40, p.grid | 0 || 20));
    const range = Number(p.range ?? 3);
    const cls = optClass(p.class);
    const plane = output(slot.model.latentGrid(grid, range, cls), info, grid * grid);
    const z = latentGridPoints(grid, range);
    const res = { grid, range, z, plane, points: null, labels: null, classNames: info.data?.class_names ?? [] };
    if (info.has_encoder && info.is_image) {
      const set = await loadImages(info.data.name, 'test');
      const count = Math.min(set.n, p.count ?? 1000);
      const mu = new Float32Array(2 * count);
      const chunk = info.batch_hint;
      for (let s = 0; s < count; s += chunk) {
        const m = Math.min(chunk, count - s);
        const lab = info.num_classes ? set.labels.slice(s, s + m) : undefined;
        // The slot may have been replaced while we yielded: use the model we started with.
        const post = slot.model.encode(imageValues(set, s, m), lab);
        mu.set(post.mu, 2 * s);
        progress({ done: s + m, total: count });
        await new Promise((r) => setTimeout(r));
        if (models.get(p.slot ?? 'main') !== slot) throw new Error('the model changed while the map was being computed');
      }
      res.points = mu;
      res.labels = set.labels.slice(0, count);
    }
    return res;
  },

  // --- training -------------------------------------------------------------------------------

  async trainStart(p, progress) {
    const key = runKey(p);
    const generation = nextGeneration(key);
    if (runs.has(key)) await stopRun(key, 'replaced');
    const spec = p.spec ?? {};
    const trainer = new LatentTrainer(JSON.stringify(spec), p.seed >>> 0);
    const dataset = p.dataset ?? 'mnist';
    let set = null;
    try {
      if (datasetEntry(dataset)?.kind === 'points') trainer.setToy(dataset, p.toyCount, p.seed >>> 0);
      else {
        const [train, test] = await Promise.all([loadImages(dataset, 'train'), loadImages(dataset, 'test')]);
        set = train;
        trainer.setImages(dataset, set.imagesIdx, set.labelsIdx);
        trainer.setTestImages(dataset, test.imagesIdx, test.labelsIdx);
      }
    } catch (err) {
      if (!moduleTrapped(err)) trainer.free();
      throw err;
    }
    const info = JSON.parse(trainer.info());
    // An image GAN has no likelihood to show live: the classifier gives it a Fréchet distance.
    let classifier = null;
    if (info.frechet_only) {
      try {
        const c = await loadClassifier(dataset);
        trainer.setFeatureClassifier(c.bytes, c.source);
        classifier = { source: c.source };
      } catch (err) {
        if (moduleTrapped(err)) throw err;
        classifier = { error: err.message };
      }
    }
    // A reset, or a later start of this run name, came while this one waited for its files:
    // the later one wins, and this one never runs (else it would train unlisted, or to its
    // limit with nobody watching).
    if (startGeneration.get(key) !== generation) {
      if (!trapped) trainer.free();
      return { step: 0, reason: 'reset' };
    }
    const r = {
      key,
      trainer,
      info,
      dataset,
      set,
      state: 'running',
      wake: null,
      wallS: 0,
      maxSteps: stepCount(p.maxSteps),
      previewEvery: stepCount(p.previewEvery) || 50,
      nextPreview: 0,
      secPerStep: null,
      evalS: 0, // how long the last live evaluation took
      evalAt: 0, // and the run's wall time when it ran (the first waits for a tenth of the run to cover its cost)
      evalStep: -1, // and the step it measured
      evalSkipped: null,
      classifier, // {source} or {error} for an image GAN, else null
      // The first 1000 of the very points being trained on (same mixture, same seed).
      real: info.is_points ? toyPoints(dataset, 1000, p.seed >>> 0) : null,
      bounds: info.view_bounds,
      progress,
    };
    runs.set(key, r);
    r.done = trainLoop(r);
    progress({ event: 'started', info });
    return r.done;
  },

  trainPause(p) {
    const r = needRun(p);
    if (r.state === 'running') {
      r.state = 'paused';
      r.pauseReason = 'user';
    }
    return { state: r.state, step: r.trainer.steps() };
  },

  trainResume(p) {
    const r = needRun(p);
    if (p?.maxSteps !== undefined) r.maxSteps = stepCount(p.maxSteps);
    if (r.state === 'paused') {
      r.state = 'running';
      r.wake?.();
    }
    return { state: r.state, step: r.trainer.steps() };
  },

  async trainReset(p) {
    nextGeneration(runKey(p)); // a start still loading its files is cancelled too
    const r = runs.get(runKey(p));
    if (!r) return { state: 'none', step: 0 };
    const step = r.trainer.steps();
    await stopRun(r.key, 'reset');
    return { state: 'none', step };
  },

  trainStatus(p) {
    const r = runs.get(runKey(p));
    if (!r) return { state: 'none', step: 0 };
    return { state: r.state, step: r.trainer.steps(), wallS: r.wallS };
  },

  trainSetLr(p) {
    const { lr } = p;
    const r = needRun(p);
    const v = Number(lr);
    if (!(v > 0 && Number.isFinite(v))) throw new Error(`learning rate must be a positive number, got ${lr}`);
    r.trainer.setLearningRate(v);
    return { lr: v };
  },

  trainSetPreview(p) {
    const r = needRun(p);
    r.previewEvery = stepCount(p.previewEvery) || 50;
    return { previewEvery: r.previewEvery };
  },

  trainSetMaxSteps(p) {
    const r = needRun(p);
    const maxSteps = stepCount(p.maxSteps);
    const step = r.trainer.steps();
    // One the run has passed is left for the next run (the page says so); the run goes on.
    if (maxSteps && maxSteps <= step) return { maxSteps: r.maxSteps, passed: true, step };
    r.maxSteps = maxSteps;
    return { maxSteps, passed: false, step };
  },

  trainEvaluate(p) {
    const r = needRun(p);
    const k = Number(p.k ?? 50);
    if (!Number.isInteger(k) || k < 1 || k > 5000) throw new Error(`k must be a whole number from 1 to 5000, got ${p.k}`);
    const options = { ...liveEvalOptions(r), k, test_size: p.testSize ?? LIVE_TEST_SIZE };
    return { report: JSON.parse(r.trainer.evaluate(JSON.stringify(options))), options, step: r.trainer.steps() };
  },

  trainCheckpoint(p) {
    const { f16 = false, codePrior } = p;
    const r = needRun(p);
    const bytes = r.trainer.checkpoint(Boolean(f16), r.wallS, codePrior == null ? undefined : codePrior >>> 0);
    return { bytes, filename: `latentlab-${r.info.kind}-${r.dataset}.safetensors`, step: r.trainer.steps() };
  },
};

// ---------------------------------------------------------------------------------------------
// Traps. A WebAssembly.RuntimeError (out of memory, an abort, `unreachable`) stops the module
// mid-call: its state is lost (borrow flags stay set, locks stay held), so nothing may call into
// it again, not even to free. The worker posts {type: "fatal"} once; rpc.js replaces it.

/** The module's first trap, once it has trapped. */
let trapped = null;
let fatalSent = false;

/** Whether the module has trapped, `err` being the latest error seen. */
function moduleTrapped(err) {
  if (err instanceof WebAssembly.RuntimeError) trapped ??= err;
  return trapped !== null;
}

// ---------------------------------------------------------------------------------------------
// Requests made for the embeddable widgets (www/widgets/):
//   sampleLatents {slot, n, seed, temperature, class?} → Output + {z: Float32Array n×latent_dim, ms}
//   dataView      {slot}                    → {bounds, real: Float32Array | null}: where to look
//                 at a model of 2-D points, and 1000 real points when its data is a known toy

Object.assign(handlers, {
  sampleLatents(p) {
    const { model, info } = slotOf(p);
    if (!info.latent_dim) throw new Error(`a ${info.kind} has no latent space to sample from`);
    const n = Math.max(1, Math.min(4096, p.n | 0 || 64));
    const t0 = performance.now();
    const cls = optClass(p.class);
    // A conditional model's class, 0 when none is asked for; a self-conditioned GAN's clusters
    // by their shares then.
    const labels = info.num_classes ? model.sampleLabels(n, info.clusters ? cls : (cls ?? 0)) : undefined;
    const z = model.randomLatents(n, p.seed >>> 0, Number(p.temperature ?? 1), labels);
    const out = output(model.decode(z, labels), info, n);
    out.z = Float32Array.from(z);
    out.ms = performance.now() - t0;
    return out;
  },

  dataView(p) {
    const { info } = slotOf(p);
    if (!info.is_points) throw new Error('this model does not make 2-D points');
    const name = info.data?.name;
    const toy = datasetEntry(name)?.kind === 'points';
    return { bounds: info.view_bounds, real: toy ? toyPoints(name, 1000, 7) : null };
  },
});

// ---------------------------------------------------------------------------------------------
// Requests for inpainting (the Reconstruct view) and latent arithmetic (the Arithmetic view):
//   inpaint         {slot, x, known: Uint8Array (1 known, 0 missing), label?, iterations?}
//                                           → {output: Output, ms}
//   attributeVector {slot, a: Set, b: Set}  → {v: Float32Array latent_dim, countA, countB}
//   shiftLatents    {slot, targets: Set, v, alpha, originals?} → {output: Output, originals?: Output, n}
//   acrossClasses   {slot, n, seed, temperature, targets?: Set}
//                                           → {output: Output (n rows × K classes), rows, cols, originals?}
// A Set picks test images of the model's dataset: {class, count?} (the first `count`, default
// all, of that class in the page's test subset) or {indices: [...]}.

/** {values, labels, n} of the test images a Set picks. */
async function testSet(info, set) {
  const data = await loadImages(info.data?.name, 'test');
  let idx;
  if (Array.isArray(set?.indices)) {
    idx = set.indices.map(Number);
    const bad = idx.find((i) => !(Number.isInteger(i) && i >= 0 && i < data.n));
    if (bad !== undefined) throw new Error(`test image index ${bad} is not in 0 … ${data.n - 1}`);
  } else if (set && Number.isInteger(Number(set.class))) {
    const c = Number(set.class);
    idx = [];
    for (let i = 0; i < data.n && idx.length < (set.count ?? data.n); i++) if (data.labels[i] === c) idx.push(i);
  } else {
    throw new Error('a set of test images is {class, count?} or {indices: [...]}');
  }
  if (!idx.length) throw new Error('the set of test images is empty');
  const d = data.c * data.h * data.w;
  const values = new Float32Array(idx.length * d);
  idx.forEach((i, k) => values.set(data.values.subarray(i * d, (i + 1) * d), k * d));
  return { values, labels: Uint32Array.from(idx, (i) => data.labels[i]), n: idx.length };
}

const condLabels = (info, set) => (info.num_classes ? set.labels : undefined);

Object.assign(handlers, {
  inpaint(p) {
    const { model, info } = slotOf(p);
    const labels = optClass(p.label) === undefined ? undefined : Uint32Array.from([Number(p.label)]);
    const t0 = performance.now();
    const known = p.known instanceof Uint8Array ? p.known : Uint8Array.from(p.known ?? []);
    const out = output(model.inpaint(p.x, known, labels, p.iterations), info);
    return { output: out, ms: performance.now() - t0 };
  },

  async attributeVector(p) {
    const { model, info } = slotOf(p);
    const [a, b] = [await testSet(info, p.a), await testSet(info, p.b)];
    const v = model.attributeVector(a.values, condLabels(info, a), b.values, condLabels(info, b));
    return { v, countA: a.n, countB: b.n };
  },

  async shiftLatents(p) {
    const { model, info } = slotOf(p);
    const t = await testSet(info, p.targets);
    const out = output(model.shiftDecode(t.values, condLabels(info, t), Float32Array.from(p.v ?? []), Number(p.alpha)), info);
    return { output: out, originals: p.originals ? output(t.values, info) : null, n: t.n };
  },

  async acrossClasses(p) {
    const { model, info } = slotOf(p);
    if (!info.num_classes) throw new Error(`this ${info.kind} is not conditioned on classes`);
    let z;
    let originals = null;
    if (p.targets) {
      const t = await testSet(info, p.targets);
      z = model.encode(t.values, t.labels).mu;
      originals = output(t.values, info);
    } else {
      const n = Number(p.n ?? 4);
      if (!(Number.isInteger(n) && n >= 1 && n <= 16)) throw new Error(`rows of codes must be a whole number from 1 to 16, got ${p.n}`);
      z = model.randomLatents(n, p.seed >>> 0, Number(p.temperature ?? 1));
    }
    const rows = z.length / info.latent_dim;
    return { output: output(model.decodeAcrossClasses(z), info), rows, cols: info.num_classes, originals };
  },
});

// ---------------------------------------------------------------------------------------------
// The training loop: chunks of trainSteps sized by time (CHUNK_BUDGET_S, from the measured
// step time; at least one step), yielding to the event loop between them so pause / resume /
// reset / sample requests are answered within about one budget. One step cannot be cut: a
// model whose single step outlasts the budget answers after the step in flight (the page runs
// training in a worker of its own and says so, see views/train.js).

/** run name → the training run of that name */
const runs = new Map();
// Per run name, a count of the starts and resets asked for: a start goes on only if it is
// still the last one when its files have arrived.
const startGeneration = new Map();

function nextGeneration(key) {
  const g = (startGeneration.get(key) ?? 0) + 1;
  startGeneration.set(key, g);
  return g;
}

function runKey(p) {
  return String(p?.run ?? 'main');
}

function needRun(p) {
  const r = runs.get(runKey(p));
  if (!r) throw new Error('no training run: press Start first');
  return r;
}

async function stopRun(key, reason) {
  const r = runs.get(key);
  if (!r) return;
  r.state = 'stopped';
  r.stopReason = reason;
  r.wake?.();
  await r.done.catch(() => {});
}

const CHUNK_BUDGET_S = 0.05;
const MAX_CHUNK = 256;

// The live paper metric (the CLI's `eval`, on the preview's samples): PacGAN's mode count on
// PREVIEW_POINTS points of seed PREVIEW_SEED for 2-D toys, the held-out ELBO (k = 1) on the
// first LIVE_TEST_SIZE test images for VAEs, the LeNet Fréchet distance of LIVE_SAMPLES samples
// to them for image GANs; at most EVAL_SHARE of the run's time.
const PREVIEW_SEED = 12345;
const PREVIEW_POINTS = 2500;
const LIVE_TEST_SIZE = 500;
const LIVE_SAMPLES = 500;
const EVAL_SHARE = 0.1;

function liveEvalOptions(r) {
  if (r.info.is_points) return { samples: PREVIEW_POINTS, seed: PREVIEW_SEED };
  if (r.classifier?.source) return { samples: LIVE_SAMPLES, test_size: LIVE_TEST_SIZE, seed: 0 };
  return { k: 1, test_size: LIVE_TEST_SIZE, seed: 0 };
}

/**
 * The live metric for a preview, when its share of the run's time allows (else undefined).
 * `pause`: the run pauses here, and the metric is measured anyway — always where the run reached
 * its last step ('limit'), otherwise when it is quick — once per step.
 */
function liveEval(r, pause) {
  if (r.evalSkipped) return { skipped: r.evalSkipped };
  const step = r.trainer.steps();
  // Until it is measured, one evaluation is guessed to cost about one training step. (The
  // first one also measures the test images' baseline, so it overstates the later ones.)
  const cost = r.evalS || r.secPerStep || 0;
  const atPause = pause && r.evalStep !== step && (pause === 'limit' || cost < 0.5);
  const due = r.wallS - r.evalAt >= cost / EVAL_SHARE || atPause;
  if (!due) return undefined;
  const options = liveEvalOptions(r);
  const t0 = performance.now();
  let report;
  try {
    report = JSON.parse(r.trainer.evaluate(JSON.stringify(options)));
  } catch (err) {
    if (moduleTrapped(err)) throw err;
    r.evalSkipped = err.message; // e.g. the spiral has no modes to count
    return { skipped: r.evalSkipped };
  }
  r.evalS = (performance.now() - t0) / 1000;
  r.evalAt = r.wallS;
  r.evalStep = step;
  if (!report.modes && !report.likelihood && !report.reconstruction && report.frechet?.generated_vs_test === undefined) {
    r.evalSkipped = r.classifier?.error
      ? `the feature classifier for the Fréchet distance could not be loaded: ${r.classifier.error}`
      : `no live metric for a ${r.info.kind}`;
    return { skipped: r.evalSkipped };
  }
  return { report, options, ms: r.evalS * 1000 };
}

/** A preview of the current weights; `pause`: why the run pauses here, if it does (see liveEval). */
function preview(r, pause = null) {
  const t = r.trainer;
  const info = r.info;
  const msg = { event: 'preview', step: t.steps() };
  if (info.is_image) {
    const k = info.num_classes ?? 0;
    const n = k ? 3 * k : 32;
    msg.columns = k || 8;
    msg.samples = output(t.sample(n, PREVIEW_SEED, 1), info);
    if (info.has_encoder) {
      const m = Math.min(8, r.set.n);
      msg.originals = output(imageValues(r.set, 0, m), info);
      msg.recon = output(t.reconstruct(m), info);
    }
  } else {
    msg.samples = output(t.sample(PREVIEW_POINTS, PREVIEW_SEED, 1), info, PREVIEW_POINTS);
    msg.real = r.real.slice(); // a copy: replies transfer their buffers
    msg.bounds = r.bounds;
    if (info.has_discriminator) {
      const size = 48;
      msg.heat = { size, p: t.discriminate(gridPoints(r.bounds, size)) };
    }
  }
  msg.eval = liveEval(r, pause);
  return msg;
}

function post(r, msg) {
  r.progress(msg);
}

/**
 * Waits for resume / reset to wake the run, then for the next task: the request that woke it
 * replies before the next (maybe long) chunk starts.
 */
async function woken(r) {
  await new Promise((res) => (r.wake = res));
  r.wake = null;
  await new Promise((res) => setTimeout(res));
}

async function trainLoop(r) {
  const t = r.trainer;
  let lastState = null;
  const announce = (extra = {}) => {
    if (lastState !== r.state || extra.error) {
      lastState = r.state;
      post(r, { event: 'state', state: r.state, step: t.steps(), wallS: r.wallS, ...extra });
    }
  };
  try {
    await new Promise((res) => setTimeout(res));
    while (r.state !== 'stopped') {
      if (r.maxSteps && t.steps() >= r.maxSteps && r.state === 'running') {
        r.state = 'paused';
        r.pauseReason = 'limit';
      }
      if (r.state === 'paused') {
        announce({ reason: r.pauseReason });
        post(r, preview(r, r.pauseReason));
        await woken(r);
        continue;
      }
      announce();
      let k = r.secPerStep ? Math.floor(CHUNK_BUDGET_S / r.secPerStep) : 1;
      k = Math.max(1, Math.min(MAX_CHUNK, k));
      if (r.maxSteps) k = Math.min(k, r.maxSteps - t.steps());
      const expectS = r.secPerStep ? k * r.secPerStep : null;
      if (expectS === null || expectS > CHUNK_BUDGET_S) post(r, { event: 'busy', step: t.steps(), k, expectS });
      const t0 = performance.now();
      let res;
      try {
        res = JSON.parse(t.trainSteps(k));
      } catch (err) {
        if (moduleTrapped(err)) throw err;
        r.state = 'paused';
        r.pauseReason = 'error';
        lastState = 'paused';
        post(r, { event: 'state', state: 'paused', step: t.steps(), wallS: r.wallS, reason: 'error', error: err.message });
        await woken(r);
        continue;
      }
      const dt = (performance.now() - t0) / 1000;
      r.wallS += dt;
      const per = dt / k;
      r.secPerStep = r.secPerStep ? 0.7 * r.secPerStep + 0.3 * per : per;
      post(r, {
        event: 'steps',
        step: res.step,
        epochs: res.epochs,
        k,
        metrics: res.metrics,
        stepsPerSec: 1 / r.secPerStep,
        wallS: r.wallS,
      });
      if (res.step >= r.nextPreview) {
        post(r, preview(r));
        r.nextPreview = (Math.floor(res.step / r.previewEvery) + 1) * r.previewEvery;
      }
      await new Promise((res2) => setTimeout(res2));
    }
    return { step: t.steps(), reason: r.stopReason ?? 'stopped' };
  } catch (err) {
    moduleTrapped(err); // a trap anywhere in the loop (a preview, say): nothing may call in after
    throw err;
  } finally {
    if (runs.get(r.key) === r) runs.delete(r.key);
    if (!trapped) t.free();
  }
}

// ---------------------------------------------------------------------------------------------

async function handle(msg) {
  const { id, type, payload } = msg ?? {};
  const progress = (p) => {
    self.postMessage({ id, type: 'progress', progress: p }, [...buffersOf(p)]);
  };
  // A checkpoint download need not wait for the wasm module to compile.
  const prefetched = type === 'loadModel' && payload?.url && !payload.bytes ? fetchBytes(payload.url) : null;
  prefetched?.catch(() => {}); // reported by the handler
  try {
    try {
      await wasmReady;
    } catch (err) {
      throw new Error(`the wasm module failed to load: ${err?.message ?? err}`);
    }
    if (trapped) throw new Error(`this worker's wasm module trapped earlier (${trapped.message}) and is unusable`);
    const fn = Object.hasOwn(handlers, type) ? handlers[type] : null;
    if (!fn) throw new Error(`unknown request type "${type}"`);
    const result = await fn(payload ?? {}, progress, prefetched);
    // Typed arrays made for this reply are moved, not copied.
    self.postMessage({ id, type: 'result', result }, [...buffersOf(result)]);
  } catch (err) {
    if (moduleTrapped(err) && !fatalSent) {
      fatalSent = true;
      const message = `its wasm module trapped (${trapped.message}) during "${type}": out of memory or an internal error, and its state is lost`;
      self.postMessage({ type: 'fatal', message });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    self.postMessage({ id, type: 'error', message });
  }
}

self.addEventListener('message', (e) => {
  handle(e.data);
});

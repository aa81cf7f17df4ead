// Loads Latent Lab's wasm module for the compute worker, choosing the build: the threaded one
// (pkg-threads/: atomics, shared memory, a rayon pool of Web Workers) when this context is
// cross-origin isolated and has SharedArrayBuffer, else the single-thread one (pkg/); and of
// either, its relaxed-simd module (latentlab_relaxed_bg.wasm beside latentlab_bg.wasm, started
// by the same JS glue: fused multiply-adds in the matrix products, 10–35 % faster training)
// where the engine validates relaxed-simd. When a build or module fails to start (or is not
// there), it falls back to the next one and says why.
//
// Thread count: `threads` (`threads=N` in the worker's name, which rpc.js passes on from the
// page's own query), else navigator.hardwareConcurrency, capped at DEFAULT_MAX_THREADS; always ≥ 1.

import initSingleThread, * as singleThread from './pkg/latentlab.js';

/** The default pool size never exceeds this (more Web Workers cost memory and start-up). */
export const DEFAULT_MAX_THREADS = 8;
/** An explicit `?threads=N` is clamped to 1…MAX_THREADS. */
export const MAX_THREADS = 64;

/** Whether shared wasm memory can work here (COOP/COEP served, SharedArrayBuffer defined). */
export function threadsAvailable() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
}

/**
 * Whether this engine runs relaxed-simd, which the relaxed builds need: a one-function module
 * using f32x4.relaxed_madd (opcode 0xfd 0x105) validates.
 */
export function relaxedSimdAvailable() {
  const zero = [0xfd, 0x0c, ...new Array(16).fill(0)]; // v128.const 0
  const body = [0, ...zero, ...zero, ...zero, 0xfd, 0x85, 0x02, 0x0b]; // no locals; madd; end
  return WebAssembly.validate(new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 5, 1, 0x60, 0, 1, 0x7b, // type 0: () -> v128
    3, 2, 1, 0, // one function of type 0
    10, body.length + 2, 1, body.length, ...body, // its code
  ]));
}

/**
 * The pool size for `requested` (a number or numeric string; empty → the default; anything
 * else → the default, with a console warning).
 * @returns {number} an integer in 1…MAX_THREADS
 */
export function poolSize(requested) {
  const given = requested !== null && requested !== undefined && requested !== '';
  const n = Number(requested);
  if (given && Number.isInteger(n)) return Math.max(1, Math.min(MAX_THREADS, n));
  if (given) console.warn(`Latent Lab: threads=${requested} is not a whole number; using the default pool size`);
  const cores = Number(globalThis.navigator?.hardwareConcurrency) || 1;
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores));
}

/**
 * Starts a build's JS glue (`init`) with its relaxed-simd module when `relaxed`, else (or when
 * that fails) with its plain one. Resolves to whether the relaxed module runs.
 */
async function startModule(init, { plain, relaxedModule }, relaxed) {
  if (relaxed) {
    try {
      await init({ module_or_path: relaxedModule });
      return true;
    } catch (err) {
      console.warn(`Latent Lab: the relaxed-simd module failed to start (${err?.message ?? err}); using the plain simd128 one`);
    }
  }
  await init({ module_or_path: plain });
  return false;
}

/**
 * The single-thread build. Imported statically, and its modules named by literal URLs, so that
 * bundlers (Vite) bundle the glue and both modules into the worker without code splitting
 * (which their default worker format cannot do).
 */
async function singleThreadBuild(relaxed) {
  const modules = {
    plain: new URL('./pkg/latentlab_bg.wasm', import.meta.url),
    relaxedModule: new URL('./pkg/latentlab_relaxed_bg.wasm', import.meta.url),
  };
  return { pkg: singleThread, relaxed: await startModule(initSingleThread, modules, relaxed) };
}

/**
 * The threaded build (optional: a folder without it falls back to the single-thread one). Its
 * URLs are variables so that bundlers leave it alone: a bundle carries the single-thread build,
 * and looks for `pkg-threads/` next to its own assets.
 */
async function threadedBuild(relaxed) {
  const dir = 'pkg-threads';
  const here = import.meta.url;
  const pkg = await import(/* @vite-ignore */ `./${dir}/latentlab.js`);
  const modules = {
    plain: new URL(`./${dir}/latentlab_bg.wasm`, here),
    relaxedModule: new URL(`./${dir}/latentlab_relaxed_bg.wasm`, here),
  };
  return { pkg, relaxed: await startModule(pkg.default, modules, relaxed) };
}

/** How long a probe worker may take to start. */
const PROBE_MS = 3000;

/**
 * Resolves to why this context cannot start wasm-bindgen-rayon's pool, or null when it can:
 * the pool's Web Workers start from blob: URLs, which a Content-Security-Policy without
 * `worker-src blob:` refuses (the refusal shows up as a worker that never starts).
 */
function blobWorkersRefused() {
  const refused = 'this context refuses blob: workers, which the thread pool starts from (a Content-Security-Policy without worker-src blob:?)';
  return new Promise((resolve) => {
    let url = null;
    let worker = null;
    let timer = null;
    const done = (why) => {
      clearTimeout(timer);
      worker?.terminate();
      if (url) URL.revokeObjectURL(url);
      resolve(why);
    };
    try {
      url = URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' }));
      worker = new Worker(url);
    } catch (err) {
      done(`${refused}: ${err?.message ?? err}`);
      return;
    }
    worker.onmessage = () => done(null);
    worker.onerror = () => done(refused);
    timer = setTimeout(() => done(refused), PROBE_MS);
  });
}

/** Starting the pool may hang where its workers cannot start: give up after this long. */
const POOL_START_MS = 15000;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Loads and starts one build.
 * @param {{threads?: number|string, relaxed?: boolean}} options `threads`: pool size (see
 *   poolSize); `relaxed: false` keeps to the plain simd128 modules
 * @returns {Promise<{bindings: object, info: {package: string, threaded: boolean,
 *   threads: number, relaxed: boolean, fallback: string|null}}>} `bindings`: the package's
 *   exports; `relaxed`: whether its relaxed-simd module runs; `fallback`: why the threaded
 *   build is not the one in use (null when it is)
 */
export async function loadWasm({ threads, relaxed = true } = {}) {
  const useRelaxed = relaxed && relaxedSimdAvailable();
  let fallback = threadsAvailable()
    ? await blobWorkersRefused()
    : 'the page is not cross-origin isolated (no COOP/COEP headers), so SharedArrayBuffer is unavailable';
  if (!fallback) {
    try {
      const { pkg, relaxed: r } = await threadedBuild(useRelaxed);
      const n = poolSize(threads);
      await withTimeout(pkg.initThreadPool(n), POOL_START_MS, 'starting the thread pool');
      return { bindings: pkg, info: { package: 'pkg-threads', threaded: true, threads: pkg.threadCount(), relaxed: r, fallback: null } };
    } catch (err) {
      fallback = `the threaded build failed to start: ${err?.message ?? err}`;
    }
  }
  if (threadsAvailable()) console.warn(`Latent Lab: ${fallback}; using the single-thread build`);
  const { pkg, relaxed: r } = await singleThreadBuild(useRelaxed);
  return { bindings: pkg, info: { package: 'pkg', threaded: false, threads: 1, relaxed: r, fallback } };
}

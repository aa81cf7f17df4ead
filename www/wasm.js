// Loads Latent Lab's wasm module for the compute worker, choosing the build: the threaded one
// (pkg-threads/: atomics, shared memory, a rayon pool of Web Workers) when this context is
// cross-origin isolated and has SharedArrayBuffer, else the single-thread one (pkg/). When
// the threaded build fails to start, it falls back to the single-thread one and says why.
//
// Thread count: `threads` (the worker's `?threads=N`, which rpc.js passes on from the page's
// own query), else navigator.hardwareConcurrency, capped at DEFAULT_MAX_THREADS; always ≥ 1.

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
 * The single-thread build. Imported statically so that bundlers (Vite) bundle it and its wasm
 * into the worker without code splitting (which their default worker format cannot do).
 */
async function singleThreadBuild() {
  await initSingleThread({ module_or_path: new URL('./pkg/latentlab_bg.wasm', import.meta.url) });
  return singleThread;
}

/** The threaded build (optional: a folder without it falls back to the single-thread one). */
async function threadedBuild() {
  const dir = 'pkg-threads';
  const pkg = await import(/* @vite-ignore */ `./${dir}/latentlab.js`);
  await pkg.default({ module_or_path: new URL(`./${dir}/latentlab_bg.wasm`, import.meta.url) });
  return pkg;
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
 * @param {{threads?: number|string}} options `threads`: pool size (see poolSize)
 * @returns {Promise<{bindings: object, info: {package: string, threaded: boolean,
 *   threads: number, fallback: string|null}}>} `bindings`: the package's exports;
 *   `fallback`: why the threaded build is not the one in use (null when it is)
 */
export async function loadWasm({ threads } = {}) {
  let fallback = threadsAvailable()
    ? await blobWorkersRefused()
    : 'the page is not cross-origin isolated (no COOP/COEP headers), so SharedArrayBuffer is unavailable';
  if (!fallback) {
    try {
      const pkg = await threadedBuild();
      const n = poolSize(threads);
      await withTimeout(pkg.initThreadPool(n), POOL_START_MS, 'starting the thread pool');
      return { bindings: pkg, info: { package: 'pkg-threads', threaded: true, threads: pkg.threadCount(), fallback: null } };
    } catch (err) {
      fallback = `the threaded build failed to start: ${err?.message ?? err}`;
    }
  }
  if (threadsAvailable()) console.warn(`Latent Lab: ${fallback}; using the single-thread build`);
  const pkg = await singleThreadBuild();
  return { bindings: pkg, info: { package: 'pkg', threaded: false, threads: 1, fallback } };
}

// Loads Latent Lab's wasm module for the compute worker, choosing the build: the threaded one
// (pkg-threads/: atomics, shared memory, a rayon pool of Web Workers) when this context is
// cross-origin isolated and has SharedArrayBuffer, else the single-thread one (pkg/). When
// the threaded build fails to start, it falls back to the single-thread one and says why.
//
// Thread count: `threads` (the worker's `?threads=N`, which rpc.js passes on from the page's
// own query), else navigator.hardwareConcurrency, capped at DEFAULT_MAX_THREADS; always ≥ 1.

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

async function instantiate(dir) {
  const pkg = await import(`./${dir}/latentlab.js`);
  await pkg.default({ module_or_path: new URL(`./${dir}/latentlab_bg.wasm`, import.meta.url) });
  return pkg;
}

/**
 * Loads and starts one build.
 * @param {{threads?: number|string}} options `threads`: pool size (see poolSize)
 * @returns {Promise<{bindings: object, info: {package: string, threaded: boolean,
 *   threads: number, fallback: string|null}}>} `bindings`: the package's exports;
 *   `fallback`: why the threaded build is not the one in use (null when it is)
 */
export async function loadWasm({ threads } = {}) {
  let fallback = 'the page is not cross-origin isolated (no COOP/COEP headers), so SharedArrayBuffer is unavailable';
  if (threadsAvailable()) {
    try {
      const pkg = await instantiate('pkg-threads');
      const n = poolSize(threads);
      await pkg.initThreadPool(n);
      return { bindings: pkg, info: { package: 'pkg-threads', threaded: true, threads: pkg.threadCount(), fallback: null } };
    } catch (err) {
      fallback = `the threaded build failed to start: ${err?.message ?? err}`;
      console.warn(`Latent Lab: ${fallback}; using the single-thread build`);
    }
  }
  const pkg = await instantiate('pkg');
  return { bindings: pkg, info: { package: 'pkg', threaded: false, threads: 1, fallback } };
}

// The Chromium side of the benches: the same protocol and bench definitions as Node
// (bench-core.mjs, latentlab-benches.mjs, tfjs-benches.mjs), on the page's main thread.
// Exposes window.runBenches({quick, only}) → {meta, results}; window.benchReady resolves
// once the libraries are initialised (Latent Lab's relaxed-simd module too, www/pkg's
// latentlab_relaxed_bg.wasm, where built and supported). window.runThreadedBenches({quick,
// only, threads}) → [{threads, relaxed, capabilities, results}] runs Latent Lab's threaded
// build in a Web Worker (bench-threads-worker.mjs, with the module the demo would load here:
// the relaxed one where relaxed-simd runs), once per pool size in `threads` (default: 1 and
// the demo's default pool size, www/wasm.js's poolSize()).

import init, * as ll from '/www/pkg/latentlab.js';
import { BENCHES, PROTOCOL, runSuite } from './bench-core.mjs';
import { latentLabBenches } from './latentlab-benches.mjs';
import { relaxedSimd, withSimdPeak } from './simd-peak.mjs';
import { tfjsBenches } from './tfjs-benches.mjs';
import { setupTfjs } from './tfjs-setup.mjs';
import { poolSize } from '/www/wasm.js';

const tf = globalThis.tf;
const logEl = document.getElementById('log');
const log = (s) => {
  console.log(`chromium: ${s}`);
  logEl.textContent += `${s}\n`;
};

/**
 * The single-thread build's glue started with its relaxed-simd module (a second copy of the
 * glue: another query, another module), or null where the module is not built or the engine
 * lacks relaxed-simd.
 */
async function relaxedBuild() {
  if (!relaxedSimd) return null;
  try {
    const m = await import('/www/pkg/latentlab.js?relaxed');
    await m.default({ module_or_path: '/www/pkg/latentlab_relaxed_bg.wasm' });
    return m;
  } catch (err) {
    log(`no relaxed-simd rows: ${err.message}`);
    return null;
  }
}
let llRelaxed = null;

window.benchReady = (async () => {
  await init({ module_or_path: '/www/pkg/latentlab_bg.wasm' });
  llRelaxed = await relaxedBuild();
  const tfInfo = await setupTfjs(tf, { wasmPaths: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' });
  return { latentlab: ll.capabilities(), latentlabRelaxed: llRelaxed?.capabilities() ?? null, tfjs: tfInfo };
})();

window.runBenches = async ({ quick = false, only = Object.keys(BENCHES) } = {}) => {
  const libsInfo = await window.benchReady;
  const protocol = quick ? PROTOCOL.quick : PROTOCOL.chromium;
  log(`Latent Lab ${JSON.stringify(libsInfo.latentlab)}; TF.js ${JSON.stringify(libsInfo.tfjs)}; protocol ${JSON.stringify(protocol)}`);
  const t0 = performance.now();
  const libs = {
    latentlab: latentLabBenches(ll),
    ...(llRelaxed ? { 'latentlab-relaxed': latentLabBenches(llRelaxed) } : {}),
    tfjs: tfjsBenches(tf),
  };
  const { simdPeak, fmaPeak, results } = await withSimdPeak(protocol, () => runSuite({ libs, only, protocol, log }), log);
  return {
    meta: {
      userAgent: navigator.userAgent,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      quick,
      protocol,
      ...libsInfo,
      seconds: (performance.now() - t0) / 1000,
    },
    simdPeak,
    fmaPeak,
    results,
  };
};

/** One fresh worker per pool size; resolves to its reply. */
function threadedRun(options) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./bench-threads-worker.mjs', import.meta.url), { type: 'module' });
    w.addEventListener('message', ({ data }) => {
      w.terminate();
      if (data.error) reject(new Error(data.error));
      else resolve(data);
    });
    w.addEventListener('error', (e) => {
      w.terminate();
      reject(new Error(`the bench worker failed: ${e.message}`));
    });
    w.postMessage(options);
  });
}

window.runThreadedBenches = async ({ quick = false, only = Object.keys(BENCHES), threads } = {}) => {
  if (!globalThis.crossOriginIsolated) throw new Error('the threaded build needs a cross-origin isolated page');
  const runs = [];
  for (const n of new Set(threads ?? [1, poolSize()])) {
    log(`threaded build, ${relaxedSimd ? 'relaxed-simd' : 'simd128'} module, pool of ${n}`);
    runs.push(await threadedRun({ quick, only, threads: n, relaxed: relaxedSimd }));
  }
  return runs;
};

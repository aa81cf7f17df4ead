// The Chromium side of the benches: the same protocol and bench definitions as Node
// (bench-core.mjs, latentlab-benches.mjs, tfjs-benches.mjs), on the page's main thread.
// Exposes window.runBenches({quick, only}) → {meta, results}; window.benchReady resolves
// once both libraries are initialised. window.runThreadedBenches({quick, only, threads})
// → [{threads, capabilities, results}] runs Latent Lab's threaded build in a Web Worker
// (bench-threads-worker.mjs), once per pool size in `threads` (default: 1 and the demo's
// default pool size, www/wasm.js's poolSize()).

import init, * as ll from '/www/pkg/latentlab.js';
import { BENCHES, PROTOCOL, runSuite } from './bench-core.mjs';
import { latentLabBenches } from './latentlab-benches.mjs';
import { withSimdPeak } from './simd-peak.mjs';
import { tfjsBenches } from './tfjs-benches.mjs';
import { setupTfjs } from './tfjs-setup.mjs';
import { poolSize } from '/www/wasm.js';

const tf = globalThis.tf;
const logEl = document.getElementById('log');
const log = (s) => {
  console.log(`chromium: ${s}`);
  logEl.textContent += `${s}\n`;
};

window.benchReady = (async () => {
  await init({ module_or_path: '/www/pkg/latentlab_bg.wasm' });
  const tfInfo = await setupTfjs(tf, { wasmPaths: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' });
  return { latentlab: ll.capabilities(), tfjs: tfInfo };
})();

window.runBenches = async ({ quick = false, only = Object.keys(BENCHES) } = {}) => {
  const libsInfo = await window.benchReady;
  const protocol = quick ? PROTOCOL.quick : PROTOCOL.chromium;
  log(`Latent Lab ${JSON.stringify(libsInfo.latentlab)}; TF.js ${JSON.stringify(libsInfo.tfjs)}; protocol ${JSON.stringify(protocol)}`);
  const t0 = performance.now();
  const { simdPeak, results } = await withSimdPeak(
    protocol,
    () => runSuite({ libs: { latentlab: latentLabBenches(ll), tfjs: tfjsBenches(tf) }, only, protocol, log }),
    log,
  );
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
    log(`threaded build, pool of ${n}`);
    runs.push(await threadedRun({ quick, only, threads: n }));
  }
  return runs;
};

// The Chromium side of the benches: the same protocol and bench definitions as Node
// (bench-core.mjs, latentlab-benches.mjs, tfjs-benches.mjs), on the page's main thread.
// Exposes window.runBenches({quick, only}) → {meta, results}; window.benchReady resolves
// once both libraries are initialised.

import init, * as ll from '/www/pkg/latentlab.js';
import { BENCHES, PROTOCOL, runSuite } from './bench-core.mjs';
import { latentLabBenches } from './latentlab-benches.mjs';
import { tfjsBenches } from './tfjs-benches.mjs';
import { setupTfjs } from './tfjs-setup.mjs';

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
  const results = await runSuite({
    libs: { latentlab: latentLabBenches(ll), tfjs: tfjsBenches(tf) },
    only,
    protocol,
    log,
  });
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
    results,
  };
};

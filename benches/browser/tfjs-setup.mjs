// TF.js set-up shared by Node and the page: wasm backend, single-thread SIMD build (the
// threaded build fails in Node and ran one thread in Chromium anyway: benches/README.md), plus the
// Conv2DBackpropFilter kernel stock tfjs-backend-wasm 4.22 lacks (unless stock=true).

import { registerConv2DBackpropFilter } from './tfjs-conv2d-backprop-filter.mjs';

export async function setupTfjs(tf, { wasmPaths = null, stock = false } = {}) {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (wasmPaths) tf.wasm.setWasmPaths(wasmPaths);
  const ok = await tf.setBackend('wasm');
  if (!ok || tf.getBackend() !== 'wasm') throw new Error('tfjs: the wasm backend did not initialise');
  await tf.ready();
  const added = stock ? false : registerConv2DBackpropFilter(tf, 'wasm');
  const backend = tf.backend();
  return {
    version: tf.version?.tfjs ?? tf.version_core,
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: backend?.wasm?.tfjs?.getThreadsCount?.() ?? null,
    conv2dBackpropFilter: added ? 'added (im2col + matMul from wasm ops, this harness)' : stock ? 'stock (absent)' : 'stock',
  };
}

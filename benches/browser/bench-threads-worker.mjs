// Latent Lab's benches A–E on the threaded wasm build (www/pkg-threads, its plain or its
// relaxed-simd module) in a module Web Worker, as the demo's compute worker runs it: the
// worker blocks (Atomics.wait) while the rayon pool works, rather than spinning as the page's
// main thread would. One worker per pool size (a module's rayon pool is built once).
// Protocol: message {quick, only, threads, relaxed} → reply {threads, relaxed, capabilities,
// results} or {error}.

import init, * as ll from '/www/pkg-threads/latentlab.js';
import { PROTOCOL, runSuite } from './bench-core.mjs';
import { latentLabBenches } from './latentlab-benches.mjs';

self.addEventListener('message', async ({ data: { quick, only, threads, relaxed = false } }) => {
  try {
    await init({ module_or_path: `/www/pkg-threads/${relaxed ? 'latentlab_relaxed_bg.wasm' : 'latentlab_bg.wasm'}` });
    await ll.initThreadPool(threads);
    const log = (s) => console.log(`chromium: [threaded, ${threads} thread${threads === 1 ? '' : 's'}] ${s}`);
    const results = await runSuite({
      libs: { latentlab: latentLabBenches(ll) },
      only,
      protocol: quick ? PROTOCOL.quick : PROTOCOL.chromium,
      log,
    });
    self.postMessage({ threads: ll.threadCount(), relaxed, capabilities: ll.capabilities(), results: results.latentlab });
  } catch (err) {
    self.postMessage({ error: String(err?.stack ?? err) });
  }
});

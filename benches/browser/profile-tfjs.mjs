// Per-kernel time of one TF.js step (wasm backend), to see where TF.js spends a bench.
// Usage: node --no-liftoff benches/browser/profile-tfjs.mjs [A|B|C|D|E]
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { tfjsBenches } from './tfjs-benches.mjs';
import { setupTfjs } from './tfjs-setup.mjs';

console.log = () => {}; // tfjs's Node banner
await setupTfjs(tf);
const id = (process.argv[2] ?? 'B').toUpperCase();
const b = tfjsBenches(tf).benches[id]();
if (b.unsupported) throw new Error(b.unsupported);
for (let i = 0; i < 3; i++) b.step();
const agg = new Map();
for (const k of tf.getKernelsForBackend('wasm')) {
  const f = k.kernelFunc;
  k.kernelFunc = (a) => {
    const t = performance.now();
    const r = f(a);
    const dt = performance.now() - t;
    const { x, a: ma, b: mb } = a.inputs;
    let key = k.kernelName;
    if (x?.shape) key += ` ${x.shape.join('×')}`;
    else if (ma?.shape) key += ` ${ma.shape.join('×')}·${mb.shape.join('×')}${a.attrs?.transposeA ? ' Ta' : ''}${a.attrs?.transposeB ? ' Tb' : ''}`;
    const e = agg.get(key) ?? [0, 0];
    e[0] += dt;
    e[1]++;
    agg.set(key, e);
    return r;
  };
}
const t = performance.now();
b.step();
const total = performance.now() - t;
process.stderr.write(`${id}: one step ${total.toFixed(1)} ms; kernels (nested ones counted in their caller too):\n`);
for (const [k, [ms, n]] of [...agg].sort((p, q) => q[1][0] - p[1][0]).slice(0, 25)) {
  process.stderr.write(`${ms.toFixed(1).padStart(8)} ms ${String(n).padStart(4)}×  ${k}\n`);
}

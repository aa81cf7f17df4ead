// Checks the im2col Conv2DBackpropFilter (tfjs-conv2d-backprop-filter.mjs) on the wasm backend
// against tfjs's own CPU kernel, and end to end: gradients of conv2d and conv2dTranspose
// filters on wasm vs cpu. Usage: node benches/browser/check-kernel.mjs (exit 1 on mismatch).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerConv2DBackpropFilter } from './tfjs-conv2d-backprop-filter.mjs';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
registerConv2DBackpropFilter(tf);
await tf.setBackend('cpu');

const cases = [
  // [x shape, filter shape, stride, pad]
  [[2, 28, 28, 1], [4, 4, 1, 32], 2, 1],
  [[2, 14, 14, 32], [4, 4, 32, 64], 2, 1],
  [[3, 9, 7, 3], [3, 3, 3, 5], 1, 'same'],
  [[3, 9, 7, 3], [3, 2, 3, 5], [2, 1], 'valid'],
  [[1, 10, 10, 2], [4, 4, 2, 3], 2, 'same'],
  [[2, 11, 9, 3], [4, 4, 3, 2], 2, 1],
  [[2, 11, 9, 3], [3, 3, 3, 2], 3, 'valid'],
];

async function run(backend, fn) {
  await tf.setBackend(backend);
  return tf.tidy(fn);
}

let worst = 0;
for (const [xs, fs, s, p] of cases) {
  const xv = tf.randomUniform(xs, -1, 1, 'float32', 1).arraySync();
  const fv = tf.randomUniform(fs, -1, 1, 'float32', 2).arraySync();
  const grads = (kind) => () => {
    const x = tf.tensor(xv);
    const f = tf.tensor(fv);
    const g1 = tf.grad((w) => tf.sum(tf.square(tf.conv2d(x, w, s, p))))(f);
    return g1.arraySync();
  };
  const a = await run('cpu', grads());
  const b = await run('wasm', grads());
  const fa = a.flat(Infinity);
  const fb = b.flat(Infinity);
  const scale = Math.max(...fa.map(Math.abs));
  const err = Math.max(...fa.map((v, i) => Math.abs(v - fb[i]))) / scale;
  worst = Math.max(worst, err);
  console.log(`conv2d filter grad x=${xs} f=${fs} s=${s} p=${p}: rel. max err ${err.toExponential(2)}`);
}
// conv2dTranspose filter gradient (7→14, 64→32 as in B's decoder; smaller batch).
{
  const xv = tf.randomUniform([2, 7, 7, 8], -1, 1, 'float32', 3).arraySync();
  const fv = tf.randomUniform([4, 4, 4, 8], -1, 1, 'float32', 4).arraySync();
  const g = () => tf.grad((w) => tf.sum(tf.square(tf.conv2dTranspose(tf.tensor(xv), w, [2, 14, 14, 4], 2, 1))))(tf.tensor(fv)).arraySync().flat(Infinity);
  const a = await run('cpu', g);
  const b = await run('wasm', g);
  const scale = Math.max(...a.map(Math.abs));
  const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
  worst = Math.max(worst, err);
  console.log(`conv2dTranspose filter grad: rel. max err ${err.toExponential(2)}`);
}
await tf.setBackend('wasm');
const before = tf.memory().numTensors;
{
  const x = tf.ones([1, 8, 8, 2]);
  const w = tf.ones([4, 4, 2, 3]);
  const mid = tf.memory().numTensors;
  tf.grad((f) => tf.sum(tf.conv2d(x, f, 2, 1)))(w).dispose();
  console.log(`tensors left by one gradient: ${tf.memory().numTensors - mid}`);
  x.dispose();
  w.dispose();
}
if (worst > 1e-4 || tf.memory().numTensors !== before) {
  console.log('FAIL');
  process.exit(1);
}
console.log('ok');

// The tfjs-backend-wasm 4.22 slow paths that tfjs-conv2d-backprop-filter.mjs avoids: BatchMatMul
// with transposeA/transposeB and StridedSlice, against their plain counterparts.
// Usage: node --no-liftoff benches/browser/tfjs-slow-paths.mjs
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { setupTfjs } from './tfjs-setup.mjs';

console.log = () => {};
await setupTfjs(tf);
const time = (name, f, n = 5) => {
  for (let i = 0; i < 2; i++) tf.tidy(() => void f().dataSync());
  const t = performance.now();
  for (let i = 0; i < n; i++) tf.tidy(() => void f().dataSync());
  process.stderr.write(`${((performance.now() - t) / n).toFixed(2).padStart(8)} ms  ${name}\n`);
};
const P = tf.randomUniform([3136, 512]);
const D = tf.randomUniform([3136, 64]);
const PT = tf.transpose(P);
const DT = tf.transpose(D);
time('matMul(P, D, transposeA) [3136×512]ᵀ·[3136×64]', () => tf.matMul(P, D, true, false));
time('matMul(Pᵀ, D), Pᵀ materialised', () => tf.matMul(PT, D));
time('matMul(Pᵀ, Dᵀ, transposeB)', () => tf.matMul(PT, DT, false, true));
time('matMul(Dᵀ, P), Dᵀ materialised', () => tf.matMul(DT, P));
time('transpose(P)', () => tf.transpose(P));
const X = tf.randomUniform([64, 16, 16, 32]);
time('stridedSlice 64×16×16×32 → 64×7×7×32, strides 2', () => tf.stridedSlice(X, [0, 1, 1, 0], [64, 14, 14, 32], [1, 2, 2, 1]));
time('slice 64×16×16×32 → 64×7×7×32', () => tf.slice(X, [0, 1, 1, 0], [64, 7, 7, 32]));

// TensorFlow.js 4.22's side of benches A–E, written exactly to benches/README.md:
// tf.variable weights, U(−1/√fan_in, 1/√fan_in) init, zero biases, every layer with a bias;
// convolutions kernel 4, stride 2, padding 1; BCE-with-logits; Adam (tf.train.adam); noise drawn
// inside the step; the loss (or all pixels) read back with dataSync(). NHWC (tfjs's layout).
// `tf` is the @tensorflow/tfjs namespace with the wasm backend already active. Shared by Node
// and the Chromium page.
//
// fan_in: dense = inputs; conv = Cin·4·4; conv-transpose = Cout·4·4 (PyTorch's convention for
// ConvTranspose weights [Cin, Cout, k, k]). Irrelevant for speed; stated for completeness.

import { interpolationPath, randomImagesU8 } from './bench-core.mjs';

const K = 4; // kernel
const S = 2; // stride
const P = 1; // padding

function makeInit(tf, seed0) {
  let seed = seed0;
  const uniform = (shape, fanIn) => {
    const b = 1 / Math.sqrt(fanIn);
    return tf.variable(tf.randomUniform(shape, -b, b, 'float32', seed++));
  };
  const zeros = (shape) => tf.variable(tf.zeros(shape));
  return {
    dense: (i, o) => ({ w: uniform([i, o], i), b: zeros([o]) }),
    conv: (ci, co) => ({ w: uniform([K, K, ci, co], ci * K * K), b: zeros([co]) }),
    // tfjs conv2dTranspose filter: [kh, kw, outChannels, inChannels].
    convT: (ci, co) => ({ w: uniform([K, K, co, ci], co * K * K), b: zeros([co]) }),
  };
}

const vars = (...layers) => layers.flatMap((l) => [l.w, l.b]);

function ops(tf) {
  const dense = (x, l) => tf.add(tf.matMul(x, l.w), l.b);
  const conv = (x, l) => tf.add(tf.conv2d(x, l.w, S, P), l.b);
  const convT = (x, l) => {
    const [n, h, w] = x.shape;
    const co = l.w.shape[2];
    return tf.add(tf.conv2dTranspose(x, l.w, [n, h * S, w * S, co], S, P), l.b);
  };
  // BCE with logits, elementwise: max(l, 0) − l·t + log(1 + e^−|l|).
  const bce = (logits, target) =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return { dense, conv, convT, bce };
}

/** The fixed batch: uniform [0,1] (the same u8 images Latent Lab is given, / 255). */
function batch(tf, n, shape) {
  const u8 = randomImagesU8(n, 1);
  return tf.tensor(Float32Array.from(u8, (v) => v / 255), shape);
}

/**
 * Wraps a bench's step so that check() reports tensors leaked per bench: the count after the
 * first step (which creates Adam's moments) against the count at the end.
 */
function leakChecked(tf, bench) {
  let base = null;
  const step = bench.step;
  bench.step = () => {
    const v = step();
    if (base === null) base = tf.memory().numTensors;
    return v;
  };
  const extra = bench.check;
  bench.check = () => ({ tensorsLeaked: tf.memory().numTensors - base, ...(extra ? extra() : {}) });
  return bench;
}

// ---------------------------------------------------------------------------------------------

function vaeLoss(tf, o, x, mu, logvar, logits) {
  const B = x.shape[0];
  const rec = tf.div(tf.sum(o.bce(logits, x)), B);
  const kl = tf.div(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)))), B);
  return tf.add(rec, kl);
}

function benchA(tf) {
  const o = ops(tf);
  const init = makeInit(tf, 1);
  const enc = init.dense(784, 400);
  const mu = init.dense(400, 20);
  const lv = init.dense(400, 20);
  const dec0 = init.dense(20, 400);
  const dec1 = init.dense(400, 784);
  const opt = tf.train.adam(1e-3, 0.9, 0.999);
  const x = batch(tf, 128, [128, 784]);
  const v = vars(enc, mu, lv, dec0, dec1);
  return {
    step() {
      const loss = opt.minimize(() => {
        const h = tf.relu(o.dense(x, enc));
        const m = o.dense(h, mu);
        const l = o.dense(h, lv);
        const eps = tf.randomNormal(m.shape);
        const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, l)), eps));
        const logits = o.dense(tf.relu(o.dense(z, dec0)), dec1);
        return vaeLoss(tf, o, x, m, l, logits);
      }, true, v);
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    },
    dispose() {
      for (const t of [...v, x]) t.dispose();
      opt.dispose();
    },
  };
}

function convDecoderB(tf, o, z, d) {
  const h = tf.reshape(tf.relu(o.dense(z, d.fc)), [z.shape[0], 7, 7, 64]);
  return o.convT(tf.relu(o.convT(h, d.t0)), d.t1); // logits [B, 28, 28, 1]
}

function makeB(tf) {
  const init = makeInit(tf, 11);
  return {
    enc: { c0: init.conv(1, 32), c1: init.conv(32, 64), mu: init.dense(3136, 16), lv: init.dense(3136, 16) },
    dec: { fc: init.dense(16, 3136), t0: init.convT(64, 32), t1: init.convT(32, 1) },
  };
}

function benchB(tf) {
  const o = ops(tf);
  const { enc, dec } = makeB(tf);
  const opt = tf.train.adam(1e-3, 0.9, 0.999);
  const x = batch(tf, 64, [64, 28, 28, 1]);
  const v = vars(enc.c0, enc.c1, enc.mu, enc.lv, dec.fc, dec.t0, dec.t1);
  return {
    step() {
      const loss = opt.minimize(() => {
        const h = tf.reshape(tf.relu(o.conv(tf.relu(o.conv(x, enc.c0)), enc.c1)), [64, 3136]);
        const m = o.dense(h, enc.mu);
        const l = o.dense(h, enc.lv);
        const eps = tf.randomNormal(m.shape);
        const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, l)), eps));
        return vaeLoss(tf, o, x, m, l, convDecoderB(tf, o, z, dec));
      }, true, v);
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    },
    dispose() {
      for (const t of [...v, x]) t.dispose();
      opt.dispose();
    },
  };
}

function benchC(tf) {
  const o = ops(tf);
  const init = makeInit(tf, 21);
  const G = { fc: init.dense(100, 6272), t0: init.convT(128, 64), t1: init.convT(64, 1) };
  const D = { c0: init.conv(1, 64), c1: init.conv(64, 128), head: init.dense(6272, 1) };
  const gVars = vars(G.fc, G.t0, G.t1);
  const dVars = vars(D.c0, D.c1, D.head);
  const optG = tf.train.adam(2e-4, 0.5, 0.999);
  const optD = tf.train.adam(2e-4, 0.5, 0.999);
  const B = 64;
  const real = tf.tidy(() => tf.sub(tf.mul(batch(tf, B, [B, 28, 28, 1]), 2), 1)); // [−1, 1]
  const ones = tf.ones([B, 1]);
  const zeros = tf.zeros([B, 1]);
  const gen = (z) => {
    const h = tf.reshape(tf.relu(o.dense(z, G.fc)), [z.shape[0], 7, 7, 128]);
    return tf.tanh(o.convT(tf.relu(o.convT(h, G.t0)), G.t1));
  };
  const dis = (x) => {
    const h = tf.leakyRelu(o.conv(tf.leakyRelu(o.conv(x, D.c0), 0.2), D.c1), 0.2);
    return o.dense(tf.reshape(h, [x.shape[0], 6272]), D.head); // logits [B, 1]
  };
  return {
    step() {
      const z = tf.randomNormal([B, 100]);
      const fake = tf.tidy(() => gen(z)); // G(z).detach(): outside the D step's tape
      const dLoss = optD.minimize(
        () => tf.add(tf.mean(o.bce(dis(real), ones)), tf.mean(o.bce(dis(fake), zeros))),
        true,
        dVars,
      );
      fake.dispose();
      // Non-saturating G step; only G's variables are updated (D is not).
      const gLoss = optG.minimize(() => tf.mean(o.bce(dis(gen(z)), ones)), true, gVars);
      z.dispose();
      const value = dLoss.dataSync()[0] + gLoss.dataSync()[0];
      dLoss.dispose();
      gLoss.dispose();
      return value;
    },
    dispose() {
      for (const t of [...gVars, ...dVars, real, ones, zeros]) t.dispose();
      optG.dispose();
      optD.dispose();
    },
  };
}

function benchD(tf) {
  const o = ops(tf);
  const { enc, dec } = makeB(tf);
  const v = vars(enc.c0, enc.c1, enc.mu, enc.lv, dec.fc, dec.t0, dec.t1);
  let len = 0;
  return {
    step() {
      const px = tf.tidy(() => tf.sigmoid(convDecoderB(tf, o, tf.randomNormal([64, 16]), dec)));
      const values = px.dataSync(); // all 64×784 pixels
      px.dispose();
      len = values.length;
      return values[values.length - 1];
    },
    check: () => ({ valuesPerIter: len }),
    dispose() {
      for (const t of v) t.dispose();
    },
  };
}

function benchE(tf) {
  const o = ops(tf);
  const init = makeInit(tf, 31);
  const dec0 = init.dense(20, 400);
  const dec1 = init.dense(400, 784);
  const path = interpolationPath(20);
  let i = 0;
  let len = 0;
  return {
    step() {
      const z = path(i++); // lerp(z0, z1, t), t over 60 frames (same path as Latent Lab's)
      const px = tf.tidy(() => tf.sigmoid(o.dense(tf.relu(o.dense(tf.tensor2d(z, [1, 20]), dec0)), dec1)));
      const values = px.dataSync();
      px.dispose();
      len = values.length;
      return values[values.length - 1];
    },
    check: () => ({ valuesPerIter: len }),
    dispose() {
      for (const t of vars(dec0, dec1)) t.dispose();
    },
  };
}

/** Whether the active backend can run Conv2DBackpropFilter (B and C train only if it can). */
export function hasConv2DBackpropFilter(tf) {
  return tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) != null;
}

export function tfjsBenches(tf) {
  const needsFilterGrad = (f) => () => {
    if (!hasConv2DBackpropFilter(tf)) {
      return { unsupported: `unsupported on stock tfjs wasm (no Conv2DBackpropFilter kernel for '${tf.getBackend()}')` };
    }
    return f();
  };
  return {
    benches: {
      A: () => leakChecked(tf, benchA(tf)),
      B: needsFilterGrad(() => leakChecked(tf, benchB(tf))),
      C: needsFilterGrad(() => leakChecked(tf, benchC(tf))),
      D: () => leakChecked(tf, benchD(tf)),
      E: () => leakChecked(tf, benchE(tf)),
    },
  };
}

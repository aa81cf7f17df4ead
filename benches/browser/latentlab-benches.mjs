// Latent Lab's side of benches A–E, through the wasm package's public API (www/pkg/latentlab.js).
// `ll` is the initialised module (its exports). Shared by Node and the Chromium page.

import { idxFiles, interpolationPath, randomImagesU8 } from './bench-core.mjs';

export const SPECS = {
  A: { model: { kind: 'vae', arch: 'mlp', hidden: [400], latent_dim: 20 }, batch_size: 128, lr: 1e-3 },
  B: { model: { kind: 'vae', arch: 'conv', hidden: [32, 64], latent_dim: 16 }, batch_size: 64 },
  C: { model: { kind: 'gan', arch: 'conv', hidden: [64, 128], latent_dim: 100 }, batch_size: 64, lr: 2e-4, beta1: 0.5 },
};

/** A trainer for `spec` with N = batch size images (the fixed batch: every step sees it). */
function trainer(ll, spec, seed = 1) {
  const t = new ll.LatentTrainer(JSON.stringify(spec), seed);
  const { images, labels } = idxFiles(randomImagesU8(spec.batch_size, 1));
  t.setImages('bench', images, labels);
  return t;
}

function trainBench(ll, spec, pick) {
  return () => {
    const t = trainer(ll, spec);
    let last = null;
    return {
      step() {
        last = JSON.parse(t.trainSteps(1)); // the read-back: the step's losses
        return pick(last.metrics);
      },
      check: () => ({ lastMetrics: last?.metrics, info: summary(t.info()) }),
      dispose: () => t.free(),
    };
  };
}

function summary(infoJson) {
  const i = JSON.parse(infoJson);
  return { summary: i.summary, parameters: i.parameters, init: i.model?.init, optimizer: i.train?.config?.optimizer };
}

/** An untrained LatentModel from `spec`'s trainer checkpoint. */
function untrainedModel(ll, spec) {
  const t = trainer(ll, spec);
  const m = ll.LatentModel.load(t.checkpoint(false, 0));
  t.free();
  return m;
}

export function latentLabBenches(ll) {
  return {
    benches: {
      A: trainBench(ll, SPECS.A, (m) => m.loss),
      B: trainBench(ll, SPECS.B, (m) => m.loss),
      C: trainBench(ll, SPECS.C, (m) => m.d_loss + m.g_loss), // one D step + one G step
      D: () => {
        const m = untrainedModel(ll, SPECS.B);
        let seed = 1;
        let len = 0;
        return {
          step() {
            const px = m.sample(64, seed++, 1.0); // all 64×784 pixels, in a JS Float32Array
            len = px.length;
            return px[px.length - 1];
          },
          check: () => ({ valuesPerIter: len }),
          dispose: () => m.free(),
        };
      },
      E: () => {
        const m = untrainedModel(ll, SPECS.A);
        const path = interpolationPath(20);
        let i = 0;
        let len = 0;
        return {
          step() {
            const px = m.decode(path(i++)); // [1,20] → 784 values in [0, 1]
            len = px.length;
            return px[px.length - 1];
          },
          check: () => ({ valuesPerIter: len }),
          dispose: () => m.free(),
        };
      },
    },
  };
}

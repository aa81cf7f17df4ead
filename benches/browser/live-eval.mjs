// The Train view's live metric for image GANs, in Node: `LatentTrainer.evaluate` with the
// worker's options (500 samples against the first 500 MNIST test images, the shipped f16
// LeNet), on the page's MLP GAN and its DCGAN default, two steps into training. Each round
// times one evaluation that measures the Fréchet baseline (the classifier's reading of the
// test and training images; `setFeatureClassifier` again drops the kept one) and one that
// reuses it; prints the medians of 7 rounds, ms.
//
//   node benches/browser/live-eval.mjs [PKG_DIR]     (default www/pkg: the single-thread build)
//
// Give PKG_DIR another build's www/pkg (e.g. of an earlier commit, `build-wasm --only single`
// in a git worktree) to compare two builds in one run, on a quiet machine.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.resolve(process.argv[2] ?? path.join(ROOT, 'www', 'pkg'));
const ll = await import(pathToFileURL(path.join(pkg, 'latentlab.js')).href);
await ll.default({ module_or_path: fs.readFileSync(path.join(pkg, 'latentlab_bg.wasm')) });

const idx = (name) => {
  const file = path.join(ROOT, 'www', 'data', `mnist-${name}.idx.gz`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run pkg-scripts/make-browser-data`);
  return zlib.gunzipSync(fs.readFileSync(file));
};
const [trainImages, trainLabels, testImages, testLabels] = ['train-images', 'train-labels', 'test-images', 'test-labels'].map(idx);
const lenet = fs.readFileSync(path.join(ROOT, 'www', 'weights', 'classifiers', 'lenet-mnist.safetensors'));
const OPTIONS = JSON.stringify({ samples: 500, test_size: 500, seed: 0 });
const MODELS = {
  'MLP GAN': { kind: 'gan', arch: 'mlp' },
  'DCGAN default': { kind: 'gan', arch: 'conv', hidden: [32, 64], batch_norm: true, d_batch_norm: true },
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`live evaluation, ${pkg}`);
for (const [name, model] of Object.entries(MODELS)) {
  const t = new ll.LatentTrainer(JSON.stringify({ model, batch_size: 64 }), 1);
  t.setImages('mnist', trainImages, trainLabels);
  t.setTestImages('mnist', testImages, testLabels);
  t.trainSteps(2);
  const timed = (dropBaseline) => {
    if (dropBaseline) t.setFeatureClassifier(lenet, 'lenet-mnist');
    const t0 = performance.now();
    const report = JSON.parse(t.evaluate(OPTIONS));
    return { ms: performance.now() - t0, distance: report.frechet.generated_vs_test };
  };
  timed(true); // warm-up
  const measuring = [];
  const reusing = [];
  let distance;
  for (let round = 0; round < 7; round++) {
    measuring.push(timed(true).ms);
    ({ ms: reusing[round], distance } = timed(false));
  }
  console.log(
    `  ${name}: ${median(measuring).toFixed(0)} ms measuring the baseline, ${median(reusing).toFixed(0)} ms reusing it ` +
      `(median of 7; Fréchet distance ${distance.toFixed(3)})`,
  );
}

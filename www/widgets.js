// Latent Lab's custom elements for tutorial authors. One line loads them all:
//
//   <script type="module" src="https://your.site/latentlab/widgets.js"></script>
//
//   <latent-lab-sampler src="weights/vae-mnist-2d.safetensors" seed="1" count="16"></latent-lab-sampler>
//   <latent-lab-interpolator src="…" mode="slerp" steps="10"></latent-lab-interpolator>
//   <latent-lab-latent-map src="…" grid="16" range="3"></latent-lab-latent-map>
//   <latent-lab-reconstruct src="…"></latent-lab-reconstruct>
//   <latent-lab-gan-trainer training-set="ring8" pack="2" autoplay></latent-lab-gan-trainer>
//   <latent-lab-vae-trainer training-set="mnist" latent-dim="2"></latent-lab-vae-trainer>
//
// `src` is resolved against the page; the worker, the wasm and the data are found relative to
// this file's own URL (any folder, any origin that serves them with CORS). All widgets of a
// page share one worker and load each checkpoint once. The attributes, their defaults, the
// events and the theme properties are in README.md ("Embedding a widget") and widgets.d.ts.
// This module also exports the element classes and the worker API.

import { LatentLabGanTrainer } from './widgets/gan-trainer.js';
import { LatentLabInterpolator } from './widgets/interpolator.js';
import { LatentLabLatentMap } from './widgets/latent-map.js';
import { LatentLabReconstruct } from './widgets/reconstruct.js';
import { LatentLabSampler } from './widgets/sampler.js';
import { LatentLabVaeTrainer } from './widgets/vae-trainer.js';

/** tag name → element class */
export const ELEMENTS = {
  'latent-lab-sampler': LatentLabSampler,
  'latent-lab-interpolator': LatentLabInterpolator,
  'latent-lab-latent-map': LatentLabLatentMap,
  'latent-lab-reconstruct': LatentLabReconstruct,
  'latent-lab-gan-trainer': LatentLabGanTrainer,
  'latent-lab-vae-trainer': LatentLabVaeTrainer,
};

for (const [name, cls] of Object.entries(ELEMENTS)) cls.define(name);

export { LatentLabGanTrainer, LatentLabInterpolator, LatentLabLatentMap, LatentLabReconstruct, LatentLabSampler, LatentLabVaeTrainer };
export { LatentLabElement, loadModel, modelSlot } from './widgets/base.js';
export { Rpc, createWorker, sharedRpc } from './rpc.js';

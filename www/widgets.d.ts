// Types for widgets.js: the Latent Lab custom elements, their reflected attributes, their
// events, and the worker API. Importing widgets.js defines the elements.

export { Rpc, createWorker, sharedRpc } from './rpc.js';

/** What a checkpoint says about itself (the worker's `loadModel` reply; more fields exist). */
export interface ModelInfo {
  kind: string;
  summary: string;
  latent_dim: number | null;
  num_classes: number | null;
  /** The `num_classes` are InfoGAN codes the model learned, not the data's labels. */
  info_codes: boolean;
  sample_shape: number[];
  has_encoder: boolean;
  has_discriminator: boolean;
  is_image: boolean;
  is_points: boolean;
  data?: { name: string; class_names?: string[]; value_range?: [number, number] };
  bytes: number;
  source: string | null;
}

/**
 * Loads the checkpoint at an absolute URL into the shared worker, once per page; with
 * `{codePrior: false}` a copy of its own whose random codes come from N(0, I) even where the file
 * has a fitted code prior. `modelSlot` names the worker slot it is loaded into.
 */
export declare function loadModel(url: string, options?: { codePrior?: boolean }): Promise<ModelInfo>;
/** The worker slot `loadModel(url, options)` loads into (the `slot` of the worker's requests). */
export declare function modelSlot(url: string, options?: { codePrior?: boolean }): string;

export interface LatentLabReadyDetail { info: ModelInfo | null }
export interface LatentLabErrorDetail { message: string }
export interface LatentLabProgressDetail {
  /** Trainers: the step, the epoch count, the latest metrics (d_loss, g_loss, loss, kl, …). */
  step?: number;
  epochs?: number;
  metrics?: Record<string, number>;
  stepsPerSec?: number;
  /** Latent map: test images encoded so far. */
  done?: number;
  total?: number;
}
export interface LatentLabSampleDetail {
  /** The latent codes behind what is drawn, `n × latentDim` values (absent for trainers). */
  latents?: Float32Array;
  /** Reconstruct: log σ² of the posterior (null for an autoencoder). */
  logvar?: Float32Array | null;
  latentDim?: number;
  /** Latent map: the decoded grid's side and the range ± it spans. */
  grid?: number;
  range?: number;
  n: number;
  seed?: number;
  temperature?: number;
  mode?: 'slerp' | 'lerp';
  modelClass?: number | null;
  /** Trainers: the step of the preview, and for a GAN its generated points. */
  step?: number;
  points?: Float32Array;
}

export interface LatentLabEventMap {
  'latentlab-ready': CustomEvent<LatentLabReadyDetail>;
  'latentlab-error': CustomEvent<LatentLabErrorDetail>;
  'latentlab-progress': CustomEvent<LatentLabProgressDetail>;
  'latentlab-sample': CustomEvent<LatentLabSampleDetail>;
}

/** The base of all Latent Lab elements (shadow root, lazy start, events). */
export declare class LatentLabElement extends HTMLElement {
  addEventListener<K extends keyof LatentLabEventMap>(type: K, listener: (this: this, ev: LatentLabEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: this, ev: HTMLElementEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

/** The attributes of the widgets that show a checkpoint. */
export interface LatentAttributes {
  /** A Latent Lab .safetensors checkpoint, resolved against the page. Required. */
  src: string | null;
  /** Seed of the latent codes. Default 1. */
  seed: number;
  /** Conditional models only: the class to generate (attribute `model-class`; null when unset:
   * class 0, except that the sampler draws a self-conditioned GAN's clusters by their share). */
  modelClass: number | null;
}

/** The sampler's and the interpolator's source of random codes. */
export interface CodePriorAttribute {
  /**
   * Attribute `code-prior`: "fitted" (default), the file's fitted code prior when it has one,
   * else N(0, I); "standard-normal", N(0, I) always, as the model was trained.
   */
  codePrior: 'fitted' | 'standard-normal';
}

/** `<latent-lab-sampler>`: a grid of samples, or a scatter of 2-D points over the real data. */
export declare class LatentLabSampler extends LatentLabElement {
  /** How many samples, 1–4096. Default 16 for images, 1000 for 2-D points (null when unset). */
  count: number | null;
  /** Scale of the latent codes, 0–10 (1 is the prior). Default 1. */
  temperature: number;
}
export interface LatentLabSampler extends LatentAttributes, CodePriorAttribute {}

/** `<latent-lab-interpolator>`: a decoded path between two random codes. */
export declare class LatentLabInterpolator extends LatentLabElement {
  /** "slerp" (default) or "lerp". */
  mode: 'slerp' | 'lerp';
  /** Frames in the strip, 2–24. Default 10. */
  steps: number;
}
export interface LatentLabInterpolator extends LatentAttributes, CodePriorAttribute {}

/** `<latent-lab-latent-map>`: a 2-D latent plane, decoded, and the encoded test set. */
export declare class LatentLabLatentMap extends LatentLabElement {
  /** Decoded points per side, 2–40. Default 16. */
  grid: number;
  /** The plane spans [−range, range]², 0.5–8. Default 3. */
  range: number;
  /** Test images to encode, 0–1000. Default 500. */
  count: number;
}
export interface LatentLabLatentMap extends Omit<LatentAttributes, 'seed'> {}

/** `<latent-lab-reconstruct>`: draw a digit; its reconstruction and posterior. */
export declare class LatentLabReconstruct extends LatentLabElement {
  src: string | null;
  modelClass: number | null;
}

/** The 2-D toy sets a trainer's `training-set` may name. */
export type ToySet = 'ring8' | 'grid25' | 'spiral';
/** The image sets (the VAE trainer only: the GAN trainer refuses them). */
export type ImageSet = 'mnist' | 'fashion-mnist';

/** The attributes of both trainers (their defaults and sets differ: see each class). */
export interface TrainerAttributes<Set extends string> {
  /** Attribute `training-set`. */
  trainingSet: Set;
  /** Adam's learning rate, 1e-6–1 (also live, in the widget). */
  lr: number;
  /** Attribute `batch-size`, 1–1024. */
  batchSize: number;
  /** Seed of the initial weights and the batches. Default 1. */
  seed: number;
  /** Attribute `max-steps`: pause at this step (0: never). */
  maxSteps: number;
  /** Attribute `preview-every`: steps between redraws. */
  previewEvery: number;
  /**
   * Start training when scrolled into view, unless the reader's system asks for reduced motion
   * (prefers-reduced-motion: reduce): then Play starts it. Default off (press Play).
   */
  autoplay: boolean;
}

/**
 * `<latent-lab-gan-trainer>`: a GAN on a 2-D toy trains live over the discriminator's heat map.
 * Defaults: training-set "ring8", lr 0.001, batch-size 100, pack 2, max-steps 5000, preview-every 25.
 */
export declare class LatentLabGanTrainer extends LatentLabElement {
  /** PacGAN pack size, 1–8 (1 is a plain GAN). Default 2. */
  pack: number;
}
export interface LatentLabGanTrainer extends TrainerAttributes<ToySet> {}

/**
 * `<latent-lab-vae-trainer>`: a small MLP VAE trains live.
 * Defaults: training-set "mnist", lr 0.001, batch-size 64, max-steps 3000, preview-every 50.
 */
export declare class LatentLabVaeTrainer extends LatentLabElement {
  /** Attribute `latent-dim`, 1–64. Default 2. */
  latentDim: number;
  /** Weight of the KL term, 0–100 (β-VAE). Default 1. */
  beta: number;
}
export interface LatentLabVaeTrainer extends TrainerAttributes<ToySet | ImageSet> {}

/** tag name → element class */
export declare const ELEMENTS: {
  'latent-lab-sampler': typeof LatentLabSampler;
  'latent-lab-interpolator': typeof LatentLabInterpolator;
  'latent-lab-latent-map': typeof LatentLabLatentMap;
  'latent-lab-reconstruct': typeof LatentLabReconstruct;
  'latent-lab-gan-trainer': typeof LatentLabGanTrainer;
  'latent-lab-vae-trainer': typeof LatentLabVaeTrainer;
};

declare global {
  interface HTMLElementTagNameMap {
    'latent-lab-sampler': LatentLabSampler;
    'latent-lab-interpolator': LatentLabInterpolator;
    'latent-lab-latent-map': LatentLabLatentMap;
    'latent-lab-reconstruct': LatentLabReconstruct;
    'latent-lab-gan-trainer': LatentLabGanTrainer;
    'latent-lab-vae-trainer': LatentLabVaeTrainer;
  }
  interface HTMLElementEventMap extends LatentLabEventMap {}
}

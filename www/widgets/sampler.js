// <latent-lab-sampler src seed count temperature model-class code-prior>: samples from the prior
// (or the model's fitted code prior, unless code-prior="standard-normal"), drawn as an image grid, or for a model of 2-D points as a scatter
// over the real data; "Resample" moves to the next seed. Fires latentlab-sample with the latent
// codes.

import { sharedRpc } from '../rpc.js';
import { drawImageGrid, drawScatter, sizeImageGrid } from '../ui.js';
import { LatentLabElement } from './base.js';

/** The latent-code attributes the sampler and the interpolator share (the latent map and the
 * reconstructor take `src` and `model-class`). */
export const LATENT_ATTRIBUTES = {
  src: { type: 'string', required: true, hint: 'a Latent Lab .safetensors checkpoint' },
  seed: { type: 'int', min: 0, max: 4294967295, default: 1 },
  'model-class': { type: 'int', min: 0, default: null }, // class 0 of a conditional model
};

/** The widgets that draw random codes (sampler, interpolator): from the file's fitted code
 * prior (when it has one) or from N(0, I). */
export const CODE_PRIOR_ATTRIBUTE = {
  'code-prior': { type: 'enum', values: ['fitted', 'standard-normal'], default: 'fitted' },
};

/**
 * The class to condition on: `modelClass` (the attribute, null when unset; 0 by default), or
 * null for an unconditional model. Throws when the class does not fit the model.
 */
export function classFor(info, modelClass) {
  if (!info.num_classes) {
    if (modelClass !== null) throw new Error(`model-class is for conditional models; this ${info.kind} has no classes`);
    return null;
  }
  if (modelClass >= info.num_classes) {
    throw new Error(`model-class must be from 0 to ${info.num_classes - 1} for this model, got ${modelClass}`);
  }
  return modelClass ?? 0;
}

/** The CSS width of a grid of `cols` images `w` pixels wide: 3× for up to 4 columns, 2× beyond. */
export function gridWidth(cols, w) {
  return Math.min(340, cols * w * (cols <= 4 ? 3 : 2));
}

/** What to draw a model of 2-D points against: {bounds, real} from the worker. */
export function pointsView(url) {
  return sharedRpc().call('dataView', { slot: url });
}

export class LatentLabSampler extends LatentLabElement {
  static attributes = {
    ...LATENT_ATTRIBUTES,
    ...CODE_PRIOR_ATTRIBUTE,
    count: { type: 'int', min: 1, max: 4096, default: null }, // 16 images, 1000 points
    temperature: { type: 'number', min: 0, max: 10, default: 1 },
  };

  template() {
    return `<canvas part="canvas" width="1" height="1" role="img"></canvas>
      <div class="row"><button type="button" part="button" class="resample"></button></div>`;
  }

  constructor() {
    super();
    this.$('.resample').addEventListener('click', () => {
      this.seed = (this.seed + 1) >>> 0;
    });
  }

  localize() {
    this.$('canvas').setAttribute('aria-label', this.t('samplesLabel'));
    this.$('.resample').textContent = this.t('resample');
  }

  unsupported(info) {
    return info.latent_dim ? null : this.t('noLatent', info.kind);
  }

  reserve() {
    const n = this.count ?? 16;
    const cols = Math.ceil(Math.sqrt(n));
    const canvas = this.$('canvas');
    sizeImageGrid(canvas, n, { cols });
    canvas.style.width = `${gridWidth(cols, 28)}px`;
  }

  async draw({ values, url, info }) {
    const canvas = this.$('canvas');
    const n = values.count ?? (info.is_points ? 1000 : 16);
    const { seed, temperature } = values;
    // Unset on a self-conditioned GAN: its clusters by their shares, as the data mixes them.
    const cls = info.clusters && values.modelClass === null ? null : classFor(info, values.modelClass);
    const out = await sharedRpc().call('sampleLatents', { slot: url, n, seed, temperature, class: cls });
    if (out.kind === 'images') {
      const cols = Math.ceil(Math.sqrt(n));
      canvas.classList.remove('points');
      drawImageGrid(canvas, out, { cols });
      canvas.style.width = `${gridWidth(cols, out.w)}px`;
    } else {
      const view = await pointsView(url);
      canvas.classList.add('points');
      canvas.width = canvas.height = 480;
      const layers = [{ points: out.points, color: this.color('fake', '#f28e2b'), radius: 2.2, alpha: 0.7 }];
      if (view.real) layers.unshift({ points: view.real, color: this.color('real', '#374151'), radius: 1.6, alpha: 0.4 });
      drawScatter(canvas, { bounds: view.bounds, layers });
      canvas.style.width = '320px';
    }
    this.setStatus(this.t('sampled', seed, temperature, out.ms) + (out.kind === 'points' ? ` · ${this.t('pointsCaption')}` : ''));
    this.emit('latentlab-sample', { latents: out.z, latentDim: info.latent_dim, n, seed, temperature, modelClass: cls });
  }
}

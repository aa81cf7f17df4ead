// <latent-lab-interpolator src mode steps seed model-class code-prior>: decodes a lerp or slerp path
// between two random codes: a strip of frames and a slider that scrubs a dense path.

import { sharedRpc } from '../rpc.js';
import { drawImageGrid, drawOneImage, drawScatter, sizeImageGrid } from '../ui.js';
import { LatentLabElement } from './base.js';
import { CODE_PRIOR_ATTRIBUTE, LATENT_ATTRIBUTES, classFor, pointsView } from './sampler.js';

const DENSE = 41;

/** The CSS width of the strip of `steps` frames. */
const stripWidth = (steps) => Math.min(340, steps * 60);

export class LatentLabInterpolator extends LatentLabElement {
  static attributes = {
    ...LATENT_ATTRIBUTES,
    ...CODE_PRIOR_ATTRIBUTE,
    mode: { type: 'enum', values: ['slerp', 'lerp'], default: 'slerp' },
    steps: { type: 'int', min: 2, max: 24, default: 10 },
  };

  template() {
    return `<canvas class="frame" part="canvas frame" width="28" height="28" role="img"></canvas>
      <input type="range" min="0" max="${DENSE - 1}" value="${(DENSE - 1) / 2}" aria-valuetext="t = 0.50">
      <canvas class="strip" part="canvas strip" width="1" height="1" role="img"></canvas>
      <div class="row"><button type="button" part="button" class="endpoints"></button></div>`;
  }

  constructor() {
    super();
    this.dense = null;
    this.view = null;
    this.slider = this.$('input');
    this.slider.addEventListener('input', () => this.#showFrame());
    this.$('.endpoints').addEventListener('click', () => {
      this.seed = (this.seed + 1) >>> 0;
    });
  }

  localize() {
    this.slider.setAttribute('aria-label', this.t('positionLabel'));
    this.$('.frame').setAttribute('aria-label', this.t('frameLabel'));
    this.$('.strip').setAttribute('aria-label', this.t('stripLabel'));
    this.$('.endpoints').textContent = this.t('newEndpoints');
  }

  unsupported(info) {
    return info.latent_dim ? null : this.t('noLatent', info.kind);
  }

  reserve() {
    const strip = this.$('.strip');
    sizeImageGrid(strip, this.steps, { cols: this.steps, gap: 2 });
    strip.style.width = `${stripWidth(this.steps)}px`;
    this.$('.frame').style.width = '140px';
  }

  #showFrame() {
    const i = Number(this.slider.value);
    this.slider.setAttribute('aria-valuetext', `t = ${(i / (DENSE - 1)).toFixed(2)}`); // not the step number
    if (!this.dense) return;
    const frame = this.$('.frame');
    if (this.dense.kind === 'images') drawOneImage(frame, this.dense, i);
    else {
      const pts = this.dense.points;
      const layers = [
        { points: pts, color: this.color('accent', '#4338ca'), radius: 2.5 },
        { points: pts.slice(2 * i, 2 * i + 2), color: this.color('fake', '#f28e2b'), radius: 8 },
      ];
      if (this.view.real) layers.unshift({ points: this.view.real, color: this.color('real', '#374151'), radius: 1.4, alpha: 0.3 });
      drawScatter(frame, { bounds: this.view.bounds, layers });
    }
  }

  async draw({ values, url, info }) {
    const { steps, mode, seed } = values;
    const cls = classFor(info, values.modelClass);
    const res = await sharedRpc().call('interpolate', { slot: url, mode, steps, dense: DENSE, seed, temperature: 1, class: cls });
    const strip = this.$('.strip');
    const frame = this.$('.frame');
    if (res.strip.kind === 'images') {
      strip.hidden = false;
      drawImageGrid(strip, res.strip, { cols: steps, gap: 2 });
      strip.style.width = `${stripWidth(steps)}px`;
      frame.classList.remove('points');
      frame.style.width = '140px';
    } else {
      this.view = await pointsView(url);
      strip.hidden = true;
      frame.classList.add('points');
      frame.width = frame.height = 480;
      frame.style.width = '320px';
    }
    // Only now, with the view of a 2-D model loaded: the slider may move during that wait.
    this.dense = res.dense;
    this.#showFrame();
    this.setStatus(this.t('interpolated', mode, seed));
    const latents = new Float32Array(res.a.length * 2);
    latents.set(res.a, 0);
    latents.set(res.b, res.a.length);
    this.emit('latentlab-sample', { latents, latentDim: info.latent_dim, n: 2, seed, mode, modelClass: cls });
  }
}

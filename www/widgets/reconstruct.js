// <latent-lab-reconstruct src model-class>: draw a digit with the mouse, a pen or a finger;
// the widget encodes it, shows the decoded posterior mean and q(z|x) per dimension. "Test
// digit" puts a digit of the model's test set on the pad (the keyboard way in).

import { SIZE, attachDrawPad, grayToImage, mnistify } from '../draw-pad.js';
import { sharedRpc } from '../rpc.js';
import { drawOneImage, drawPosterior, latestOnly, posteriorHeight } from '../ui.js';
import { LatentLabElement } from './base.js';
import { LATENT_ATTRIBUTES, classFor } from './sampler.js';

export class LatentLabReconstruct extends LatentLabElement {
  static attributes = {
    src: LATENT_ATTRIBUTES.src,
    'model-class': LATENT_ATTRIBUTES['model-class'],
  };

  template() {
    return `<canvas class="pad" part="canvas pad" width="280" height="280" role="img"></canvas>
      <div class="row"><button type="button" part="button" class="clear"></button><button type="button" part="button" class="test"></button></div>
      <div class="row">
        <figure><canvas class="input" part="canvas" width="28" height="28"></canvas><figcaption class="input-caption"></figcaption></figure>
        <figure><canvas class="output" part="canvas" width="28" height="28"></canvas><figcaption class="output-caption"></figcaption></figure>
      </div>
      <figure class="posterior-fig" hidden><canvas class="posterior points" part="canvas posterior" width="320" height="60" role="img"></canvas><figcaption class="posterior-caption"></figcaption></figure>`;
  }

  constructor() {
    super();
    this.ctx = null;
    this.testImage = null;
    const pad = this.$('.pad');
    pad.style.width = '200px';
    for (const c of [this.$('.input'), this.$('.output')]) c.style.width = '84px';
    this.drawing = attachDrawPad(pad, () => {
      this.testImage = null;
      this.reconstruct();
    });
    this.reconstruct = latestOnly(() => this.#reconstruct());
    this.$('.clear').addEventListener('click', () => {
      this.drawing.clear();
      this.testImage = null;
      this.$('.posterior-fig').hidden = true;
      for (const c of [this.$('.input'), this.$('.output')]) c.getContext('2d').clearRect(0, 0, SIZE, SIZE);
      this.setStatus(this.t('drawPrompt'));
    });
    this.$('.test').addEventListener('click', () => this.#testDigit().catch((err) => this.fail(err)));
  }

  localize() {
    this.$('.pad').setAttribute('aria-label', this.t('padLabel'));
    this.$('.posterior').setAttribute('aria-label', this.t('posteriorLabel'));
    this.$('.clear').textContent = this.t('clear');
    this.$('.test').textContent = this.t('testDigit');
    this.$('.input-caption').textContent = this.t('inputCaption');
    this.$('.output-caption').textContent = this.t('reconCaption');
    this.$('.posterior-caption').textContent = this.t('posteriorCaption');
  }

  /** Room for the posterior of a 16-dimensional model (the shipped one's), kept invisible. */
  reserve() {
    this.$('.posterior').height = posteriorHeight(16);
    this.$('.posterior-fig').hidden = false;
    this.$('.posterior-fig').classList.add('reserved');
  }

  unsupported(info) {
    if (!info.has_encoder) return this.t('noEncoder', info.kind);
    const [c, h, w] = info.sample_shape ?? [];
    if (!info.is_image || c !== 1 || h !== SIZE || w !== SIZE) return this.t('notDigits', info.sample_shape);
    return null;
  }

  async draw({ values, url, info }) {
    this.ctx = { url, info, cls: classFor(info, values.modelClass) };
    if (this.testImage || mnistify(this.$('.pad'))) return this.#reconstruct({ rethrow: true });
    // Start with a digit of the test set on the pad when the page serves one.
    try {
      await this.#testDigit();
    } catch {
      this.setStatus(this.t('drawPrompt'));
    }
  }

  async #testDigit() {
    if (!this.ctx) return;
    const start = Math.floor(Math.random() * 1000);
    const t = await sharedRpc().call('testImages', { dataset: this.ctx.info.data?.name, start, count: 1 });
    const pad = this.$('.pad');
    this.drawing.clear();
    const off = new OffscreenCanvas(t.w, t.h);
    off.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(t.rgba.buffer), t.w, t.h), 0, 0);
    const g = pad.getContext('2d');
    g.imageSmoothingEnabled = true;
    g.drawImage(off, 0, 0, pad.width, pad.height);
    this.testImage = t.values;
    await this.#reconstruct();
  }

  /** Reconstructs the pad's digit; an error is shown, or with `rethrow` (from `draw`) thrown. */
  async #reconstruct({ rethrow = false } = {}) {
    if (!this.ctx) return;
    const x = this.testImage ?? mnistify(this.$('.pad'));
    if (!x) return this.setStatus(this.t('drawPrompt'));
    drawOneImage(this.$('.input'), grayToImage(x, SIZE, SIZE));
    const { url, info, cls } = this.ctx;
    try {
      const res = await sharedRpc().call('reconstruct', { slot: url, x, label: cls });
      drawOneImage(this.$('.output'), res.output);
      this.$('.posterior-fig').hidden = false;
      this.$('.posterior-fig').classList.remove('reserved');
      drawPosterior(this.$('.posterior'), res.mu, res.logvar);
      this.setStatus(this.t('reconstructed', res.ms));
      this.clearError();
      this.emit('latentlab-sample', { latents: res.mu, logvar: res.logvar, latentDim: info.latent_dim, n: 1 });
    } catch (err) {
      if (rethrow) throw err;
      this.fail(err);
    }
  }
}

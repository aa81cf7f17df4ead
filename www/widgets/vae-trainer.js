// <latent-lab-vae-trainer training-set latent-dim beta lr batch-size seed max-steps preview-every
// autoplay>: a small MLP VAE trains live on an image subset (or a 2-D toy): samples from the
// prior and test-digit reconstructions as it learns; β weighs the KL term (β-VAE).

import { drawImageGrid, drawScatter, sizeImageGrid } from '../ui.js';
import { LatentLabTrainer, trainerAttributes } from './trainer.js';

// The data catalog's image sets (IMAGE_DATASETS in src/data/catalog.rs); the others are 2-D points.
const IMAGE_SETS = ['mnist', 'fashion-mnist'];
// A preview's layout (worker.js): 32 samples in 8 columns, 8 test images over their reconstructions.
const PREVIEW_COLS = 8;

export class LatentLabVaeTrainer extends LatentLabTrainer {
  static attributes = {
    ...trainerAttributes({ trainingSet: 'mnist', lr: 1e-3, batchSize: 64, maxSteps: 3000, previewEvery: 50 }),
    'latent-dim': { type: 'int', min: 1, max: 64, default: 2 },
    beta: { type: 'number', min: 0, max: 100, default: 1 },
  };

  trainerTemplate() {
    return `<figure><canvas class="samples" part="canvas" width="1" height="1" role="img"></canvas><figcaption class="samples-caption"></figcaption></figure>
      <figure class="recon-fig" hidden><canvas class="recon" part="canvas" width="1" height="1" role="img"></canvas><figcaption class="recon-caption"></figcaption></figure>`;
  }

  extraControls() {
    return '<label><span class="beta-label"></span> <input class="beta" type="number" min="0" max="100" step="any"></label>';
  }

  constructor() {
    super();
    // β is part of the loss the run was built with: a new β restarts the run.
    this.$('input.beta').addEventListener('change', (e) => {
      this.setAttribute('beta', e.target.value);
    });
  }

  syncControls(values) {
    this.$('input.beta').value = String(values.beta);
  }

  localize() {
    super.localize();
    this.$('.beta-label').textContent = this.t('beta');
    this.$('.samples-caption').textContent = this.t('vaeSamples');
    this.$('.recon-caption').textContent = this.t('vaeRecon');
    this.$('.samples').setAttribute('aria-label', this.t('vaeSamples'));
    this.$('.recon').setAttribute('aria-label', this.t('vaeRecon'));
  }

  reserve() {
    const samples = this.$('.samples');
    if (!IMAGE_SETS.includes(this.trainingSet)) {
      samples.width = samples.height = 480;
      samples.style.width = '320px';
      return;
    }
    for (const [canvas, n] of [[samples, 32], [this.$('.recon'), 16]]) {
      sizeImageGrid(canvas, n, { cols: PREVIEW_COLS });
      canvas.style.width = '300px';
    }
    this.$('.recon-fig').hidden = false;
    this.$('.recon-fig').classList.add('reserved');
  }

  spec(v, base) {
    return { model: { ...base, latent_dim: v.latentDim, beta: v.beta }, lr: v.lr, batch_size: v.batchSize };
  }

  drawPreview(p) {
    const samples = this.$('.samples');
    if (p.samples.kind === 'images') {
      samples.classList.remove('points');
      drawImageGrid(samples, p.samples, { cols: p.columns ?? PREVIEW_COLS });
      samples.style.width = '300px';
    } else {
      samples.classList.add('points');
      samples.width = samples.height = 480;
      const layers = [
        { points: p.real, color: this.color('real', '#374151'), radius: 1.6, alpha: 0.45 },
        { points: p.samples.points, color: this.color('fake', '#f28e2b'), radius: 2.2, alpha: 0.75 },
      ];
      drawScatter(samples, { bounds: p.bounds, layers });
      samples.style.width = '320px';
    }
    const fig = this.$('.recon-fig');
    fig.hidden = !p.recon;
    fig.classList.remove('reserved');
    if (p.recon) {
      const both = new Uint8Array(p.originals.rgba.length + p.recon.rgba.length);
      both.set(p.originals.rgba, 0);
      both.set(p.recon.rgba, p.originals.rgba.length);
      const recon = this.$('.recon');
      drawImageGrid(recon, { n: p.originals.n * 2, h: p.recon.h, w: p.recon.w, rgba: both }, { cols: p.originals.n });
      recon.style.width = '300px';
    }
    this.emit('latentlab-sample', { step: p.step, n: p.samples.n });
  }
}

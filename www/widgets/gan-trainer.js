// <latent-lab-gan-trainer training-set lr batch-size pack seed max-steps preview-every autoplay>:
// a GAN on a 2-D toy trains live in the page: real (grey) and generated (orange) points over
// the discriminator's P(real). Pack > 1 is PacGAN (the discriminator judges packs of samples,
// which fights mode collapse). The default recipe forms the ring within a minute.

import { sharedRpc } from '../rpc.js';
import { drawScatter } from '../ui.js';
import { LatentLabTrainer, trainerAttributes } from './trainer.js';

export class LatentLabGanTrainer extends LatentLabTrainer {
  static attributes = {
    ...trainerAttributes({ trainingSet: 'ring8', lr: 1e-3, batchSize: 100, maxSteps: 5000, previewEvery: 25 }),
    pack: { type: 'int', min: 1, max: 8, default: 2 },
  };

  trainerTemplate() {
    return `<figure><canvas class="points" part="canvas" width="480" height="480" role="img"></canvas><figcaption class="caption"></figcaption></figure>`;
  }

  extraControls() {
    const options = Array.from({ length: 8 }, (_, i) => `<option value="${i + 1}">${i + 1}</option>`).join('');
    return `<label><span class="pack-label"></span> <select class="pack">${options}</select></label>`;
  }

  constructor() {
    super();
    this.$('canvas').style.width = '320px';
    // A new pack size is a new discriminator: the attribute changes and the run restarts.
    this.$('select.pack').addEventListener('change', (e) => {
      this.pack = Number(e.target.value);
    });
  }

  localize() {
    super.localize();
    this.$('.pack-label').textContent = this.t('pack');
    this.$('.caption').textContent = this.t('ganCaption');
    this.$('canvas').setAttribute('aria-label', this.t('ganCaption'));
  }

  syncControls(values) {
    // The discriminator judges the batch in packs: only sizes that divide it can be picked.
    for (const o of this.$('select.pack').options) o.disabled = values.batchSize % Number(o.value) !== 0;
    this.$('select.pack').value = String(values.pack);
  }

  spec(v, base) {
    const model = { ...base };
    if (v.pack > 1) model.pack = v.pack;
    return { model, lr: v.lr, batch_size: v.batchSize };
  }

  async idle(v) {
    const real = await sharedRpc().call('dataPoints', { name: v.trainingSet, n: 1000 });
    drawScatter(this.$('canvas'), { bounds: real.bounds, layers: [{ points: real.points, color: this.color('real', '#374151'), radius: 1.6, alpha: 0.45 }] });
  }

  drawPreview(p) {
    const layers = [
      { points: p.real, color: this.color('real', '#374151'), radius: 1.6, alpha: 0.45 },
      { points: p.samples.points, color: this.color('fake', '#f28e2b'), radius: 2.2, alpha: 0.75 },
    ];
    drawScatter(this.$('canvas'), { bounds: p.bounds, layers, heat: p.heat ?? null });
    this.emit('latentlab-sample', { step: p.step, points: p.samples.points, n: p.samples.n });
  }
}

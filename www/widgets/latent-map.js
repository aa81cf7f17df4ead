// <latent-lab-latent-map src grid range count model-class>: for a model with a 2-D latent
// space, the decoder's output over a grid of z and (with an encoder and a test set) the encoded
// test images coloured by class.

import { sharedRpc } from '../rpc.js';
import { classColor, drawImageGrid, drawScatter, sizeImageGrid } from '../ui.js';
import { LatentLabElement } from './base.js';
import { LATENT_ATTRIBUTES, classFor, pointsView } from './sampler.js';

export class LatentLabLatentMap extends LatentLabElement {
  static attributes = {
    src: LATENT_ATTRIBUTES.src,
    'model-class': LATENT_ATTRIBUTES['model-class'],
    grid: { type: 'int', min: 2, max: 40, default: 16 },
    range: { type: 'number', min: 0.5, max: 8, default: 3 },
    count: { type: 'int', min: 0, max: 1000, default: 500 },
  };

  template() {
    return `<div class="row">
        <figure><canvas class="plane" part="canvas plane" width="1" height="1" role="img"></canvas><figcaption class="plane-caption"></figcaption></figure>
        <figure class="points-fig" hidden><canvas class="encoded points" part="canvas encoded" width="480" height="480" role="img"></canvas><figcaption class="points-caption"></figcaption></figure>
      </div>`;
  }

  localize() {
    this.$('canvas.plane').setAttribute('aria-label', this.t('planeLabel'));
    this.$('canvas.encoded').setAttribute('aria-label', this.t('pointsLabel'));
  }

  reserve() {
    const plane = this.$('canvas.plane');
    sizeImageGrid(plane, this.grid * this.grid, { cols: this.grid, gap: 0 });
    plane.style.width = '300px';
    this.$('.plane-caption').textContent = this.t('planeCaption', this.range);
  }

  unsupported(info) {
    return info.latent_dim === 2 ? null : this.t('needs2d', info.latent_dim);
  }

  async draw({ values, url, info }) {
    const { grid, range, count } = values;
    const cls = classFor(info, values.modelClass);
    const t0 = performance.now();
    const res = await sharedRpc().call('latentMap', { slot: url, grid, range, count, class: cls }, (p) => {
      this.setStatus(this.t('encoding', p.done, p.total));
      this.emit('latentlab-progress', p);
    });
    const plane = this.$('canvas.plane');
    if (res.plane.kind === 'images') {
      plane.classList.remove('points');
      drawImageGrid(plane, res.plane, { cols: grid, gap: 0 });
    } else {
      const view = await pointsView(url);
      plane.classList.add('points');
      plane.width = plane.height = 480;
      const layers = [{ points: res.plane.points, color: this.color('fake', '#f28e2b'), radius: 3 }];
      if (view.real) layers.unshift({ points: view.real, color: this.color('real', '#374151'), radius: 1.4, alpha: 0.35 });
      drawScatter(plane, { bounds: view.bounds, layers });
    }
    plane.style.width = '300px';
    this.$('.plane-caption').textContent = this.t('planeCaption', range);
    const fig = this.$('.points-fig');
    fig.hidden = !res.points;
    if (res.points) {
      const colors = Array.from(res.labels, (l) => classColor(l));
      const canvas = this.$('canvas.encoded');
      drawScatter(canvas, { bounds: [-range, range, -range, range], layers: [{ points: res.points, colors, radius: 3, alpha: 0.8 }] });
      canvas.style.width = '300px';
      canvas.dataset.points = String(res.labels.length);
      this.$('.points-caption').textContent = this.t('encodedCaption', res.labels.length);
    }
    const ms = performance.now() - t0;
    this.setStatus(this.t('mapDone', ms) + (res.points || !count ? '' : ` · ${this.t('noTestSet')}`));
    this.emit('latentlab-sample', { latents: res.z, latentDim: 2, n: grid * grid, grid, range, modelClass: cls });
  }
}

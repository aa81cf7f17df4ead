// Reconstruct: draw on a large canvas, preprocess like MNIST (crop, fit a 20×20 box, centre by
// mass in 28×28), encode, decode the posterior mean, and show q(z|x) per dimension.

import { SIZE, attachDrawPad, grayToImage, mnistify } from '../draw-pad.js';
import { drawOneImage, drawPosterior, latestOnly, showUnsupported } from '../ui.js';

export function createReconstructView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-reconstruct');
  const notice = $('recon-notice');
  const body = $('recon-body');
  const pad = $('draw-canvas');
  const input = $('recon-input');
  const outCanvas = $('recon-output');
  const posterior = $('recon-posterior');
  const caption = $('recon-posterior-caption');
  const classSel = $('recon-class');
  const status = $('recon-status');
  const g = pad.getContext('2d', { willReadFrequently: true });

  /** A test image shown on the pad; drawing on top of it makes it a drawing again. */
  let testImage = null;

  function supported(info) {
    if (!info.has_encoder) return `A ${info.kind} has no encoder, so it cannot reconstruct. Choose an autoencoder, VAE or VAE-GAN.`;
    const [c, h, w] = info.sample_shape ?? [];
    if (!info.is_image || c !== 1 || h !== SIZE || w !== SIZE) {
      return `This view draws 28 × 28 grey images; this model's samples have shape [${info.sample_shape}].`;
    }
    return null;
  }

  const reconstruct = latestOnly(async () => {
    const info = ctx.info;
    if (!info || supported(info)) return;
    const x = testImage ?? mnistify(pad);
    if (!x) {
      status.textContent = 'Draw a digit in the black square (or press "Test image").';
      view.dataset.state = 'empty';
      return;
    }
    view.dataset.state = 'busy';
    drawOneImage(input, grayToImage(x, SIZE, SIZE));
    try {
      const payload = { x };
      if (info.num_classes) payload.label = Number(classSel.value || 0);
      const res = await ctx.call('reconstruct', payload);
      drawOneImage(outCanvas, res.output);
      $('recon-posterior-fig').hidden = false;
      drawPosterior(posterior, res.mu, res.logvar);
      caption.textContent = res.logvar
        ? 'Posterior q(z|x) per latent dimension: mean (dot) and ±σ (bar). Shaded: the prior’s ±1.'
        : 'The code z per dimension (an autoencoder’s encoder is deterministic: no σ). Shaded: ±1.';
      status.textContent = `Encoded and decoded in ${res.ms.toFixed(1)} ms.`;
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Reconstruction failed: ${err.message}`;
      ctx.showError(err, 'Reconstruction failed');
    }
  });

  const drawing = attachDrawPad(pad, () => {
    testImage = null;
    reconstruct();
  });
  function clearPad() {
    drawing.clear();
    testImage = null;
  }

  $('draw-clear').addEventListener('click', () => {
    clearPad();
    for (const c of [input, outCanvas]) c.getContext('2d').clearRect(0, 0, c.width, c.height);
    $('recon-posterior-fig').hidden = true;
    status.textContent = 'Cleared. Draw a digit.';
    view.dataset.state = 'empty';
  });

  $('draw-test').addEventListener('click', async () => {
    const info = ctx.info;
    if (!info) return;
    try {
      const start = Math.floor(Math.random() * 1000);
      const t = await ctx.call('testImages', { dataset: info.data?.name, start, count: 1 });
      clearPad();
      // Show it on the pad, scaled up; the model gets the exact 28×28 image.
      const off = new OffscreenCanvas(t.w, t.h);
      off.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(t.rgba.buffer), t.w, t.h), 0, 0);
      g.imageSmoothingEnabled = true;
      g.drawImage(off, 0, 0, pad.width, pad.height);
      testImage = t.values;
      if (info.num_classes) classSel.value = String(t.labels[0]);
      reconstruct();
    } catch (err) {
      ctx.showError(err, 'Could not load a test image');
    }
  });
  classSel.addEventListener('change', () => reconstruct());

  return {
    render() {
      const info = ctx.info;
      if (showUnsupported({ view, notice, body, status }, supported(info))) return;
      reconstruct();
    },
    modelChanged(info) {
      if (info.num_classes) ctx.fillClasses(classSel, info);
      else classSel.closest('.cond-only').hidden = true;
    },
  };
}

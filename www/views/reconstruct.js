// Reconstruct: draw on a large canvas, preprocess like MNIST (crop, fit a 20×20 box, centre by
// mass in 28×28), encode, decode the posterior mean, and show q(z|x) per dimension. Inpainting:
// erase part of the 28×28 input (a preset region, or drag on it) and show the model's fill
// (the library's Network::inpaint, iterating encode → decode on the erased pixels).

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
  const maskSel = $('inpaint-mask');
  const masked = $('inpaint-masked');
  const filled = $('inpaint-output');
  const g = pad.getContext('2d', { willReadFrequently: true });

  /** A test image shown on the pad; drawing on top of it makes it a drawing again. */
  let testImage = null;
  /** The model input last shown, and which of its pixels are kept (1) or erased (0). */
  let lastInput = null;
  let known = presetMask(maskSel.value);

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
      lastInput = x;
      const fill = await inpaint(x);
      status.textContent = `Encoded and decoded in ${res.ms.toFixed(1)} ms; inpainted in ${fill.ms.toFixed(1)} ms.`;
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Reconstruction failed: ${err.message}`;
      ctx.showError(err, 'Reconstruction failed');
    }
  });

  /** Shows `x` with its erased pixels marked, and the model's fill beside it. */
  async function inpaint(x) {
    drawOneImage(masked, maskedImage(x, known));
    const payload = { x: x.map((v, i) => v * known[i]), known: known.slice() };
    if (ctx.info.num_classes) payload.label = Number(classSel.value || 0);
    const res = await ctx.call('inpaint', payload);
    drawOneImage(filled, res.output);
    return res;
  }

  const refill = latestOnly(async () => {
    if (!lastInput) return;
    try {
      const res = await inpaint(lastInput);
      status.textContent = `Inpainted in ${res.ms.toFixed(1)} ms.`;
    } catch (err) {
      ctx.showError(err, 'Inpainting failed');
    }
  });

  maskSel.addEventListener('change', () => {
    known = presetMask(maskSel.value);
    refill();
  });
  // Dragging over the erased image erases a disc of pixels around the pointer.
  let erasing = false;
  const erase = (e) => {
    const r = masked.getBoundingClientRect();
    const cx = ((e.clientX - r.left) / r.width) * SIZE;
    const cy = ((e.clientY - r.top) / r.height) * SIZE;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < 2.5) known[y * SIZE + x] = 0;
    }
    if (lastInput) drawOneImage(masked, maskedImage(lastInput, known));
    refill();
  };
  masked.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    masked.setPointerCapture?.(e.pointerId);
    erasing = true;
    erase(e);
  });
  masked.addEventListener('pointermove', (e) => erasing && erase(e));
  for (const type of ['pointerup', 'pointercancel']) masked.addEventListener(type, () => (erasing = false));

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
    lastInput = null;
    for (const c of [input, outCanvas, masked, filled]) c.getContext('2d').clearRect(0, 0, c.width, c.height);
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

/** 1 (kept) or 0 (erased) per pixel of a 28 × 28 input, for a named region. */
function presetMask(name) {
  const h = SIZE / 2;
  const erased = {
    none: () => false,
    bottom: (x, y) => y >= h,
    top: (x, y) => y < h,
    left: (x) => x < h,
    right: (x) => x >= h,
    centre: (x, y) => Math.abs(x + 0.5 - h) < 6 && Math.abs(y + 0.5 - h) < 6,
  }[name] ?? (() => false);
  return Uint8Array.from({ length: SIZE * SIZE }, (_, i) => (erased(i % SIZE, Math.floor(i / SIZE)) ? 0 : 1));
}

/** The input as an image, its erased pixels in dark red (the model sees 0 there). */
function maskedImage(x, known) {
  const img = grayToImage(x, SIZE, SIZE);
  known.forEach((k, i) => k || img.rgba.set([110, 24, 48, 255], 4 * i));
  return img;
}

// Reconstruct: draw on a large canvas, preprocess like MNIST (crop, fit a 20×20 box, centre by
// mass in 28×28), encode, decode the posterior mean, and show q(z|x) per dimension.

import { drawOneImage, drawPosterior, latestOnly, showUnsupported } from '../ui.js';

const SIZE = 28;
const BOX = 20;

/**
 * The drawing as an MNIST-style 28×28 image in [0, 1] (white ink on black), or null if the
 * canvas is empty. Area-averaged downsampling (8×8 supersampling per target pixel).
 */
export function mnistify(canvas) {
  const W = canvas.width;
  const H = canvas.height;
  const data = canvas.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, W, H).data;
  const v = new Float32Array(W * H);
  let x0 = W;
  let y0 = H;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < W * H; i++) {
    const g = data[4 * i] / 255;
    v[i] = g;
    if (g > 0.1) {
      const x = i % W;
      const y = (i - x) / W;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const s = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s));
  const th = Math.max(1, Math.round(bh * s));
  const small = new Float32Array(tw * th);
  const SS = 8;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      let sum = 0;
      for (let j = 0; j < SS; j++) {
        const sy = Math.min(H - 1, Math.floor(y0 + (ty + (j + 0.5) / SS) / s));
        for (let i = 0; i < SS; i++) {
          const sx = Math.min(W - 1, Math.floor(x0 + (tx + (i + 0.5) / SS) / s));
          sum += v[sy * W + sx];
        }
      }
      small[ty * tw + tx] = sum / (SS * SS);
    }
  }
  // Centre of mass → the middle of the 28×28 frame.
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const p = small[y * tw + x];
      m += p;
      cx += (x + 0.5) * p;
      cy += (y + 0.5) * p;
    }
  }
  cx /= m || 1;
  cy /= m || 1;
  const ox = Math.max(0, Math.min(SIZE - tw, Math.round(SIZE / 2 - cx)));
  const oy = Math.max(0, Math.min(SIZE - th, Math.round(SIZE / 2 - cy)));
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(oy + y) * SIZE + ox + x] = Math.min(1, small[y * tw + x]);
  }
  return out;
}

function grayToImage(values, h, w) {
  const rgba = new Uint8Array(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const g = Math.round(Math.max(0, Math.min(1, values[i])) * 255);
    rgba.set([g, g, g, 255], 4 * i);
  }
  return { n: 1, h, w, rgba };
}

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

  function clearPad() {
    g.fillStyle = '#000';
    g.fillRect(0, 0, pad.width, pad.height);
    testImage = null;
  }
  clearPad();

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

  // Drawing with pointer events (mouse, pen and touch alike).
  let last = null;
  const pos = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  function stroke(from, to) {
    g.strokeStyle = '#fff';
    g.fillStyle = '#fff';
    g.lineWidth = 22;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(...from);
    g.lineTo(...to);
    g.stroke();
  }
  pad.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    pad.setPointerCapture?.(e.pointerId);
    testImage = null;
    last = pos(e);
    stroke(last, last);
    reconstruct();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = pos(e);
    stroke(last, p);
    last = p;
    reconstruct();
  });
  const end = () => {
    if (!last) return;
    last = null;
    reconstruct();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);

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

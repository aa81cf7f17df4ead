// A drawing pad for digits, shared by the Reconstruct view and <latent-lab-reconstruct>:
// pointer strokes (mouse, pen and touch alike) on a black canvas, and the drawing turned into
// an MNIST-style 28×28 image. No dependencies.

export const SIZE = 28;
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

export function grayToImage(values, h, w) {
  const rgba = new Uint8Array(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    const g = Math.round(Math.max(0, Math.min(1, values[i])) * 255);
    rgba.set([g, g, g, 255], 4 * i);
  }
  return { n: 1, h, w, rgba };
}

/**
 * Lets the pointer draw white strokes on `pad` (cleared to black first). `onStroke()` is
 * called on every change. Returns {clear()}.
 */
export function attachDrawPad(pad, onStroke) {
  const g = pad.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    g.fillStyle = '#000';
    g.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let last = null;
  const pos = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  function stroke(from, to) {
    g.strokeStyle = '#fff';
    g.fillStyle = '#fff';
    g.lineWidth = (22 * pad.width) / 280;
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
    last = pos(e);
    stroke(last, last);
    onStroke();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = pos(e);
    stroke(last, p);
    last = p;
    onStroke();
  });
  const end = () => {
    if (!last) return;
    last = null;
    onStroke();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  return { clear };
}

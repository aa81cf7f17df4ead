// Drawing and DOM helpers shared by the page and the widgets. No dependencies.

/** Tableau 10: distinguishable class colours. */
export const CLASS_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const classColor = (i) => CLASS_COLORS[i % CLASS_COLORS.length];

const GAP_RGB = [38, 41, 48];

function mark(canvas) {
  canvas.dataset.rendered = String((Number(canvas.dataset.rendered) || 0) + 1);
}

/**
 * Sizes `canvas` for drawImageGrid's grid of `count` images of `h` × `w` (28 × 28 by default:
 * the widgets reserve room with it before they draw); returns {W, H}.
 */
export function sizeImageGrid(canvas, count, { cols = 8, gap = 1, h = 28, w = 28 } = {}) {
  const rows = Math.ceil(count / cols);
  const W = cols * w + (cols - 1) * gap;
  const H = rows * h + (rows - 1) * gap;
  if (canvas.width !== W) canvas.width = W;
  if (canvas.height !== H) canvas.height = H;
  return { W, H };
}

/**
 * Draws `out` ({n, h, w, rgba}) as a grid with `cols` columns and a `gap`-pixel gutter, one
 * canvas pixel per image pixel (CSS scales it up with image-rendering: pixelated).
 * `first`/`count` pick a range of the images; `highlight` is {index: css colour}.
 */
export function drawImageGrid(canvas, out, { cols = 8, gap = 1, first = 0, count = out.n - first } = {}) {
  const { h, w, rgba } = out;
  const { W, H } = sizeImageGrid(canvas, count, { cols, gap, h, w });
  const img = new ImageData(W, H);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    d[i] = GAP_RGB[0];
    d[i + 1] = GAP_RGB[1];
    d[i + 2] = GAP_RGB[2];
    d[i + 3] = 255;
  }
  for (let k = 0; k < count; k++) {
    const src = (first + k) * h * w * 4;
    const ox = (k % cols) * (w + gap);
    const oy = Math.floor(k / cols) * (h + gap);
    for (let y = 0; y < h; y++) {
      const row = rgba.subarray(src + y * w * 4, src + (y + 1) * w * 4);
      d.set(row, ((oy + y) * W + ox) * 4);
    }
  }
  canvas.getContext('2d').putImageData(img, 0, 0);
  mark(canvas);
}

/** One image of `out` on its own canvas. */
export function drawOneImage(canvas, out, index = 0) {
  drawImageGrid(canvas, out, { cols: 1, gap: 0, first: index, count: 1 });
}

// The picks' colours: the hues of .pick-a / .pick-b in style.css, lighter here to stand out on
// the dark canvas.
const PICK_COLORS = { a: '#f59e0b', b: '#22d3ee' };
const PICK_TAB = 10; // the side of the lettered square in a picked tile's corner, in image pixels

/**
 * A grid of test images to pick from (drawImageGrid's layout: `cols` columns, `gap` pixels
 * apart), for the mouse and the keyboard. A click, or Enter / Space on the cursor, calls
 * `onPick(i)`; the arrow keys, Home and End move the cursor, which is drawn while the canvas has
 * focus and said in a polite live region put after it. `marks()` lists the picks as
 * [index, 'a' | 'b'] pairs: a picked tile is outlined and lettered, so a pick does not rest on
 * colour alone. Returns `{draw(images)}`, images being {n, h, w, rgba, labels?, names?} (names:
 * the class names, by label).
 */
export function imagePicker(canvas, { cols, gap, marks, onPick }) {
  const live = el('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  canvas.after(live);
  let images = null;
  let cursor = 0;
  const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };

  const corner = (i) => [(i % cols) * (images.w + gap), Math.floor(i / cols) * (images.h + gap)];

  function drawMark(c, i, which) {
    const [x, y] = corner(i);
    c.strokeStyle = c.fillStyle = PICK_COLORS[which];
    c.lineWidth = 1;
    c.strokeRect(x - 0.5, y - 0.5, images.w + 1, images.h + 1);
    // A top left, B top right: a tile picked for both shows both.
    const tx = which === 'a' ? x : x + images.w - PICK_TAB;
    c.fillRect(tx, y, PICK_TAB, PICK_TAB);
    c.fillStyle = '#000000';
    c.font = `bold ${PICK_TAB - 1}px system-ui, sans-serif`;
    c.textAlign = 'center';
    c.textBaseline = 'middle';
    c.fillText(which.toUpperCase(), tx + PICK_TAB / 2, y + PICK_TAB / 2 + 0.5);
  }

  /** The cursor: a dashed white frame inside the tile, unlike the picks' solid outlines. */
  function drawCursor(c) {
    const [x, y] = corner(cursor);
    c.strokeStyle = '#ffffff';
    c.lineWidth = 2;
    c.setLineDash([3, 2]);
    c.strokeRect(x + 1, y + 1, images.w - 2, images.h - 2);
    c.setLineDash([]);
  }

  function draw(next = images) {
    images = next;
    cursor = Math.min(cursor, images.n - 1);
    drawImageGrid(canvas, images, { cols, gap, count: images.n });
    const c = canvas.getContext('2d');
    if (document.activeElement === canvas) drawCursor(c);
    for (const [i, which] of marks()) drawMark(c, i, which);
  }

  /** "Image 13 of 32, class 7, picked as A"; after a pick that left the image out, "not picked". */
  function say(afterPick = false) {
    const label = images.labels?.[cursor];
    const what = label === undefined ? '' : `, class ${images.names?.[label] ?? label}`;
    const as = marks().filter(([i]) => i === cursor).map(([, which]) => which.toUpperCase());
    const state = as.length ? `, picked as ${as.join(' and ')}` : afterPick ? ', not picked' : '';
    live.textContent = `Image ${cursor + 1} of ${images.n}${what}${state}`;
  }

  canvas.addEventListener('click', (e) => {
    if (!images) return;
    const r = canvas.getBoundingClientRect();
    const col = Math.floor((((e.clientX - r.left) / r.width) * canvas.width) / (images.w + gap));
    const row = Math.floor((((e.clientY - r.top) / r.height) * canvas.height) / (images.h + gap));
    const i = row * cols + col;
    if (col < 0 || col >= cols || i < 0 || i >= images.n) return;
    cursor = i;
    onPick(i);
  });
  canvas.addEventListener('keydown', (e) => {
    if (!images || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onPick(cursor);
      say(true);
      return;
    }
    const to = e.key in moves ? cursor + moves[e.key] : { Home: 0, End: images.n - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault(); // no page scroll
    if (to >= 0 && to < images.n) cursor = to;
    draw();
    say();
  });
  for (const type of ['focus', 'blur']) canvas.addEventListener(type, () => images && draw());
  return { draw };
}

/** Maps data coordinates to canvas pixels for `bounds` [x0, x1, y0, y1]. */
export function projector(canvas, bounds, pad = 0) {
  const [x0, x1, y0, y1] = bounds;
  const W = canvas.width - 2 * pad;
  const H = canvas.height - 2 * pad;
  return {
    x: (x) => pad + ((x - x0) / (x1 - x0)) * W,
    y: (y) => pad + (1 - (y - y0) / (y1 - y0)) * H,
  };
}

/** P(real) ∈ [0, 1] → a blue (fake) – white – red (real) colour. */
export function heatColor(p) {
  const t = Math.max(0, Math.min(1, p));
  const lo = [44, 105, 176];
  const mid = [238, 238, 242];
  const hi = [200, 60, 50];
  const [a, b, u] = t < 0.5 ? [lo, mid, t / 0.5] : [mid, hi, (t - 0.5) / 0.5];
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * u));
}

/**
 * A scatter plot of 2-D points. `layers`: [{points: Float32Array [x0, y0, …], color | colors,
 * radius, alpha}], drawn in order. `heat`: {size, p} drawn under them (row 0 at the top).
 * `image`: a canvas drawn under everything, stretched over `bounds`.
 */
export function drawScatter(canvas, { bounds, layers = [], heat = null, image = null, axes = true, background = '#ffffff' }) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  ctx.save();
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, W, H);
  if (heat) {
    const off = new OffscreenCanvas(heat.size, heat.size);
    const img = new ImageData(heat.size, heat.size);
    for (let i = 0; i < heat.size * heat.size; i++) {
      const [r, g, b] = heatColor(heat.p[i]);
      img.data.set([r, g, b, 255], 4 * i);
    }
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, W, H);
  }
  if (image) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, 0, 0, W, H);
  }
  const P = projector(canvas, bounds);
  if (axes) {
    ctx.strokeStyle = heat || image ? 'rgba(0,0,0,0.25)' : '#d5d9e0';
    ctx.lineWidth = Math.max(1, W / 480);
    ctx.beginPath();
    if (bounds[0] < 0 && bounds[1] > 0) {
      ctx.moveTo(P.x(0), 0);
      ctx.lineTo(P.x(0), H);
    }
    if (bounds[2] < 0 && bounds[3] > 0) {
      ctx.moveTo(0, P.y(0));
      ctx.lineTo(W, P.y(0));
    }
    ctx.stroke();
  }
  for (const layer of layers) {
    const pts = layer.points;
    const r = (layer.radius ?? 2) * (W / 480);
    ctx.globalAlpha = layer.alpha ?? 0.8;
    for (let i = 0; i + 1 < pts.length; i += 2) {
      ctx.fillStyle = layer.colors ? layer.colors[i / 2] : layer.color;
      ctx.beginPath();
      ctx.arc(P.x(pts[i]), P.y(pts[i + 1]), r, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
  mark(canvas);
}

/** A path through 2-D points (interpolation of a 2-D data model), with its frames as dots. */
export function drawPath(ctx, P, pts, { color = '#4f46e5', width = 2 } = {}) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  for (let i = 0; i + 1 < pts.length; i += 2) {
    const x = P.x(pts[i]);
    const y = P.y(pts[i + 1]);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  ctx.restore();
}

function niceNumber(v) {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000 || a < 0.01) return v.toExponential(1);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** A tick label with just enough decimals to tell ticks `step` apart. */
function tickLabel(v, step) {
  const a = Math.max(Math.abs(v), step);
  if (a >= 1e5 || step < 1e-4) return v.toExponential(Math.max(1, Math.ceil(Math.log10(a / step))));
  const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step))));
  return v.toFixed(a >= 100 ? Math.min(digits, 1) : digits);
}

/** A line chart of ys over xs with its title and the latest value, y range from the data. */
export function drawLineChart(canvas, xs, ys, { title = '', color = '#4f46e5' } = {}) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  const s = W / 320;
  ctx.save();
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const left = 44 * s;
  const right = 8 * s;
  const top = 22 * s;
  const bottom = 16 * s;
  ctx.font = `${11 * s}px system-ui, sans-serif`;
  ctx.fillStyle = '#1f2937';
  ctx.textBaseline = 'top';
  const last = ys.length ? ys[ys.length - 1] : null;
  ctx.fillText(title, left, 5 * s);
  if (last !== null) {
    ctx.textAlign = 'right';
    ctx.fillText(niceNumber(last), W - right, 5 * s);
    ctx.textAlign = 'left';
  }
  if (xs.length === 0) {
    ctx.restore();
    mark(canvas);
    return;
  }
  // Robust y range: ignore the first 5 % of points when there are many (the initial spike).
  const skip = ys.length > 40 ? Math.floor(ys.length * 0.05) : 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = skip; i < ys.length; i++) {
    if (Number.isFinite(ys[i])) {
      lo = Math.min(lo, ys[i]);
      hi = Math.max(hi, ys[i]);
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-9) {
    hi += 0.5 * (Math.abs(hi) || 1);
    lo -= 0.5 * (Math.abs(lo) || 1);
  }
  const padY = (hi - lo) * 0.08;
  lo -= padY;
  hi += padY;
  const x0 = xs[0];
  const x1 = Math.max(xs[xs.length - 1], x0 + 1);
  const X = (x) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
  const Y = (y) => top + (1 - (Math.min(hi, Math.max(lo, y)) - lo) / (hi - lo)) * (H - top - bottom);
  ctx.strokeStyle = '#e5e7eb';
  ctx.lineWidth = 1 * s;
  ctx.fillStyle = '#6b7280';
  ctx.font = `${9.5 * s}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 3; i++) {
    const v = lo + ((hi - lo) * i) / 3;
    ctx.beginPath();
    ctx.moveTo(left, Y(v));
    ctx.lineTo(W - right, Y(v));
    ctx.stroke();
    ctx.fillText(tickLabel(v, (hi - lo) / 3), left - 4 * s, Y(v));
  }
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`step ${Math.round(x0)}`, left, H - bottom + 3 * s);
  ctx.textAlign = 'right';
  ctx.fillText(`${Math.round(xs[xs.length - 1])}`, W - right, H - bottom + 3 * s);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5 * s;
  ctx.beginPath();
  for (let i = 0; i < xs.length; i++) {
    if (i === 0) ctx.moveTo(X(xs[i]), Y(ys[i]));
    else ctx.lineTo(X(xs[i]), Y(ys[i]));
  }
  ctx.stroke();
  ctx.restore();
  mark(canvas);
}

// drawPosterior's layout: the axis labels above, one row per dimension, a margin below.
const POSTERIOR_TOP = 22;
const POSTERIOR_ROW = 18;

/** The height in pixels drawPosterior gives a canvas for `latentDim` dimensions. */
export function posteriorHeight(latentDim) {
  return POSTERIOR_TOP + latentDim * POSTERIOR_ROW + 8;
}

/**
 * The posterior per latent dimension: a ±σ bar and a dot at the mean on an axis over
 * [-range, range], with the prior's ±1 band shaded. `logvar` may be null (autoencoder).
 */
export function drawPosterior(canvas, mu, logvar, { range = 4 } = {}) {
  const L = mu.length;
  const rowH = POSTERIOR_ROW;
  const top = POSTERIOR_TOP;
  const left = 40;
  const right = 12;
  const W = canvas.width;
  const H = posteriorHeight(L);
  if (canvas.height !== H) canvas.height = H;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const X = (v) => left + ((Math.max(-range, Math.min(range, v)) + range) / (2 * range)) * (W - left - right);
  ctx.fillStyle = 'rgba(79, 70, 229, 0.07)';
  ctx.fillRect(X(-1), top - 4, X(1) - X(-1), L * rowH + 4);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#6b7280';
  ctx.textAlign = 'center';
  for (const t of [-range, -range / 2, 0, range / 2, range]) ctx.fillText(String(t), X(t), 10);
  ctx.strokeStyle = '#9ca3af';
  ctx.beginPath();
  ctx.moveTo(X(0), top - 4);
  ctx.lineTo(X(0), top + L * rowH);
  ctx.stroke();
  for (let i = 0; i < L; i++) {
    const y = top + i * rowH + rowH / 2;
    ctx.fillStyle = '#374151';
    ctx.textAlign = 'right';
    ctx.fillText(`z${i + 1}`, left - 8, y);
    if (logvar) {
      const sd = Math.exp(0.5 * logvar[i]);
      ctx.fillStyle = 'rgba(79, 70, 229, 0.35)';
      ctx.fillRect(X(mu[i] - sd), y - 5, Math.max(2, X(mu[i] + sd) - X(mu[i] - sd)), 10);
    }
    ctx.fillStyle = '#4338ca';
    ctx.beginPath();
    ctx.arc(X(mu[i]), y, 4, 0, 2 * Math.PI);
    ctx.fill();
  }
  canvas.dataset.dims = String(L);
  mark(canvas);
}

/** `document.createElement` with attributes, properties (`on*` listeners) and children. */
/**
 * Shows `reason` (why the current model cannot use this view) in place of the view's body, or
 * hides the notice when `reason` is empty. Returns true when the view is unsupported.
 */
export function showUnsupported({ view, notice, body, status }, reason) {
  notice.hidden = !reason;
  notice.textContent = reason ?? '';
  body.hidden = Boolean(reason);
  if (!reason) return false;
  view.dataset.state = 'unsupported';
  status.textContent = '';
  return true;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'style') Object.assign(e.style, v); // properties, not an attribute: a strict CSP allows them
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** 1068820 → "1.07 M". */
export function fmtCount(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function fmtBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function fmtSeconds(s) {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtMetric(v) {
  return typeof v === 'number' ? niceNumber(v) : String(v);
}

/**
 * Whether screen readers say what the live region `region` shows next: not the results of every
 * step of a moving slider, nor a trainer's step counter, which would drown out everything else.
 */
export function setAnnounce(region, announce) {
  region.setAttribute('aria-live', announce ? 'polite' : 'off');
}

/**
 * Wraps an async `fn` so that at most one call runs at a time and, while it runs, only the
 * newest further call is kept (sliders and drawing fire faster than the worker answers).
 */
export function latestOnly(fn) {
  let running = false;
  let queued = null;
  const go = async (args) => {
    running = true;
    try {
      await fn(...args);
    } catch (err) {
      console.error(err); // callers report their own errors; this is a bug if reached
    } finally {
      running = false;
      if (queued) {
        const next = queued;
        queued = null;
        go(next);
      }
    }
  };
  return (...args) => {
    if (running) queued = args;
    else go(args);
  };
}

/** Seeds shown to people: 1 … 999999. */
export function randomSeed() {
  return 1 + Math.floor(Math.random() * 999999);
}

// Custom elements for tutorial authors. One line loads them:
//
//   <script type="module" src="https://your.site/latentlab/widgets.js"></script>
//
//   <latent-lab-sampler src="weights/vae-mnist-2d.safetensors" seed="1" count="16" temperature="1">
//   </latent-lab-sampler>
//   <latent-lab-interpolator src="weights/vae-mnist-2d.safetensors" mode="slerp" steps="10" seed="1">
//   </latent-lab-interpolator>
//
// `src` is resolved against the document; the worker, wasm and data are found next to this
// file. All widgets on a page share one worker; each checkpoint is loaded once. Attributes can
// be changed later (the widget redraws). When a widget has drawn it gets a `data-ready`
// attribute and fires `latentlab-ready`; on failure it shows the message, gets `data-error`
// and fires `latentlab-error`. Optional `class="3"` picks a class of a conditional model.

import { sharedRpc } from './rpc.js';
import { drawImageGrid, drawOneImage, drawScatter, latestOnly } from './ui.js';

const loads = new Map();

/** Loads a checkpoint into its own worker slot (named by its URL), once per page. */
function loadModel(url) {
  if (!loads.has(url)) {
    const p = sharedRpc().call('loadModel', { slot: url, url });
    p.catch(() => loads.delete(url));
    loads.set(url, p);
  }
  return loads.get(url);
}

const STYLE = `
  :host { display: inline-block; font: 14px/1.4 system-ui, sans-serif; color: #1f2937; vertical-align: top; accent-color: #4338ca; }
  :host([hidden]) { display: none; }
  .box { display: inline-flex; flex-direction: column; align-items: center; gap: 8px; padding: 10px; border: 1px solid #e2e5ea; border-radius: 8px; background: #fff; max-width: 100%; box-sizing: border-box; }
  canvas { image-rendering: pixelated; image-rendering: crisp-edges; background: #262930; border-radius: 4px; max-width: 100%; height: auto; }
  canvas.points { image-rendering: auto; background: #fff; border: 1px solid #e2e5ea; }
  .row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; justify-content: center; }
  button { font: inherit; font-size: 13px; padding: 4px 12px; border: 1px solid #cdd2da; border-radius: 6px; background: #fff; color: inherit; cursor: pointer; }
  button:hover { background: #f1f2f5; }
  .status { color: #6b7280; font-size: 12px; }
  .status.error { color: #b91c1c; }
  input[type=range] { width: 100%; }
`;

class LatentLabElement extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.render = latestOnly(() => this.#draw());
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (this.isConnected && oldValue !== newValue) this.render();
  }

  num(name, fallback) {
    const v = Number(this.getAttribute(name));
    return this.hasAttribute(name) && Number.isFinite(v) ? v : fallback;
  }

  get modelUrl() {
    const src = this.getAttribute('src');
    if (!src) throw new Error('set the src attribute to a .safetensors checkpoint');
    return new URL(src, document.baseURI).href;
  }

  classOf(info) {
    if (!info.num_classes) return undefined;
    return Math.max(0, Math.min(info.num_classes - 1, this.num('class', 0) | 0));
  }

  async #draw() {
    const status = this.shadowRoot.querySelector('.status');
    try {
      const url = this.modelUrl;
      const info = await loadModel(url);
      await this.draw(url, info, status);
      this.removeAttribute('data-error');
      this.setAttribute('data-ready', '');
      this.dispatchEvent(new CustomEvent('latentlab-ready', { bubbles: true, composed: true }));
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('error');
      this.setAttribute('data-error', err.message);
      this.dispatchEvent(new CustomEvent('latentlab-error', { bubbles: true, composed: true, detail: err.message }));
    }
  }
}

function pointsBounds(pts) {
  let m = 1;
  for (const v of pts) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return [-1.15 * m, 1.15 * m, -1.15 * m, 1.15 * m];
}

/** `<latent-lab-sampler src seed count temperature class>`: a grid of samples + "Resample". */
class LatentLabSampler extends LatentLabElement {
  static observedAttributes = ['src', 'seed', 'count', 'temperature', 'class'];

  constructor() {
    super();
    this.shadowRoot.innerHTML = `<style>${STYLE}</style>
      <div class="box" part="box">
        <canvas part="canvas" width="1" height="1" aria-label="Samples from the model"></canvas>
        <div class="row">
          <button type="button" part="button">Resample</button>
          <span class="status" aria-live="polite">Loading…</span>
        </div>
      </div>`;
    this.shadowRoot.querySelector('button').addEventListener('click', () => {
      this.setAttribute('seed', String((this.num('seed', 1) + 1) >>> 0));
    });
  }

  async draw(url, info, status) {
    const canvas = this.shadowRoot.querySelector('canvas');
    const n = Math.max(1, Math.min(256, this.num('count', 16) | 0));
    const seed = this.num('seed', 1) >>> 0;
    const temperature = this.num('temperature', 1);
    const out = await sharedRpc().call('sample', { slot: url, n, seed, temperature, class: this.classOf(info) });
    if (out.kind === 'images') {
      const cols = Math.ceil(Math.sqrt(n));
      canvas.classList.remove('points');
      drawImageGrid(canvas, out, { cols });
      canvas.style.width = `${Math.min(480, cols * out.w * (cols <= 4 ? 3 : 2))}px`;
    } else {
      canvas.classList.add('points');
      canvas.width = canvas.height = 480;
      drawScatter(canvas, { bounds: pointsBounds(out.points), layers: [{ points: out.points, color: '#f28e2b', radius: 2.5 }] });
      canvas.style.width = '240px';
    }
    status.classList.remove('error');
    status.textContent = `seed ${seed} · T = ${temperature}`;
  }
}

/** `<latent-lab-interpolator src mode steps seed class>`: a strip of frames and a slider. */
class LatentLabInterpolator extends LatentLabElement {
  static observedAttributes = ['src', 'mode', 'steps', 'seed', 'class'];

  constructor() {
    super();
    this.shadowRoot.innerHTML = `<style>${STYLE}</style>
      <div class="box" part="box">
        <canvas class="frame" part="frame" width="28" height="28" aria-label="Current frame"></canvas>
        <input type="range" min="0" max="40" value="20" aria-label="Position along the path">
        <canvas class="strip" part="strip" width="1" height="1" aria-label="Interpolation strip"></canvas>
        <div class="row">
          <button type="button" part="button">New endpoints</button>
          <span class="status" aria-live="polite">Loading…</span>
        </div>
      </div>`;
    this.dense = null;
    this.slider = this.shadowRoot.querySelector('input');
    this.slider.addEventListener('input', () => this.#showFrame());
    this.shadowRoot.querySelector('button').addEventListener('click', () => {
      this.setAttribute('seed', String((this.num('seed', 1) + 1) >>> 0));
    });
  }

  #showFrame() {
    if (!this.dense) return;
    const frame = this.shadowRoot.querySelector('.frame');
    const i = Number(this.slider.value);
    if (this.dense.kind === 'images') drawOneImage(frame, this.dense, i);
    else {
      const pts = this.dense.points;
      drawScatter(frame, {
        bounds: pointsBounds(pts),
        layers: [
          { points: pts, color: '#4338ca', radius: 2.5 },
          { points: pts.slice(2 * i, 2 * i + 2), color: '#f28e2b', radius: 8 },
        ],
      });
    }
  }

  async draw(url, info, status) {
    const steps = Math.max(2, Math.min(24, this.num('steps', 10) | 0));
    const mode = this.getAttribute('mode') === 'lerp' ? 'lerp' : 'slerp';
    const seed = this.num('seed', 1) >>> 0;
    const dense = 41;
    const res = await sharedRpc().call('interpolate', { slot: url, mode, steps, dense, seed, temperature: 1, class: this.classOf(info) });
    this.dense = res.dense;
    const strip = this.shadowRoot.querySelector('.strip');
    const frame = this.shadowRoot.querySelector('.frame');
    if (res.strip.kind === 'images') {
      strip.hidden = false;
      drawImageGrid(strip, res.strip, { cols: steps, gap: 2 });
      strip.style.width = `${Math.min(720, steps * 60)}px`;
      frame.classList.remove('points');
      frame.style.width = '140px';
    } else {
      strip.hidden = true;
      frame.classList.add('points');
      frame.width = frame.height = 480;
      frame.style.width = '240px';
    }
    this.slider.max = String(dense - 1);
    this.#showFrame();
    status.classList.remove('error');
    status.textContent = `${mode} · seed ${seed}`;
  }
}

if (!customElements.get('latent-lab-sampler')) customElements.define('latent-lab-sampler', LatentLabSampler);
if (!customElements.get('latent-lab-interpolator')) customElements.define('latent-lab-interpolator', LatentLabInterpolator);

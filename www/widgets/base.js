// The base class of the Latent Lab custom elements: a shadow root with the shared stylesheet,
// strictly parsed attributes reflected as properties, work that starts when the element is
// scrolled into view, one shared worker and one load per checkpoint (and code source: see
// modelSlot), and the DOM events:
//
//   latentlab-ready     {info}            drawn (the element also gets `data-ready`)
//   latentlab-progress  {…}               work in progress (training steps, encoding)
//   latentlab-error     {message}         shown in the element (which gets `data-error`)
//   latentlab-sample    {latents, latentDim, n, …}   the latent codes behind what is drawn
//
// All events bubble and cross the shadow boundary (composed).

import { sharedRpc } from '../rpc.js';
import { latestOnly, setAnnounce } from '../ui.js';
import { propertyName, readAttributes, reflectAttributes } from './attributes.js';
import { translate } from './strings.js';
import { widgetSheet } from './style.js';

const loads = new Map();
let watching = false;

/**
 * The worker slot of the checkpoint at `url`: the URL, or for `{codePrior: false}` (random codes
 * from N(0, I) even where the file has a fitted code prior) a copy of its own.
 */
export function modelSlot(url, { codePrior = true } = {}) {
  return codePrior ? url : `${url} (codes from N(0, I))`;
}

/**
 * Loads the checkpoint at absolute `url` into its worker slot (`modelSlot`), once per page
 * (and again on next use if a replaced worker could not reload it: see rpc.js); with
 * `{codePrior: false}` a copy whose random codes come from N(0, I) (the worker drops its fitted
 * code prior).
 */
export function loadModel(url, { codePrior = true } = {}) {
  if (!watching) {
    watching = true;
    sharedRpc().addEventListener('restart', ({ detail }) => {
      for (const f of detail.failed) loads.delete(f.slot);
    });
  }
  const slot = modelSlot(url, { codePrior });
  if (!loads.has(slot)) {
    const p = sharedRpc().call('loadModel', { slot, url, codePrior });
    p.catch(() => loads.delete(slot)); // a later attempt tries again
    loads.set(slot, p);
  }
  return loads.get(slot);
}

// One observer for all widgets: each starts its work the first time it comes near the viewport.
let observer = null;
function observe(el) {
  if (typeof IntersectionObserver !== 'function') return el.visibilityChanged(true);
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) e.target.visibilityChanged(e.isIntersecting);
    },
    { rootMargin: '200px' },
  );
  observer.observe(el);
}

/**
 * What the elements extend: `HTMLElement`, or a placeholder where there is none (a server-side
 * render imports this module to reach the classes; the tags are defined only in a browser).
 */
const ElementBase = globalThis.HTMLElement ?? class {};

export class LatentLabElement extends ElementBase {
  /** attribute name → spec (see attributes.js); subclasses override. */
  static attributes = {};

  static get observedAttributes() {
    return Object.keys(this.attributes);
  }

  /** Call once per subclass: defines its reflected properties. */
  static define(name) {
    reflectAttributes(this, this.attributes);
    if (globalThis.customElements && !customElements.get(name)) customElements.define(name, this);
  }

  #started = false;
  visible = false;

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.shadowRoot.adoptedStyleSheets = [widgetSheet()];
    this.shadowRoot.innerHTML = `<div class="box" part="box">${this.template()}
      <div class="status" part="status" role="status" aria-live="polite"></div>
      <div class="error" id="error" part="error" role="alert"></div></div>`;
    this.statusEl = this.shadowRoot.querySelector('.status');
    this.errorEl = this.shadowRoot.querySelector('.error');
    this.render = latestOnly(() => this.#update());
  }

  /** The markup inside the box (static: no inline styles or scripts). */
  template() {
    return '';
  }

  $(sel) {
    return this.shadowRoot.querySelector(sel);
  }

  /** A UI string in the element's language (`lang` on it or an ancestor: en or zh). */
  t(key, ...args) {
    const lang = this.closest('[lang]')?.getAttribute('lang') ?? 'en';
    return translate(lang, key, ...args);
  }

  /** A theme colour: the custom property `--latentlab-NAME` if set, else `fallback`. */
  color(name, fallback) {
    return getComputedStyle(this).getPropertyValue(`--latentlab-${name}`).trim() || fallback;
  }

  connectedCallback() {
    // A property set before the element was defined shadows the reflected one: re-set it.
    for (const name of Object.keys(this.constructor.attributes)) {
      const prop = propertyName(name);
      if (Object.hasOwn(this, prop)) {
        const v = this[prop];
        delete this[prop];
        this[prop] = v;
      }
    }
    this.localize();
    if (!this.#started) {
      this.setStatus(this.t('waiting'));
      this.reserve();
    }
    observe(this);
  }

  /**
   * Sizes the canvases, before the first draw, as that draw will (for 28×28 images, the shipped
   * models'): a widget that loads as it scrolls into view then does not push the page below it
   * (which would move a running trainer off screen, and pause it). Subclasses override.
   */
  reserve() {}

  /** Sets the labels in the element's language (on connect: `lang` is known then). */
  localize() {}

  disconnectedCallback() {
    observer?.unobserve(this);
  }

  attributeChangedCallback(_name, oldValue, newValue) {
    if (this.#started && oldValue !== newValue) this.render();
  }

  /** Called by the observer; subclasses may extend it (trainers pause off-screen). */
  visibilityChanged(visible) {
    this.visible = visible;
    if (visible && !this.#started && this.isConnected) {
      this.#started = true;
      this.render();
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }

  /**
   * Shows `text` on the status line; screen readers announce it unless `announce` is false
   * (a trainer's step counter, rewritten many times a second, would drown out everything).
   */
  setStatus(text, { announce = true } = {}) {
    setAnnounce(this.statusEl, announce);
    this.statusEl.textContent = text;
  }

  /** Takes back a shown error after a later success: its text, `data-error`, and the element is ready again. */
  clearError() {
    this.errorEl.textContent = '';
    if (this.hasAttribute('data-error')) {
      this.removeAttribute('data-error');
      this.setAttribute('data-ready', '');
    }
  }

  /** Shows `err` in the element, marks it and fires latentlab-error. */
  fail(err) {
    const message = err instanceof Error ? err.message : String(err);
    this.errorEl.textContent = message;
    this.statusEl.textContent = '';
    this.removeAttribute('data-ready');
    this.setAttribute('data-error', message);
    // Room kept for a figure that will not be drawn now.
    for (const el of this.shadowRoot.querySelectorAll('.reserved')) el.hidden = true;
    this.emit('latentlab-error', { message });
  }

  /** Why this widget cannot show the model `info`, or null. Subclasses override. */
  unsupported(_info) {
    return null;
  }

  async #update() {
    try {
      const { values, errors } = readAttributes(this, this.constructor.attributes);
      this.attributesValid = !errors.length;
      if (errors.length) throw new Error(errors.join('\n'));
      let info = null;
      let url = null;
      if ('src' in this.constructor.attributes) {
        // `url` names the worker slot the widget draws from (see modelSlot).
        const href = new URL(values.src, document.baseURI).href;
        const codePrior = values.codePrior !== 'standard-normal';
        url = modelSlot(href, { codePrior });
        this.setStatus(this.t('loading'));
        info = await loadModel(href, { codePrior });
        const why = this.unsupported(info);
        if (why) throw new Error(why);
      }
      this.errorEl.textContent = '';
      await this.draw({ values, url, info });
      this.removeAttribute('data-error');
      this.setAttribute('data-ready', '');
      this.emit('latentlab-ready', { info });
    } catch (err) {
      this.fail(err);
    }
  }

  /** Does the widget's work for parsed `values` and the loaded model. Subclasses override. */
  async draw(_ctx) {}
}

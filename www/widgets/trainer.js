// The shared half of the trainer widgets: a named training run in the shared worker (so a GAN
// and a VAE trainer train side by side on one page), Play / Pause / Reset, a live learning
// rate, progress events, and pausing while the widget is scrolled out of view.
// Subclasses give `spec(values, model)` (a TrainSpec around the library's model for the element), `drawPreview(p)` and their extra controls.

import { sharedRpc } from '../rpc.js';
import { fmtMetric } from '../ui.js';
import { LatentLabElement } from './base.js';

let runCount = 0;

/** The metrics the status line shows when the run reports them (all are in the events). */
const SHOWN_METRICS = ['loss', 'kl', 'd_loss', 'g_loss'];

/** Attributes every trainer has; subclasses set their own defaults. */
export function trainerAttributes({ trainingSet, lr, batchSize, maxSteps, previewEvery }) {
  return {
    // Not `dataset`: that name is HTMLElement's own (the data-* attributes).
    'training-set': { type: 'string', default: trainingSet },
    lr: { type: 'number', min: 1e-6, max: 1, default: lr },
    'batch-size': { type: 'int', min: 1, max: 1024, default: batchSize },
    seed: { type: 'int', min: 0, max: 4294967295, default: 1 },
    'max-steps': { type: 'int', min: 0, max: 1000000, default: maxSteps },
    'preview-every': { type: 'int', min: 1, max: 10000, default: previewEvery },
    autoplay: { type: 'bool' },
  };
}

export class LatentLabTrainer extends LatentLabElement {
  /** Markup of the trainer's own figures and controls (inside the box, above the buttons). */
  trainerTemplate() {
    return '';
  }

  template() {
    return `${this.trainerTemplate()}
      <div class="row">
        <button type="button" part="button" class="play"></button>
        <button type="button" part="button" class="reset"></button>
        <label><span class="lr-label"></span> <input class="lr" type="number" min="0.000001" max="1" step="any"></label>
        ${this.extraControls()}
      </div>`;
  }

  /** Extra labelled controls next to the learning rate. */
  extraControls() {
    return '';
  }

  constructor() {
    super();
    this.runId = `widget-${++runCount}`;
    this.state = 'idle'; // idle | starting | running | paused
    this.step = 0;
    this.autoPaused = false;
    this.$('.play').addEventListener('click', () => this.togglePlay());
    this.$('.reset').addEventListener('click', () => this.resetRun().then(() => this.render()));
    this.$('.lr').addEventListener('change', () => this.#setLr());
  }

  localize() {
    this.$('.reset').textContent = this.t('reset');
    this.$('.lr-label').textContent = this.t('lr');
    this.#buttons();
  }

  #buttons() {
    const b = this.$('.play');
    b.textContent = this.state === 'running' || this.state === 'starting' ? this.t('pause') : this.t('play');
    b.disabled = this.state === 'starting';
    this.dataset.trainState = this.state;
  }

  setState(s) {
    this.state = s;
    this.#buttons();
  }

  call(type, payload = {}, onProgress) {
    return sharedRpc().call(type, { run: this.runId, ...payload }, onProgress);
  }

  /** Attribute changes mean a new recipe: the old run stops and the widget redraws. */
  async draw({ values }) {
    const wasActive = this.state === 'running' || this.state === 'starting';
    await this.resetRun();
    this.values = values;
    this.$('.lr').value = String(values.lr);
    this.syncControls?.(values);
    await this.idle(values);
    // Removed while it waited: no run is started for an element no one sees (drawn again if it
    // is put back).
    if (!this.isConnected) {
      this.abandonedDraw = true;
      return;
    }
    // Autoplay is motion the reader did not ask for: not when they ask the system for less.
    const autoplay = values.autoplay && !matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.setStatus(this.t(values.autoplay && !autoplay ? 'autoplayOff' : 'pressPlay'));
    if (autoplay || wasActive) this.start();
  }

  /** What to show before the first step (subclasses: the real data, say). */
  async idle(_values) {}

  async start() {
    // Attributes that did not parse (their error shown) give no recipe to train.
    if (!this.attributesValid || !this.isConnected) return;
    // The learning rate in the box, which may have been typed before Play.
    const lr = this.#lrInBox();
    if (lr === null) return;
    const v = { ...this.values, lr };
    const me = (this.runToken = {});
    this.startedLr = lr;
    let spec;
    try {
      // The model this element trains comes from the library's catalog, by element name.
      const { trainers } = await this.call('catalog');
      if (this.runToken !== me || !this.isConnected) return;
      spec = this.spec(v, trainers[this.localName]);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.setState('starting');
    this.setStatus(this.t('building'));
    const payload = { spec, seed: v.seed, dataset: v.trainingSet, maxSteps: v.maxSteps, previewEvery: v.previewEvery };
    this.call('trainStart', payload, (p) => {
      if (this.runToken === me) this.#onProgress(p);
    }).then(
      () => {
        if (this.runToken === me) this.setState('idle');
      },
      (err) => {
        if (this.runToken !== me) return;
        this.setState('idle');
        this.fail(err);
      },
    );
  }

  #onProgress(p) {
    if (p.event === 'started') {
      this.setState('running');
      this.clearError();
      // A rate typed while the run was starting (nothing to send it to then) applies now.
      if (Number(this.$('.lr').value) !== this.startedLr) this.#setLr();
      if (!this.visible) this.visibilityChanged(false); // scrolled away while the model was built
    } else if (p.event === 'steps') {
      this.step = p.step;
      if (this.stepFailed) {
        // Training goes on after the step that failed (resumed, at another rate say).
        this.stepFailed = false;
        this.clearError();
      }
      const names = Object.keys(p.metrics);
      const main = SHOWN_METRICS.filter((k) => k in p.metrics);
      const shown = (main.length ? main : names.slice(0, 3)).map((k) => `${k} ${fmtMetric(p.metrics[k])}`).join(' · ');
      this.setStatus(this.t('trainStatus', p.step, p.stepsPerSec, shown), { announce: false });
      this.emit('latentlab-progress', { step: p.step, epochs: p.epochs, metrics: p.metrics, stepsPerSec: p.stepsPerSec });
    } else if (p.event === 'preview') {
      this.drawPreview(p);
      this.dataset.previews = String(Number(this.dataset.previews ?? 0) + 1);
    } else if (p.event === 'state') {
      this.setState(p.state);
      if (p.error) {
        this.stepFailed = true;
        this.fail(new Error(p.error));
      }
      if (p.state === 'paused' && !this.autoPaused) this.setStatus(`${this.t('trainStatus', p.step)} · ${this.t(p.reason === 'limit' ? 'atLimit' : 'paused')}`);
      // Paused for being off screen, but back in view before the worker said so: go on.
      if (p.state === 'paused' && this.autoPaused && this.visible && p.reason === 'user') {
        this.autoPaused = false;
        this.call('trainResume').catch(() => {});
      }
    }
  }

  async togglePlay() {
    try {
      if (this.state === 'idle') this.start();
      else if (this.state === 'running') {
        this.autoPaused = false; // the reader's pause: coming back into view does not undo it
        this.userPaused = true;
        await this.call('trainPause');
      }
      else if (this.state === 'paused') {
        this.autoPaused = false;
        this.userPaused = false;
        const limit = this.values.maxSteps;
        await this.call('trainResume', { maxSteps: limit && this.step >= limit ? 0 : limit });
      }
    } catch (err) {
      this.fail(err);
    }
  }

  async resetRun() {
    this.runToken = null;
    this.autoPaused = false;
    this.userPaused = false;
    if (this.state !== 'idle') await this.call('trainReset').catch(() => {});
    this.setState('idle');
    this.step = 0;
  }

  /**
   * The learning rate in the box, or null when it is out of range: the error is shown, and the
   * box is marked invalid and described by it.
   */
  #lrInBox() {
    const { min, max } = this.constructor.attributes.lr;
    const box = this.$('.lr');
    const text = box.value;
    const lr = Number(text);
    if (text.trim() === '' || !(lr >= min && lr <= max)) {
      this.lrRefused = true;
      this.fail(new Error(this.t('badLr', min, max, text)));
      box.setAttribute('aria-invalid', 'true');
      box.setAttribute('aria-describedby', this.errorEl.id);
      return null;
    }
    if (this.lrRefused) {
      this.lrRefused = false;
      this.clearError();
      box.removeAttribute('aria-invalid');
      box.removeAttribute('aria-describedby');
    }
    return lr;
  }

  async #setLr() {
    const lr = this.#lrInBox();
    // Idle: Play starts with it; starting: it is sent once the run has started.
    if (lr === null || this.state === 'idle' || this.state === 'starting') return;
    try {
      await this.call('trainSetLr', { lr });
      this.setStatus(this.t('lrNow', lr));
    } catch (err) {
      this.fail(err);
    }
  }

  /** Off screen a running trainer pauses (saving the reader's CPU) and resumes on return. */
  visibilityChanged(visible) {
    super.visibilityChanged(visible);
    if (!visible && this.state === 'running' && !this.userPaused) {
      this.autoPaused = true;
      this.call('trainPause').catch(() => {});
    } else if (visible && this.autoPaused && this.state === 'paused') {
      this.autoPaused = false;
      this.call('trainResume').catch(() => {});
    }
  }

  connectedCallback() {
    super.connectedCallback();
    // Put back after it gave up a draw for being removed: draw again.
    if (this.abandonedDraw) {
      this.abandonedDraw = false;
      this.render();
    }
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    // Moved in the DOM (removed and inserted again in one task) the run goes on; removed, it ends.
    queueMicrotask(() => {
      if (!this.isConnected) this.resetRun();
    });
  }
}

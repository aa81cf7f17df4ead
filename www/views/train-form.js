// The Train view's form: its menus, starting values and limits come from the library's catalog
// (presets, datasets, suggested presets, recipes, limits), and it becomes a TrainSpec.

import { markField, numberField, refuse, setLimits } from '../fields.js';
import { el } from '../ui.js';

/** `f`: the form's inputs by name; `hint`: where its notes go. */
export function createTrainForm(f, view, hint) {
  /** The library's presets and datasets; the menus are filled from it. */
  let lib = null;
  const preset = () => lib?.presets.find((p) => p.id === f.kind.value) ?? null;
  const presetLabel = () => preset()?.label ?? f.kind.value;

  /** The library's starting recipe for the current preset, dataset and backbone. */
  const recipe = () => lib?.recipes.find((r) => r.preset === f.kind.value && r.dataset === f.dataset.value && r.arch === f.arch.value)?.recipe;

  function isToy() {
    return lib?.datasets.find((d) => d.name === f.dataset.value)?.kind === 'points';
  }

  function fillMenus(catalog) {
    lib = catalog;
    f.kind.textContent = '';
    for (const p of catalog.presets) f.kind.append(el('option', { value: p.id, text: p.label }));
    f.kind.value = catalog.fallback.images;
    f.dataset.textContent = '';
    for (const d of catalog.datasets) {
      const text = d.kind === 'images' ? `${d.label} (10k images)` : `2-D: ${d.label}`;
      f.dataset.append(el('option', { value: d.name, text }));
    }
    f.dataset.value = catalog.datasets.find((d) => d.kind === 'images')?.name ?? '';
    // What the browser's trainer accepts (it refuses the same specs itself).
    const L = catalog.limits;
    setLimits(f.latent, L.latent_dim);
    setLimits(f.pack, L.pack);
    setLimits(f.batch, L.batch_size);
    setLimits(f.beta, L.beta);
    setLimits(f.lr, L.lr);
    f.lr.dataset.above = '';
    setLimits(f.seed, L.seed);
    lastDataset = f.dataset.value;
    applyConstraints();
  }

  /**
   * A new dataset: where the library proposes another kind for it than for the last one (a GAN
   * for 2-D mixtures, a VAE for images), that kind; then the kind's recipe for the data. A kind
   * chosen by hand stays while the proposal does not change (MNIST → Fashion-MNIST).
   */
  let lastDataset = null;
  function datasetChanged() {
    const suggested = lib?.suggested[f.dataset.value];
    if (suggested && suggested !== lib.suggested[lastDataset]) f.kind.value = suggested;
    lastDataset = f.dataset.value;
    applyConstraints();
  }

  /** Keeps choices consistent and sets the defaults that suit them (from the library). */
  function applyConstraints({ resetDefaults = true } = {}) {
    if (!lib) return;
    const toy = isToy();
    for (const opt of f.kind.options) opt.disabled = toy && lib.presets.find((p) => p.id === opt.value)?.images_only;
    if (f.kind.selectedOptions[0]?.disabled) f.kind.value = toy ? lib.fallback.points : lib.fallback.images;
    f.arch.querySelector('option[value="conv"]').disabled = toy;
    if (toy) f.arch.value = 'mlp';
    const p = preset();
    const conv = f.arch.value === 'conv';
    view.querySelector('.beta-only').hidden = !p?.fields.includes('beta');
    view.querySelector('.gan-only').hidden = !p?.fields.includes('pack');
    view.querySelector('.image-data-only').hidden = toy;
    const r = recipe();
    const notes = [];
    if (conv) notes.push('Convolutional steps cost more than MLP steps: on 2 threads the defaults take from about 10 ms (a VAE at batch 16) to 60–170 ms (the DCGAN at batch 64) a step, by machine.');
    if (r?.note) notes.push(r.note);
    if (toy) notes.push('2-D toys train MLPs only; some models need images.');
    if (p?.note) notes.push(p.note);
    if (toy && p?.points_note) notes.push(p.points_note);
    hint.textContent = notes.join(' ');
    if (resetDefaults && r) {
      f.lr.value = String(r.lr);
      f.batch.value = String(r.batch_size);
      f.preview.value = String(r.preview_every);
      f.pack.value = String(r.pack);
      f.hidden.value = r.hidden ? r.hidden.join(',') : '';
    }
  }

  /** The hidden widths (null: the default), within the library's limits on width and depth. */
  function hiddenWidths() {
    const s = f.hidden.value.trim();
    markField(f.hidden, null);
    if (!s) return null;
    const [wLo, wHi] = lib.limits.hidden_width;
    const [nLo, nHi] = lib.limits.hidden_layers;
    const parts = s.split(/[\s,]+/).filter(Boolean);
    const bad = parts.find((t) => !/^\d+$/.test(t) || Number(t) < wLo || Number(t) > wHi);
    if (bad !== undefined) refuse(f.hidden, `Hidden widths must be whole numbers from ${wLo} to ${wHi} separated by commas (e.g. 400 or 256,128), got ${bad}`);
    if (parts.length < nLo || parts.length > nHi) refuse(f.hidden, `Hidden widths list ${nLo} to ${nHi} layers, got ${parts.length}`);
    return parts.map(Number);
  }

  /**
   * The TrainSpec and the run options `{seed, maxSteps, previewEvery}`. Every field is checked
   * (each bad one gets its message beside it); the first message is thrown.
   */
  function buildSpec() {
    const p = preset();
    if (!p) throw new Error('the model menu is not loaded yet');
    const errors = [];
    const read = (fn) => {
      try {
        return fn();
      } catch (err) {
        errors.push(err);
        return null;
      }
    };
    const model = { ...p.spec, arch: f.arch.value };
    // The recipe's BatchNorm (the DCGAN's); the form has no field for it.
    const r = recipe();
    if (r?.batch_norm) model.batch_norm = true;
    if (r?.d_batch_norm) model.d_batch_norm = true;
    // Read in the form's order: the first refused field is the first to fix.
    const latent = read(() => numberField(f.latent, { optional: true }));
    if (latent !== null) model.latent_dim = latent;
    const hidden = read(hiddenWidths);
    if (hidden) model.hidden = hidden;
    if (p.fields.includes('beta')) model.beta = read(() => numberField(f.beta));
    if (p.fields.includes('pack')) {
      const pack = read(() => numberField(f.pack, { optional: true }));
      if (pack && pack > 1) model.pack = pack;
    }
    const lr = read(() => numberField(f.lr));
    const batch = read(() => numberField(f.batch, { optional: true })) ?? recipe()?.batch_size;
    // The discriminator judges the batch in packs: the library refuses a batch they do not fill.
    if (model.pack && batch && batch % model.pack) {
      read(() => refuse(f.pack, `Pack (PacGAN) must divide the batch size (${batch}), got ${model.pack}`));
    }
    const run = {
      seed: read(() => numberField(f.seed)),
      previewEvery: read(() => numberField(f.preview)),
      maxSteps: read(() => numberField(f.stop, { optional: true })) ?? 0,
    };
    if (errors.length) throw errors[0];
    const spec = { model, lr, batch_size: batch };
    if (!isToy() && f.binarize.checked) spec.binarize = true;
    return { spec, run };
  }

  return { fillMenus, applyConstraints, datasetChanged, buildSpec, presetLabel };
}

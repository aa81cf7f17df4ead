// The Train view's form: its menus and starting values come from the library's catalog
// (presets, datasets, recipes), and it becomes a TrainSpec.

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
    const notes = [];
    if (conv) notes.push('Convolutional models are much slower in WebAssembly than MLPs (a DCGAN step takes 0.5–2 s): keep batches small.');
    if (toy) notes.push('2-D toys train MLPs only; some models need images.');
    if (p?.note) notes.push(p.note);
    if (toy && p?.points_note) notes.push(p.points_note);
    hint.textContent = notes.join(' ');
    const r = recipe();
    if (resetDefaults && r) {
      f.lr.value = String(r.lr);
      f.batch.value = String(r.batch_size);
      f.preview.value = String(r.preview_every);
      f.pack.value = String(r.pack);
    }
  }

  function intOrNull(input, what, lo, hi) {
    const s = input.value.trim();
    if (!s) return null;
    const v = Number(s);
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} must be a whole number from ${lo} to ${hi}, got "${s}"`);
    return v;
  }

  function buildSpec() {
    const p = preset();
    if (!p) throw new Error('the model menu is not loaded yet');
    const model = { ...p.spec, arch: f.arch.value };
    if (p.fields.includes('beta')) {
      const b = Number(f.beta.value);
      if (!(b >= 0)) throw new Error(`β must be a number ≥ 0, got "${f.beta.value}"`);
      model.beta = b;
    }
    const latent = intOrNull(f.latent, 'Latent dim', 1, 512);
    if (latent !== null) model.latent_dim = latent;
    if (f.hidden.value.trim()) {
      const parts = f.hidden.value.split(/[\s,]+/).filter(Boolean).map(Number);
      if (!parts.length || parts.some((v) => !Number.isInteger(v) || v < 1 || v > 4096)) {
        throw new Error(`Hidden widths must be whole numbers separated by commas (e.g. 400 or 256,128), got "${f.hidden.value}"`);
      }
      model.hidden = parts;
    }
    if (p.fields.includes('pack')) {
      const pack = intOrNull(f.pack, 'Pack', 1, 8);
      if (pack && pack > 1) model.pack = pack;
    }
    const lr = Number(f.lr.value);
    if (!(lr > 0)) throw new Error(`Learning rate must be a positive number, got "${f.lr.value}"`);
    const spec = { model, lr, batch_size: intOrNull(f.batch, 'Batch size', 1, 1024) ?? recipe()?.batch_size };
    if (!isToy() && f.binarize.checked) spec.binarize = true;
    return spec;
  }

  return { fillMenus, applyConstraints, buildSpec, presetLabel };
}

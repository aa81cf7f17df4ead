// Latent arithmetic: an attribute vector (mean code of set A minus mean code of set B, the sets
// being two classes or picked test images) added with a weight α to the codes of B's images;
// and, for a conditional model, one code decoded as every class. The library computes both
// (Network::attribute_vector, shift_decode, decode_across_classes); this file picks and draws.

import { numberField, readFields } from '../fields.js';
import { drawImageGrid, imagePicker, latestOnly, randomSeed, setAnnounce, showUnsupported } from '../ui.js';

const PICKER_COUNT = 48;
const PICKER_COLS = 16;
const PICKER_GAP = 2;
const TARGETS = 8; // images of B moved along the vector
const ROWS = 4; // codes shown across the classes

export function createArithmeticView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-arithmetic');
  const notice = $('arith-notice');
  const body = $('arith-body');
  const status = $('arith-status');
  const attrPart = $('arith-attr');
  const classesPart = $('arith-classes');
  const selA = $('arith-a');
  const selB = $('arith-b');
  const alpha = $('arith-alpha');
  const alphaOut = $('arith-alpha-out');
  const picker = $('arith-picker');
  const pickerCanvas = $('arith-picker-canvas');
  const originals = $('arith-originals');
  const shifted = $('arith-shifted');
  const seedIn = $('arith-seed');
  const fromTests = $('arith-from-tests');
  const classGrid = $('arith-class-grid');

  let vector = null; // {key, v, countA, countB}
  let tests = null; // the picker's test images
  const picked = new Map(); // test image index → 'a' | 'b'
  const sets = () => view.querySelector('input[name="arith-sets"]:checked').value;
  // A pick (click, or Enter on the keyboard cursor) puts an image in A, the next in B, the third leaves it out.
  const chooser = imagePicker(pickerCanvas, {
    cols: PICKER_COLS,
    gap: PICKER_GAP,
    marks: () => [...picked],
    onPick(i) {
      const next = { undefined: 'a', a: 'b', b: undefined }[picked.get(i)];
      if (next) picked.set(i, next);
      else picked.delete(i);
      renderAttr();
    },
  });

  /** Which parts apply to a model: {attr, classes}, from its card. */
  async function parts(info) {
    const images = info.is_image && (await ctx.datasetKind(info.data?.name)) === 'images';
    return { attr: Boolean(info.has_encoder && !info.num_classes && images), classes: Boolean(info.num_classes && info.latent_dim) };
  }

  function reason(info, p) {
    if (p.attr || p.classes) return null;
    return `Latent arithmetic needs an encoder and test images (attribute vectors) or a class-conditional model (one code across the classes); this ${info.kind} has neither.`;
  }

  async function ensureTests(info) {
    const dataset = info.data?.name;
    if (tests?.dataset !== dataset) {
      tests = { ...(await ctx.call('testImages', { dataset, start: 0, count: PICKER_COUNT })), dataset, names: info.data?.class_names };
      picked.clear();
    }
    chooser.draw(tests);
  }

  /** The two sets and the images to move, as the worker's Set specs; null if one is empty. */
  function chosenSets() {
    if (sets() === 'classes') {
      const [a, b] = [Number(selA.value), Number(selB.value)];
      return { a: { class: a }, b: { class: b }, targets: { class: b, count: TARGETS } };
    }
    const of = (w) => [...picked].filter(([, x]) => x === w).map(([i]) => i).sort((x, y) => x - y);
    const [a, b] = [of('a'), of('b')];
    if (!a.length || !b.length) return null;
    return { a: { indices: a }, b: { indices: b }, targets: { indices: b.slice(0, TARGETS) } };
  }

  /** `announce`: false while α moves (its results are said once it is let go). */
  const renderAttr = latestOnly(async (announce = true) => {
    const info = ctx.info;
    setAnnounce(status, announce);
    const picking = sets() === 'picked';
    picker.hidden = !picking;
    for (const e of view.querySelectorAll('.classes-only')) e.hidden = picking;
    alphaOut.value = Number(alpha.value).toFixed(2);
    view.dataset.state = 'busy';
    try {
      if (picking) await ensureTests(info);
      const chosen = chosenSets();
      if (!chosen) {
        status.textContent = 'Pick at least one test image for A and one for B.';
        view.dataset.state = 'empty';
        return;
      }
      const key = JSON.stringify([info.source, chosen.a, chosen.b]);
      if (vector?.key !== key) vector = { key, ...(await ctx.call('attributeVector', { a: chosen.a, b: chosen.b })) };
      const t0 = performance.now();
      const res = await ctx.call('shiftLatents', { targets: chosen.targets, v: vector.v, alpha: Number(alpha.value), originals: true });
      drawImageGrid(originals, res.originals, { cols: res.n, gap: 1 });
      drawImageGrid(shifted, res.output, { cols: res.n, gap: 1 });
      view.dataset.alpha = alpha.value;
      status.textContent = `Vector from ${vector.countA} images of A and ${vector.countB} of B (|v| = ${Math.hypot(...vector.v).toFixed(2)}); ${res.n} images moved by α = ${Number(alpha.value).toFixed(2)} in ${(performance.now() - t0).toFixed(0)} ms.`;
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Latent arithmetic failed: ${err.message}`;
      ctx.showError(err, 'Latent arithmetic failed');
    }
  });

  const renderClasses = latestOnly(async () => {
    const info = ctx.info;
    setAnnounce(status, true); // where moving α last left the status line quiet
    const encoded = fromTests.checked && info.has_encoder;
    const seed = encoded ? null : readFields(() => numberField(seedIn), status);
    if (!encoded && seed === null) return;
    view.dataset.state = 'busy';
    try {
      const payload = encoded ? { targets: { indices: [...Array(ROWS).keys()] } } : { n: ROWS, seed, temperature: 1 };
      const res = await ctx.call('acrossClasses', payload);
      const grid = res.originals ? withOriginals(res) : res.output;
      const cols = res.cols + (res.originals ? 1 : 0);
      drawImageGrid(classGrid, grid, { cols, gap: 1 });
      $('arith-class-caption').textContent = `Each row: one code${res.originals ? ' (the test image on the left, encoded with its label)' : ` drawn from seed ${payload.seed}`} decoded as each class, ${(info.data?.class_names ?? []).slice(0, res.cols).join(', ')}.`;
      classGrid.dataset.cols = String(cols);
      status.textContent = `${res.rows} codes × ${res.cols} classes.`;
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Decoding across classes failed: ${err.message}`;
      ctx.showError(err, 'Decoding across classes failed');
    }
  });

  /** Each row's test image followed by its decodings as every class, as one Output. */
  function withOriginals(res) {
    const { h, w } = res.output;
    const tile = h * w * 4;
    const rgba = new Uint8Array((res.rows * (res.cols + 1)) * tile);
    for (let r = 0; r < res.rows; r++) {
      const at = r * (res.cols + 1) * tile;
      rgba.set(res.originals.rgba.subarray(r * tile, (r + 1) * tile), at);
      rgba.set(res.output.rgba.subarray(r * res.cols * tile, (r + 1) * res.cols * tile), at + tile);
    }
    return { kind: 'images', n: res.rows * (res.cols + 1), h, w, rgba };
  }

  async function render() {
    const info = ctx.info;
    if (!info) return;
    const p = await parts(info);
    if (showUnsupported({ view, notice, body, status }, reason(info, p))) return;
    attrPart.hidden = !p.attr;
    classesPart.hidden = !p.classes;
    view.querySelector('#arith-classes .encoder-only').hidden = !info.has_encoder;
    if (p.attr) renderAttr();
    if (p.classes) renderClasses();
  }

  for (const r of view.querySelectorAll('input[name="arith-sets"]')) r.addEventListener('change', () => renderAttr());
  for (const e of [selA, selB]) e.addEventListener('change', () => renderAttr());
  alpha.addEventListener('input', () => renderAttr(false));
  alpha.addEventListener('change', () => renderAttr());
  seedIn.addEventListener('change', () => renderClasses());
  fromTests.addEventListener('change', () => renderClasses());
  $('arith-new-seed').addEventListener('click', () => {
    seedIn.value = String(randomSeed());
    fromTests.checked = false;
    renderClasses();
  });

  return {
    render,
    modelChanged(info) {
      vector = null;
      if (!info.num_classes && info.data?.class_names?.length) {
        // Two classes to start from: the first and the second.
        ctx.fillClasses(selA, { ...info, num_classes: info.data.class_names.length });
        ctx.fillClasses(selB, { ...info, num_classes: info.data.class_names.length });
        if (selA.value === selB.value && selB.options.length > 1) selB.value = selB.options[1].value;
      }
    },
  };
}

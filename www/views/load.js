// Load: a dropped or picked .safetensors checkpoint becomes the current model; anything else
// gets a clear message and the page carries on with the model it had.

import { fmtBytes } from '../ui.js';

const MAX_BYTES = 512 * 1024 * 1024;

export function createLoadView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-load');
  const drop = $('load-drop');
  const input = $('load-file');
  const errorEl = $('load-error');
  const status = $('load-status');

  async function take(file) {
    if (!file) return;
    errorEl.hidden = true;
    view.dataset.state = 'busy';
    status.textContent = `Reading ${file.name} (${fmtBytes(file.size)})…`;
    try {
      if (file.size > MAX_BYTES) throw new Error(`${file.name} is ${fmtBytes(file.size)}; Latent Lab checkpoints are far smaller`);
      const bytes = await file.arrayBuffer();
      const info = await ctx.addModel({ title: `File: ${file.name}`, bytes, name: file.name });
      status.textContent = `Loaded ${file.name}: ${info.summary}, ${info.data?.name ?? '?'} data. It is now the current model (see the picker above).`;
      view.dataset.state = 'ready';
    } catch (err) {
      errorEl.textContent = `Could not load it: ${err.message}`;
      errorEl.hidden = false;
      status.textContent = ctx.info ? `Still using: ${ctx.info.summary}.` : '';
      view.dataset.state = 'error';
    } finally {
      input.value = '';
    }
  }

  input.addEventListener('change', () => take(input.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take(e.dataTransfer?.files?.[0]);
  });
  // Dropping a file anywhere else must not navigate away from the page.
  for (const ev of ['dragover', 'drop']) window.addEventListener(ev, (e) => e.preventDefault());

  return { render() {} };
}

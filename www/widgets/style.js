// The widgets' shared stylesheet, adopted by every shadow root (a constructed sheet: no inline
// <style>, so a page's `style-src 'self'` does not block it). Theme with the custom properties
// below, set on the element or any ancestor; `::part(box)`, `::part(canvas)` reach inside.

const CSS = `
  :host {
    --_fg: var(--latentlab-fg, #1f2937);
    --_bg: var(--latentlab-bg, #ffffff);
    --_muted: var(--latentlab-muted, #6b7280);
    --_border: var(--latentlab-border, #e2e5ea);
    --_accent: var(--latentlab-accent, #4338ca);
    --_error: var(--latentlab-error, #b91c1c);
    --_radius: var(--latentlab-radius, 8px);
    --_canvas-bg: var(--latentlab-canvas-bg, #262930);
    display: inline-block; max-width: 100%; vertical-align: top;
    font: var(--latentlab-font, 14px/1.4 system-ui, sans-serif); color: var(--_fg);
    accent-color: var(--_accent);
  }
  :host([hidden]) { display: none; }
  .box { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 10px;
    border: 1px solid var(--_border); border-radius: var(--_radius); background: var(--_bg);
    max-width: 100%; box-sizing: border-box; }
  canvas { image-rendering: pixelated; image-rendering: crisp-edges; background: var(--_canvas-bg);
    border-radius: 4px; max-width: 100%; height: auto; }
  canvas.points { image-rendering: auto; background: #fff; border: 1px solid var(--_border); }
  canvas[hidden], figure[hidden], .hide { display: none; }
  .reserved { visibility: hidden; }
  canvas.pad { touch-action: none; cursor: crosshair; }
  .row { display: flex; gap: 8px 10px; align-items: center; flex-wrap: wrap; justify-content: center; max-width: 100%; }
  figure { margin: 0; display: flex; flex-direction: column; align-items: center; gap: 4px; max-width: 100%; }
  figcaption { color: var(--_muted); font-size: 12px; text-align: center; }
  button, select, input { font: inherit; font-size: 13px; color: inherit; }
  button { padding: 4px 12px; border: 1px solid var(--_border); border-radius: 6px; background: var(--_bg); cursor: pointer; }
  button:hover { filter: brightness(0.96); }
  button:disabled { opacity: 0.5; cursor: default; }
  :focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
  label { display: inline-flex; gap: 4px; align-items: center; font-size: 13px; }
  input[type=number] { width: 6em; }
  input[type=range] { width: 100%; }
  .status { color: var(--_muted); font-size: 12px; text-align: center; }
  .error { color: var(--_error); font-size: 13px; white-space: pre-wrap; text-align: center; max-width: 340px; }
  .error:empty { display: none; }
`;

let sheet = null;

/** The one constructed stylesheet the widgets share. */
export function widgetSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

// In-page validation of the views' number fields. A field's limits are its `min` / `max`
// attributes (the Train form sets them from the library's catalog, see train-form.js);
// `step="1"` makes it whole-numbered and `data-above` makes `min` exclusive. A value outside
// them is refused with a message beside the field that names the limit: never clamped or
// wrapped, and never left to the browser's own bubble (the forms are `novalidate`).

/** The field's name for messages: its `data-label`, else its label's leading text. */
function fieldName(input) {
  const label = input.closest('label');
  const text = input.dataset.label ?? [...(label?.childNodes ?? [])].find((n) => n.nodeType === Node.TEXT_NODE)?.textContent;
  return (text ?? input.id).trim();
}

/** What `input` accepts, in words: "a whole number from 1 to 1024". */
export function limitText(input) {
  const whole = input.step === '1';
  const lo = input.min === '' ? null : Number(input.min);
  const hi = input.max === '' ? null : Number(input.max);
  const what = whole ? 'a whole number' : 'a number';
  if (lo !== null && input.dataset.above !== undefined) return `${what} above ${lo}${hi === null ? '' : ` and at most ${hi}`}`;
  if (lo !== null && hi !== null) return `${what} from ${lo} to ${hi}`;
  if (lo !== null) return `${what} ≥ ${lo}`;
  if (hi !== null) return `${what} ≤ ${hi}`;
  return what;
}

/**
 * Shows `message` beside `input` (null clears it); the message goes when the field is edited.
 * It follows the field's label, not inside it (it would become part of the field's name), and
 * describes the field. It is no alert: the view says it once in its summary (Train's error
 * line, the other views' status).
 */
export function markField(input, message) {
  const id = `${input.id}-error`;
  let note = document.getElementById(id);
  if (!message) {
    note?.remove();
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
    return;
  }
  if (!note) {
    note = document.createElement('span');
    note.className = 'field-error';
    note.id = id;
    (input.closest('label') ?? input).after(note);
    input.addEventListener('input', () => markField(input, null), { once: true });
  }
  note.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', id);
}

/** Refuses `input` with `message` (shown beside it) by throwing an Error carrying it. */
export function refuse(input, message) {
  markField(input, message);
  const err = new Error(message);
  err.field = input;
  throw err;
}

/**
 * The number in `input` within its limits; `null` when it is empty and `optional`. Otherwise
 * throws an Error naming the limit, with the same message shown beside the field.
 */
export function numberField(input, { optional = false } = {}) {
  const s = input.value.trim();
  markField(input, null);
  if (s === '' && !input.validity?.badInput) {
    if (optional) return null;
    refuse(input, `${fieldName(input)} must be ${limitText(input)}: it is empty`);
  }
  const v = Number(s);
  const lo = input.min === '' ? -Infinity : Number(input.min);
  const hi = input.max === '' ? Infinity : Number(input.max);
  const above = input.dataset.above !== undefined;
  const ok = s !== '' && Number.isFinite(v) && (above ? v > lo : v >= lo) && v <= hi && (input.step !== '1' || Number.isInteger(v));
  if (!ok) refuse(input, `${fieldName(input)} must be ${limitText(input)}, got ${s === '' ? 'something that is not a number' : s}`);
  return v;
}

/** Sets `input`'s limits to `[min, max]`. */
export function setLimits(input, [min, max]) {
  input.min = String(min);
  input.max = String(max);
}

/**
 * `read()` (which reads fields with `numberField`), or null when a field refused its value:
 * the message is then beside the field and in `status`, and the view keeps what it drew.
 */
export function readFields(read, status) {
  try {
    return read();
  } catch (err) {
    if (!err.field) throw err;
    status.textContent = err.message;
    return null;
  }
}

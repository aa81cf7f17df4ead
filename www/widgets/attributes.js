// Attribute specs for the widgets: each attribute is declared once with its type, range and
// default; values are parsed strictly (a malformed or out-of-range value is an error the widget
// shows, never a silent clamp) and reflected as camelCase properties.
//
// Spec fields: type 'int' | 'number' | 'string' | 'enum' | 'bool'; min, max (inclusive);
// values (enum); default (null: decided by the widget from the model, e.g. the sample count).

/** "batch-size" → "batchSize". */
export const propertyName = (attr) => attr.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/** A number in decimal notation: 0.5, -2, .5, 1e-3 (not "0x0A", "0b1", "Infinity" or ""). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function range(spec) {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return ` ≥ ${spec.min}`;
  return '';
}

/** The value of attribute `name` (raw string or null) under `spec`; throws a readable Error. */
export function parseAttribute(name, spec, raw) {
  if (spec.type === 'bool') return raw !== null;
  if (raw === null) {
    if (spec.required) throw new Error(`set the ${name} attribute${spec.hint ? ` (${spec.hint})` : ''}`);
    return spec.default ?? null;
  }
  const s = raw.trim();
  switch (spec.type) {
    case 'int': {
      const v = Number(s);
      if (!/^[+-]?\d+$/.test(s) || !Number.isSafeInteger(v) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        throw new Error(`${name} must be a whole number${range(spec)}, got "${raw}"`);
      }
      return v;
    }
    case 'number': {
      const v = Number(s);
      // Decimal notation only: Number() would also read "0x0A" as 10.
      if (!DECIMAL.test(s) || !Number.isFinite(v) || (spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        throw new Error(`${name} must be a number${range(spec)}, got "${raw}"`);
      }
      if (spec.positive && !(v > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
      return v;
    }
    case 'enum':
      if (!spec.values.includes(s)) throw new Error(`${name} must be one of ${spec.values.map((v) => `"${v}"`).join(', ')}, got "${raw}"`);
      return s;
    default:
      if (!s) throw new Error(`${name} must not be empty`);
      return s;
  }
}

/** {values, errors} for all of `specs` on element `el` (values of bad attributes are omitted). */
export function readAttributes(el, specs) {
  const values = {};
  const errors = [];
  for (const [name, spec] of Object.entries(specs)) {
    try {
      values[propertyName(name)] = parseAttribute(name, spec, el.getAttribute(name));
    } catch (err) {
      errors.push(err.message);
    }
  }
  return { values, errors };
}

/**
 * Defines a property per attribute on `cls.prototype`: the getter gives the parsed value (the
 * default while the attribute is malformed), the setter writes the attribute (null removes it).
 */
export function reflectAttributes(cls, specs) {
  for (const [name, spec] of Object.entries(specs)) {
    Object.defineProperty(cls.prototype, propertyName(name), {
      configurable: true,
      enumerable: true,
      get() {
        try {
          return parseAttribute(name, { ...spec, required: false }, this.getAttribute(name));
        } catch {
          return spec.default ?? null;
        }
      },
      set(v) {
        if (spec.type === 'bool') this.toggleAttribute(name, Boolean(v));
        else if (v === null || v === undefined) this.removeAttribute(name);
        else this.setAttribute(name, String(v));
      },
    });
  }
}

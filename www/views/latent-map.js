// Latent map: for a 2-D latent, the decoded plane over [-r, r]² and the encoded test images
// coloured by class. Other models get an explanation instead.

import { numberField, readFields } from '../fields.js';
import { classColor, drawImageGrid, drawScatter, el, latestOnly, showUnsupported } from '../ui.js';

/** A colour for a latent position: hue from the angle, lightness from the radius. */
function zColor(x, y, range) {
  const hue = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
  const r = Math.min(1, Math.hypot(x, y) / (range * Math.SQRT2));
  return `hsl(${hue.toFixed(0)} 75% ${(70 - 40 * r).toFixed(0)}%)`;
}

export function createLatentMapView(ctx) {
  const $ = (id) => document.getElementById(id);
  const view = $('view-latent-map');
  const notice = $('map-notice');
  const body = $('map-body');
  const gridSel = $('map-grid');
  const rangeIn = $('map-range');
  const classSel = $('map-class');
  const plane = $('map-plane');
  const planePoints = $('map-plane-points');
  const planeCaption = $('map-plane-caption');
  const pointsFig = $('map-points-fig');
  const pointsCanvas = $('map-points');
  const pointsCaption = $('map-points-caption');
  const legend = $('map-legend');
  const status = $('map-status');

  function why(info) {
    if (!info.latent_dim) return `A ${info.kind} has no latent space to map.`;
    if (info.latent_dim !== 2) {
      return (
        `This model’s latent space has ${info.latent_dim} dimensions; a flat map needs exactly 2. ` +
        'Choose a model with a 2-D latent (such as “VAE, 2-D latent”), or train one in the Train view with “Latent dim” set to 2.'
      );
    }
    return null;
  }

  const render = latestOnly(async () => {
    const info = ctx.info;
    if (!info) return;
    if (showUnsupported({ view, notice, body, status }, why(info))) return;
    const range = readFields(() => numberField(rangeIn), status);
    if (range === null) return;
    view.dataset.state = 'busy';
    const grid = Number(gridSel.value);
    const payload = { grid, range, count: 1000 };
    if (info.num_classes) payload.class = Number(classSel.value || 0);
    status.textContent = 'Decoding the plane…';
    try {
      const t0 = performance.now();
      const res = await ctx.call('latentMap', payload, (p) => {
        status.textContent = `Encoding test images: ${p.done} / ${p.total}`;
      });
      const ms = performance.now() - t0;
      const r = `[−${range}, ${range}]²`;
      if (res.plane.kind === 'images') {
        plane.hidden = false;
        planePoints.hidden = true;
        drawImageGrid(plane, res.plane, { cols: grid, gap: 0 });
        planeCaption.textContent = `Decoded plane: the decoder’s output at ${grid} × ${grid} points of z ∈ ${r} (z₁ → right, z₂ → up)`;
      } else {
        plane.hidden = true;
        planePoints.hidden = false;
        const colors = [];
        for (let i = 0; i < grid * grid; i++) colors.push(zColor(res.z[2 * i], res.z[2 * i + 1], range));
        const toy = (await ctx.datasetKind(info.data?.name)) === 'points';
        const real = toy ? await ctx.call('dataPoints', { name: info.data.name, n: 1000 }) : null;
        let bounds = real?.bounds;
        if (!bounds) {
          let m = 1;
          for (const v of res.plane.points) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
          bounds = [-1.15 * m, 1.15 * m, -1.15 * m, 1.15 * m];
        }
        const layers = [{ points: res.plane.points, colors, radius: 3, alpha: 0.9 }];
        if (real) layers.unshift({ points: real.points, color: '#9ca3af', radius: 1.4, alpha: 0.35 });
        drawScatter(planePoints, { bounds, layers });
        const who = info.has_encoder ? 'decoder' : 'generator';
        planeCaption.textContent = `Where the ${who} sends a ${grid} × ${grid} grid of z ∈ ${r}; colour = position of z (hue: angle, shade: radius)${real ? '; grey: real data' : ''}`;
      }
      legend.textContent = '';
      if (res.points) {
        pointsFig.hidden = false;
        const colors = Array.from(res.labels, (l) => classColor(l));
        let outside = 0;
        for (const v of res.points) if (Math.abs(v) > range) outside++;
        drawScatter(pointsCanvas, { bounds: [-range, range, -range, range], layers: [{ points: res.points, colors, radius: 2.4, alpha: 0.8 }] });
        const n = res.labels.length;
        pointsCaption.textContent = `${n} test images, encoded (posterior means), same axes${outside ? ` · ${outside} coordinates fall outside the view` : ''}`;
        res.classNames.forEach((name, k) => legend.append(el('li', {}, el('i', { style: { background: classColor(k) } }), name)));
      } else {
        pointsFig.hidden = true;
      }
      pointsCanvas.dataset.points = String(res.points ? res.labels.length : 0);
      status.textContent = `Map computed in ${ms.toFixed(0)} ms.${
        res.points ? '' : info.has_encoder ? ' (No test set for this data, so no encoded points.)' : ` A ${info.kind} has no encoder, so only the decoded plane is shown.`
      }`;
      view.dataset.state = 'ready';
    } catch (err) {
      view.dataset.state = 'error';
      status.textContent = `Latent map failed: ${err.message}`;
      ctx.showError(err, 'Latent map failed');
    }
  });

  gridSel.addEventListener('change', () => render());
  rangeIn.addEventListener('change', () => render());
  classSel.addEventListener('change', () => render());

  return {
    render,
    modelChanged(info) {
      if (info.num_classes) ctx.fillClasses(classSel, info);
      else classSel.closest('.cond-only').hidden = true;
    },
  };
}

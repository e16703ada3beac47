// Training loss curves: one line per field over the steps, smoothed by a running mean.
import { drawAxes, fitCanvas, mapper } from './viewport.js';

const SMOOTH = 25;

/** Running mean over the last `k` values (NaN values skipped). */
function smooth(values, k) {
  const out = new Float32Array(values.length);
  let sum = 0, count = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) { sum += values[i]; count++; }
    const j = i - k;
    if (j >= 0 && Number.isFinite(values[j])) { sum -= values[j]; count--; }
    out[i] = count ? sum / count : NaN;
  }
  return out;
}

/**
 * `series`: { name: number[] }; each drawn in its own colour with a legend. Options: the running
 * mean's length, the legend text of a name, what an empty plot says, and a value the y axis
 * always shows (0 for rates).
 */
export function drawLossCurves(canvas, series, { window = SMOOTH, legend = (name) => `${name} loss`, empty = 'Loss curves appear while training.', floor = Infinity } = {}) {
  const ctx = fitCanvas(canvas);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const entries = Object.entries(series).map(([name, v]) => [name, smooth(v, window)]).filter(([, v]) => v.some(Number.isFinite));
  const style = getComputedStyle(canvas);
  const dpr = window.devicePixelRatio || 1;
  ctx.fillStyle = style.getPropertyValue('--muted') || '#5c6370';
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  if (!entries.length) {
    ctx.fillText(empty, 8 * dpr, 18 * dpr);
    return;
  }
  const steps = Math.max(...entries.map(([, v]) => v.length));
  let lo = floor, hi = -Infinity;
  for (const [, v] of entries) for (const x of v) if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  const pad = 0.05 * (hi - lo || 1);
  // headroom above the data for the legend, so no line runs under it
  const legendPx = (8 + 14 * entries.length) * dpr;
  const headroom = (hi - lo + 2 * pad) * legendPx / Math.max(1, canvas.height - legendPx);
  const view = { x0: 0, x1: Math.max(steps, 2), y0: lo - pad, y1: hi + pad + headroom };
  drawAxes(ctx, view, { alpha: 0.6 });
  const m = mapper(view, canvas.width, canvas.height);
  const colours = [style.getPropertyValue('--arrow').trim() || '#d55e00', style.getPropertyValue('--point').trim() || '#0072b2', style.getPropertyValue('--path').trim() || '#cc79a7'];
  entries.forEach(([name, v], k) => {
    ctx.strokeStyle = colours[k % colours.length];
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    let started = false;
    v.forEach((y, i) => {
      if (!Number.isFinite(y)) return;
      if (started) ctx.lineTo(m.x(i), m.y(y)); else { ctx.moveTo(m.x(i), m.y(y)); started = true; }
    });
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    if (v.length <= 30) {
      // few points (one per generation): mark each
      v.forEach((y, i) => {
        if (!Number.isFinite(y)) return;
        ctx.beginPath();
        ctx.arc(m.x(i), m.y(y), 3 * dpr, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
    ctx.fillText(legend(name), canvas.width - 110 * dpr, (16 + 14 * k) * dpr);
  });
}

// Vector fields as arrows, and particle trajectories as paths, over a 2D view.
import { drawAxes, fitCanvas, mapper } from './viewport.js';

/**
 * Arrows of the drift at `points`: `drift` is the shown field and, when present, `exact` the
 * exact field at the same points, drawn thinner in a second colour. Lengths are scaled so the
 * longest arrow spans about one grid cell.
 */
export function drawArrows(canvas, points, { drift, exact = null }, view) {
  const ctx = fitCanvas(canvas);
  const m = mapper(view, canvas.width, canvas.height);
  const n = points.length / 2;
  const cell = canvas.width / Math.sqrt(n);
  const style = getComputedStyle(canvas);
  const sets = [[drift, style.getPropertyValue('--arrow').trim() || '#d55e00', 1.6]];
  if (exact) sets.push([exact, style.getPropertyValue('--arrow-exact').trim() || '#f0e442', 1]);
  let max = 1e-9;
  for (let i = 0; i < 2 * n; i += 2) max = Math.max(max, Math.hypot(drift[i], drift[i + 1]));
  const scale = (0.9 * cell) / max;
  const dpr = window.devicePixelRatio || 1;
  for (const [field, color, width] of sets) {
    ctx.strokeStyle = color;
    ctx.lineWidth = width * dpr;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = m.x(points[2 * i]), y = m.y(points[2 * i + 1]);
      const dx = field[2 * i] * scale, dy = -field[2 * i + 1] * scale;
      const len = Math.hypot(dx, dy);
      if (!(len > 0.5)) continue;
      const hx = x + dx, hy = y + dy;
      const head = Math.min(4 * dpr, 0.4 * len);
      const ux = dx / len, uy = dy / len;
      ctx.moveTo(x, y);
      ctx.lineTo(hx, hy);
      ctx.moveTo(hx - head * (ux - 0.5 * uy), hy - head * (uy + 0.5 * ux));
      ctx.lineTo(hx, hy);
      ctx.lineTo(hx - head * (ux + 0.5 * uy), hy - head * (uy - 0.5 * ux));
    }
    ctx.stroke();
  }
}

/** The paths of the first `count` particles through frames 0..upTo (frames may have gaps). */
export function drawPaths(canvas, frames, upTo, view, count) {
  const ctx = fitCanvas(canvas);
  const m = mapper(view, canvas.width, canvas.height);
  const first = frames[0];
  if (!first) return;
  const k = Math.min(count, first.length / 2);
  ctx.strokeStyle = getComputedStyle(canvas).getPropertyValue('--path').trim() || '#cc79a7';
  ctx.globalAlpha = 0.7;
  ctx.lineWidth = window.devicePixelRatio || 1;
  ctx.beginPath();
  for (let i = 0; i < k; i++) {
    let started = false;
    for (let f = 0; f <= upTo; f++) {
      const p = frames[f];
      if (!p) continue;
      const x = m.x(p[2 * i]), y = m.y(p[2 * i + 1]);
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    }
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
}

/**
 * 1D trajectories as a space-time picture: time along x (the grid's times), position up,
 * for the first `count` particles through frames 0..upTo.
 */
export function drawSpaceTime(canvas, frames, upTo, grid, extent, count) {
  const ctx = fitCanvas(canvas);
  const view = { x0: Math.min(grid[0], grid.at(-1)), x1: Math.max(grid[0], grid.at(-1)), y0: extent[0], y1: extent[1] };
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  drawAxes(ctx, view);
  const m = mapper(view, canvas.width, canvas.height);
  const first = frames[0];
  if (!first) return;
  ctx.strokeStyle = getComputedStyle(canvas).getPropertyValue('--point').trim() || '#0072b2';
  ctx.globalAlpha = 0.5;
  ctx.lineWidth = window.devicePixelRatio || 1;
  ctx.beginPath();
  for (let i = 0; i < Math.min(count, first.length); i++) {
    let started = false;
    for (let f = 0; f <= upTo; f++) {
      if (!frames[f]) continue;
      const x = m.x(grid[f]), y = m.y(frames[f][i]);
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    }
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
}

// A density on a grid: a viridis heatmap in 2D, a filled curve in 1D.
import { viridis } from './colormap.js';
import { drawAxes, fitCanvas, mapper } from './viewport.js';

/**
 * Draws `values` (w × h, row 0 at the top of `view`) scaled to the canvas. Colour is
 * √(v / max), so faint mass stays visible.
 */
export function drawHeatmap(canvas, values, w, h, view) {
  const ctx = fitCanvas(canvas);
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const image = new ImageData(w, h);
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = viridis(max > 0 ? Math.sqrt(values[i] / max) : 0);
    image.data.set([r, g, b, 255], 4 * i);
  }
  const tile = new OffscreenCanvas(w, h);
  tile.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(tile, 0, 0, canvas.width, canvas.height);
  drawAxes(ctx, view, { alpha: 0.35 });
}

/** Draws a 1D density curve `values` (evenly spaced over view.x0..x1), y from 0 to view.y1. */
export function drawCurve(canvas, values, view, color) {
  const ctx = fitCanvas(canvas);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  drawAxes(ctx, view);
  const m = mapper(view, canvas.width, canvas.height);
  const dx = (view.x1 - view.x0) / values.length;
  ctx.beginPath();
  ctx.moveTo(m.x(view.x0), m.y(0));
  values.forEach((v, i) => ctx.lineTo(m.x(view.x0 + (i + 0.5) * dx), m.y(v)));
  ctx.lineTo(m.x(view.x1), m.y(0));
  ctx.closePath();
  ctx.fillStyle = color + '55';
  ctx.strokeStyle = color;
  ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
  ctx.fill();
  ctx.stroke();
}

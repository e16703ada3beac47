// Samples: dots in 2D (a shaded point-density image when there are many), a histogram in 1D.
import { stampDots } from './dots.js';
import { drawAxes, fitCanvas, mapper } from './viewport.js';

/** Above this many points, dots become a per-pixel count image (fast for 10⁶ points). */
const DOT_LIMIT = 20000;

/** Dots for `points`; with `keep`, over what the canvas already shows (no clear, no axes). */
export function drawScatter(canvas, points, view, color, marks = [], { keep = false } = {}) {
  const ctx = fitCanvas(canvas);
  const { width: w, height: h } = canvas;
  if (!keep) {
    ctx.clearRect(0, 0, w, h);
    drawAxes(ctx, view);
  }
  const m = mapper(view, w, h);
  const n = points.length / 2;
  if (n <= DOT_LIMIT) {
    const dpr = window.devicePixelRatio || 1;
    const xs = new Float32Array(n), ys = new Float32Array(n);
    for (let i = 0; i < n; i++) { xs[i] = m.x(points[2 * i]); ys[i] = m.y(points[2 * i + 1]); }
    stampDots(ctx, xs, ys, (n > 5000 ? 1.2 : 2) * dpr, hexToRgb(color), n > 5000 ? 0.5 : 0.75);
  } else {
    const counts = new Float32Array(w * h);
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = Math.floor(m.x(points[2 * i])), y = Math.floor(m.y(points[2 * i + 1]));
      if (x >= 0 && y >= 0 && x < w && y < h) max = Math.max(max, ++counts[y * w + x]);
    }
    const image = ctx.getImageData(0, 0, w, h);
    const [r, g, b] = hexToRgb(color);
    const norm = Math.log1p(max);
    for (let i = 0; i < counts.length; i++) {
      if (!counts[i]) continue;
      const a = 0.25 + 0.75 * Math.log1p(counts[i]) / norm;
      image.data.set([r, g, b, Math.round(255 * a)], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }
  drawMarks(ctx, m, marks);
}

/** Small hollow squares at `marks` (e.g. drawn points). */
function drawMarks(ctx, m, marks) {
  const s = 4 * (window.devicePixelRatio || 1);
  ctx.strokeStyle = getComputedStyle(ctx.canvas).getPropertyValue('--fg') || '#000';
  ctx.lineWidth = 1.5;
  for (const [x, y] of marks) ctx.strokeRect(m.x(x) - s / 2, m.y(y) - s / 2, s, s);
}

/**
 * A histogram of 1D samples in density units (bar area sums to the share inside the view),
 * with `bins` bars over view.x0..x1. Returns the tallest bar's height so callers can share
 * a y-scale with a density curve.
 */
export function histogram(samples, view, bins) {
  const counts = new Float32Array(bins);
  const width = (view.x1 - view.x0) / bins;
  for (const v of samples) {
    const i = Math.floor((v - view.x0) / width);
    if (i >= 0 && i < bins) counts[i]++;
  }
  return counts.map((c) => c / (samples.length * width));
}

export function drawHistogram(canvas, heights, view, color) {
  const ctx = fitCanvas(canvas);
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  drawAxes(ctx, view);
  const m = mapper(view, w, h);
  const bw = (view.x1 - view.x0) / heights.length;
  ctx.fillStyle = color;
  heights.forEach((v, i) => {
    const x0 = m.x(view.x0 + i * bw), x1 = m.x(view.x0 + (i + 1) * bw);
    ctx.fillRect(x0, m.y(v), Math.max(1, x1 - x0 - 1), m.y(0) - m.y(v));
  });
}

function hexToRgb(color) {
  const c = color.trim().replace('#', '');
  const full = c.length === 3 ? [...c].map((ch) => ch + ch).join('') : c;
  const v = parseInt(full, 16);
  return Number.isNaN(v) ? [0, 114, 178] : [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

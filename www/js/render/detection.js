// The hallucination lab's pictures: samples coloured by trajectory variance with the
// hallucinated ones ringed and the filtered ones greyed; the 1D log-scale histogram over the
// data density; the histogram of log variance by label; the ROC; one sample's x̂₀ path.
import { viridis } from './colormap.js';
import { drawAxes, fitCanvas, mapper } from './viewport.js';

const css = (el, name, fallback) => getComputedStyle(el).getPropertyValue(name).trim() || fallback;
const rgb = ([r, g, b]) => `rgb(${r | 0},${g | 0},${b | 0})`;
const log10 = (v) => Math.log10(Math.max(v, 1e-30));

/** [lo, hi] of log₁₀ variance (a unit range when all are equal). */
export function logRange(variance) {
  let lo = Infinity, hi = -Infinity;
  for (const v of variance) { lo = Math.min(lo, log10(v)); hi = Math.max(hi, log10(v)); }
  return Number.isFinite(lo) ? [lo, hi > lo ? hi : lo + 1] : [-8, 0];
}

function drawModes(ctx, m, modes, dpr) {
  ctx.strokeStyle = css(ctx.canvas, '--fg', '#000');
  ctx.lineWidth = dpr;
  const s = 4 * dpr;
  for (let i = 0; i < modes.length; i += 2) {
    const x = m.x(modes[i]), y = m.y(modes[i + 1]);
    ctx.beginPath(); ctx.moveTo(x - s, y); ctx.lineTo(x + s, y); ctx.moveTo(x, y - s); ctx.lineTo(x, y + s); ctx.stroke();
  }
}

/**
 * 2D samples: colour = log variance (viridis), grey when filtered by τ, a ring when
 * hallucinated; `frame` (the scrubber) shows xₜ as dots and x̂₀ as small crosses instead.
 */
export function drawDetection(canvas, { points, variance, labels, tau, frame }, view, modes, picked) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  drawAxes(ctx, view);
  const m = mapper(view, canvas.width, canvas.height);
  const [lo, hi] = logRange(variance);
  const colour = (i) => (variance[i] > tau ? css(canvas, '--filtered', '#bbb') : rgb(viridis((log10(variance[i]) - lo) / (hi - lo))));
  const r = 2 * dpr;
  if (frame) {
    const n = frame.x.length / 2;
    ctx.globalAlpha = 0.6;
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = i < variance.length ? colour(i) : css(canvas, '--point', '#0072b2');
      ctx.fillRect(m.x(frame.x[2 * i]) - r / 2, m.y(frame.x[2 * i + 1]) - r / 2, r, r);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = css(canvas, '--halluc', '#d55e00');
    ctx.lineWidth = dpr;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = m.x(frame.x0[2 * i]), y = m.y(frame.x0[2 * i + 1]);
      ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r);
    }
    ctx.stroke();
  } else {
    for (let i = 0; i < variance.length; i++) {
      ctx.fillStyle = colour(i);
      ctx.beginPath();
      ctx.arc(m.x(points[2 * i]), m.y(points[2 * i + 1]), r, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.strokeStyle = css(canvas, '--halluc', '#d55e00');
    ctx.lineWidth = 1.2 * dpr;
    ctx.beginPath();
    for (let i = 0; i < variance.length; i++) {
      if (!labels[i]) continue;
      const x = m.x(points[2 * i]), y = m.y(points[2 * i + 1]);
      ctx.moveTo(x + 3.5 * r, y);
      ctx.arc(x, y, 3.5 * r, 0, 2 * Math.PI);
    }
    ctx.stroke();
    if (picked >= 0) {
      ctx.strokeStyle = css(canvas, '--fg', '#000');
      ctx.lineWidth = 2 * dpr;
      ctx.beginPath();
      ctx.arc(m.x(points[2 * picked]), m.y(points[2 * picked + 1]), 6 * r, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  drawModes(ctx, m, modes, dpr);
}

/** 1D: a log-scale histogram of the samples (kept and filtered stacked) over the data density. */
export function drawLogHistogram(canvas, { points, variance, tau, frame }, view, modes, sigma) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  const bins = 200;
  const width = (view.x1 - view.x0) / bins;
  const values = frame ? frame.x : points;
  const kept = new Float32Array(bins), filtered = new Float32Array(bins);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i] - view.x0) / width);
    if (b < 0 || b >= bins) continue;
    if (!frame && variance[i] > tau) filtered[b]++; else kept[b]++;
  }
  const n = Math.max(1, values.length);
  // density units, on a log axis from 10⁻³ to a bit above the mode peak
  const peak = 1 / (Math.sqrt(2 * Math.PI) * sigma * (modes.length - 1));
  const y0 = -3, y1 = Math.log10(2 * peak);
  const logView = { x0: view.x0, x1: view.x1, y0, y1 };
  const m = mapper(logView, w, h);
  const bar = (b, from, to, colour) => {
    if (to <= 0) return;
    const top = Math.max(y0, Math.log10(to / (n * width))), bottom = from > 0 ? Math.max(y0, Math.log10(from / (n * width))) : y0;
    ctx.fillStyle = colour;
    ctx.fillRect(m.x(view.x0 + b * width), m.y(top), Math.max(1, m.x(view.x0 + (b + 1) * width) - m.x(view.x0 + b * width)), m.y(bottom) - m.y(top));
  };
  for (let b = 0; b < bins; b++) {
    bar(b, 0, kept[b], css(canvas, '--point', '#0072b2'));
    bar(b, kept[b], kept[b] + filtered[b], css(canvas, '--filtered', '#bbb'));
  }
  drawAxes(ctx, logView, { xOnly: true, alpha: 0.7 });
  // the data density: an equal-weight mixture of N(mode, σ²)
  ctx.strokeStyle = css(canvas, '--halluc', '#d55e00');
  ctx.lineWidth = 1.5 * dpr;
  ctx.beginPath();
  const k = modes.length;
  for (let px = 0; px <= w; px += 2) {
    const x = m.invX(px);
    let p = 0;
    for (const mu of modes) p += Math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (Math.sqrt(2 * Math.PI) * sigma * k);
    const y = m.y(Math.max(y0, Math.log10(Math.max(p, 1e-30))));
    if (px === 0) ctx.moveTo(px, y); else ctx.lineTo(px, y);
  }
  ctx.stroke();
  ctx.fillStyle = css(canvas, '--muted', '#666');
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillText('density, log scale (10⁻³ at the bottom)', 6 * dpr, 14 * dpr);
}

/**
 * Histogram of log₁₀ variance, in-support and hallucinated overlaid, each as its share of its
 * own label (hallucinations are a few percent of the samples: counts would hide their shape),
 * above a band for the x labels, with τ as a line.
 */
export function drawVarianceHistogram(canvas, variance, labels, tau) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!variance.length) return;
  const [lo, hi] = logRange(variance);
  const bins = 50;
  const counts = [new Float32Array(bins), new Float32Array(bins)];
  for (let i = 0; i < variance.length; i++) {
    const b = Math.min(bins - 1, Math.floor((log10(variance[i]) - lo) / (hi - lo) * bins));
    counts[labels[i] ? 1 : 0][b]++;
  }
  const shares = counts.map((c) => {
    const total = c.reduce((a, v) => a + v, 0);
    return total ? c.map((v) => v / total) : c;
  });
  const top = Math.max(1e-9, ...shares[0], ...shares[1]);
  const band = 18 * dpr, y1 = 1.1 * top;
  const view = { x0: lo, x1: hi, y0: -y1 * band / (canvas.height - band), y1 };
  drawAxes(ctx, view, { xOnly: true });
  const m = mapper(view, canvas.width, canvas.height);
  const colours = [css(canvas, '--point', '#0072b2'), css(canvas, '--halluc', '#d55e00')];
  shares.forEach((c, k) => {
    ctx.fillStyle = colours[k];
    ctx.globalAlpha = 0.6;
    c.forEach((v, b) => {
      const x0 = m.x(lo + b * (hi - lo) / bins), x1 = m.x(lo + (b + 1) * (hi - lo) / bins);
      ctx.fillRect(x0, m.y(v), Math.max(1, x1 - x0 - 1), m.y(0) - m.y(v));
    });
  });
  ctx.globalAlpha = 1;
  if (Number.isFinite(tau)) {
    ctx.strokeStyle = css(canvas, '--fg', '#000');
    ctx.lineWidth = 1.5 * dpr;
    const x = m.x(log10(tau));
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, canvas.height); ctx.stroke();
  }
}

/** The ROC (removed vs 1 − kept) with the current operating point. */
export function drawRoc(canvas, curve, op) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const view = { x0: 0, x1: 1, y0: 0, y1: 1 };
  drawAxes(ctx, view);
  const m = mapper(view, canvas.width, canvas.height);
  ctx.strokeStyle = css(canvas, '--line', '#ccc');
  ctx.lineWidth = dpr;
  ctx.beginPath(); ctx.moveTo(m.x(0), m.y(0)); ctx.lineTo(m.x(1), m.y(1)); ctx.stroke();
  if (!curve.length) {
    ctx.fillStyle = css(canvas, '--muted', '#666');
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText('The ROC appears once samples of both labels are in.', 8 * dpr, 18 * dpr);
    return;
  }
  ctx.strokeStyle = css(canvas, '--accent', '#0072b2');
  ctx.lineWidth = 2 * dpr;
  ctx.beginPath();
  curve.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, m.x(1 - p.kept), m.y(p.removed)));
  ctx.stroke();
  if (op.removed !== null && op.kept !== null) {
    ctx.fillStyle = css(canvas, '--halluc', '#d55e00');
    ctx.beginPath();
    ctx.arc(m.x(1 - op.kept), m.y(op.removed), 4 * dpr, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/**
 * One sample's x̂₀ per coordinate at the recorded steps (high t on the left), the window K shaded.
 * The y range is the data's `range`; the plot starts once x̂₀ has settled near it: early
 * x̂₀ = (xₜ − √(1−ᾱₜ) ε̂)/√ᾱₜ is huge where ᾱₜ ≈ 0.
 */
export function drawTrajectory(canvas, path, steps, dim, windowK, range) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!steps.length) return;
  const [lo, hi] = range;
  const inside = (v) => v >= lo - (hi - lo) && v <= hi + (hi - lo);
  // start where x̂₀ has settled: from the last recorded step with a coordinate far outside
  let first = 0;
  steps.forEach((_, i) => { for (let d = 0; d < dim; d++) if (!inside(path[i * dim + d])) first = Math.min(i + 1, steps.length - 1); });
  // reverse time runs left to right: the mapper accepts x0 > x1
  const m = mapper({ x0: steps[first], x1: 0, y0: lo, y1: hi }, canvas.width, canvas.height);
  ctx.fillStyle = css(canvas, '--line', '#ddd');
  ctx.fillRect(m.x(windowK - 1), 0, Math.max(2 * dpr, m.x(0) - m.x(windowK - 1)), canvas.height);
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, canvas.width, canvas.height);
  ctx.clip();
  const colours = [css(canvas, '--point', '#0072b2'), css(canvas, '--halluc', '#d55e00')];
  for (let d = 0; d < dim; d++) {
    ctx.strokeStyle = colours[d];
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    for (let i = first; i < steps.length; i++) (i > first ? ctx.lineTo : ctx.moveTo).call(ctx, m.x(steps[i]), m.y(path[i * dim + d]));
    ctx.stroke();
  }
  ctx.restore();
  ctx.fillStyle = css(canvas, '--muted', '#666');
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillText(`x̂₀ in [${lo.toFixed(1)}, ${hi.toFixed(1)}]; t = ${steps[first]} (left) → 0 (right)${dim === 2 ? '; x blue, y orange' : ''}`, 6 * dpr, 14 * dpr);
}

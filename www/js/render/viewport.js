// World ↔ canvas mapping and light axes, shared by every picture.

/** The loading placeholder (placeholder.js) each canvas shows, until a picture is drawn on it. */
export const placeholders = new WeakMap();

/**
 * Sizes the canvas backing store to its CSS box × devicePixelRatio; returns the context. A draw
 * starts here, so it ends the canvas's loading placeholder.
 */
export function fitCanvas(canvas) {
  placeholders.get(canvas)?.stop();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return canvas.getContext('2d');
}

/** A square world box around `extent` ([x0, x1, y0, y1]) with 5% padding. */
export function squareView(extent) {
  const [x0, x1, y0, y1] = extent;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const half = 0.525 * Math.max(x1 - x0, y1 - y0);
  return { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half };
}

/** Maps world coordinates to canvas pixels for a view on a canvas of size w × h. */
export function mapper(view, w, h) {
  const sx = w / (view.x1 - view.x0), sy = h / (view.y1 - view.y0);
  return {
    x: (x) => (x - view.x0) * sx,
    y: (y) => h - (y - view.y0) * sy,
    invX: (px) => view.x0 + px / sx,
    invY: (py) => view.y0 + (h - py) / sy,
  };
}

/** Round tick positions covering [lo, hi], about `count` of them. */
export function ticks(lo, hi, count = 5) {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.abs(t) < 1e-9 ? 0 : t);
  return out;
}

/** Faint grid lines with labels at round values; `alpha` dims them over a heatmap. */
export function drawAxes(ctx, view, { xOnly = false, alpha = 1 } = {}) {
  const { width: w, height: h } = ctx.canvas;
  const m = mapper(view, w, h);
  const dpr = window.devicePixelRatio || 1;
  const style = getComputedStyle(ctx.canvas);
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.strokeStyle = style.getPropertyValue('--line') || '#dde1e8';
  ctx.fillStyle = style.getPropertyValue('--muted') || '#5c6370';
  ctx.lineWidth = dpr;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  for (const t of ticks(view.x0, view.x1)) {
    const x = Math.round(m.x(t)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke();
    ctx.fillText(String(+t.toFixed(6)), x + 3 * dpr, h - 4 * dpr);
  }
  if (!xOnly) {
    for (const t of ticks(view.y0, view.y1)) {
      const y = Math.round(m.y(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
      // a label in the x labels' band along the bottom would print over them
      if (y < h - 16 * dpr) ctx.fillText(String(+t.toFixed(6)), 3 * dpr, y - 3 * dpr);
    }
  }
  ctx.restore();
}

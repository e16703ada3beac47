// Image grids (CHW float pixels in [0, 1], drawn at their own resolution and scaled up by CSS
// without smoothing) and the factor × latent NMI heatmap.
import { viridis } from './colormap.js';
import { fitCanvas, placeholders } from './viewport.js';

/**
 * Draws `count` images of `channels` × `size` × `size` from `pixels` in rows of `columns`,
 * one pixel apart. The canvas gets exactly that many pixels; CSS scales it.
 */
export function drawImageGrid(canvas, pixels, { count, channels, size, columns, highlight = -1 }) {
  placeholders.get(canvas)?.stop();
  const rows = Math.max(1, Math.ceil(count / columns));
  const gap = 1;
  canvas.width = columns * (size + gap) - gap;
  canvas.height = rows * (size + gap) - gap;
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(canvas.width, canvas.height);
  const plane = size * size;
  for (let k = 0; k < count; k++) {
    const ox = (k % columns) * (size + gap), oy = Math.floor(k / columns) * (size + gap);
    const base = k * channels * plane;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const at = ((oy + y) * canvas.width + ox + x) * 4;
        for (let c = 0; c < 3; c++) {
          const v = pixels[base + (channels === 1 ? 0 : c) * plane + y * size + x];
          image.data[at + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
        }
        image.data[at + 3] = 255;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  if (highlight >= 0) {
    ctx.strokeStyle = '#e69f00';
    ctx.lineWidth = 1;
    ctx.strokeRect((highlight % columns) * (size + gap) + 0.5, Math.floor(highlight / columns) * (size + gap) + 0.5, size - 1, size - 1);
  }
}

/** Which grid cell a pointer event hits, or -1. */
export function gridCell(canvas, event, { size, columns, count }) {
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
  const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
  const k = Math.floor(y / (size + 1)) * columns + Math.floor(x / (size + 1));
  return k >= 0 && k < count ? k : -1;
}

/** The NMI matrix (rows: factors, columns: latents) as a viridis heatmap with labels; before a
 *  score, what to do (or, while `scoring`, that it comes). */
export function drawNmi(canvas, { nmi, factors, active, scoring = false }) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  const style = getComputedStyle(canvas);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillStyle = style.getPropertyValue('--muted') || '#5c6370';
  if (!nmi?.length) {
    ctx.fillText(scoring ? 'Scoring on the held-out images…' : 'Score the model to see which latent carries which factor.', 8 * dpr, 18 * dpr);
    return;
  }
  const left = 78 * dpr, top = 8 * dpr, bottom = 20 * dpr;
  const cols = nmi[0].length, rows = nmi.length;
  const cw = (canvas.width - left - 4 * dpr) / cols, ch = (canvas.height - top - bottom) / rows;
  nmi.forEach((row, i) => {
    ctx.fillStyle = style.getPropertyValue('--fg') || '#1d1f24';
    ctx.textAlign = 'right';
    ctx.fillText(factors[i], left - 6 * dpr, top + (i + 0.5) * ch + 4 * dpr);
    row.forEach((v, j) => {
      const [r, g, b] = viridis(v);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(left + j * cw, top + i * ch, cw - 1, ch - 1);
    });
  });
  ctx.textAlign = 'center';
  for (let j = 0; j < cols; j++) {
    ctx.fillStyle = style.getPropertyValue('--muted') || '#5c6370';
    ctx.fillText(`z${j}`, left + (j + 0.5) * cw, canvas.height - 6 * dpr);
    if (!active[j]) {
      ctx.strokeStyle = style.getPropertyValue('--muted') || '#5c6370';
      ctx.beginPath();
      ctx.moveTo(left + j * cw, top);
      ctx.lineTo(left + (j + 1) * cw - 1, top + rows * ch - 1);
      ctx.stroke();
    }
  }
  ctx.textAlign = 'start';
}

/**
 * The codebooks: one row per latent, each value a dot at its position on a shared axis, its
 * area proportional to how often the held-out images use it (hollow when never).
 */
export function drawCodebooks(canvas, { values, usage, latents }) {
  const ctx = fitCanvas(canvas);
  const dpr = window.devicePixelRatio || 1;
  const style = getComputedStyle(canvas);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  const muted = style.getPropertyValue('--muted') || '#5c6370';
  const accent = style.getPropertyValue('--accent').trim() || '#0072b2';
  const columns = values.length / latents;
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi - lo < 1e-6) { lo -= 0.5; hi += 0.5; }
  const left = 34 * dpr, right = 10 * dpr, top = 6 * dpr, bottom = 18 * dpr;
  const x = (v) => left + ((v - lo) / (hi - lo)) * (canvas.width - left - right);
  const rowH = (canvas.height - top - bottom) / latents;
  const total = usage.length ? usage.slice(0, columns).reduce((a, b) => a + b, 0) || 1 : 1;
  ctx.fillStyle = muted;
  ctx.textAlign = 'center';
  ctx.fillText(lo.toFixed(2), x(lo), canvas.height - 4 * dpr);
  ctx.fillText(hi.toFixed(2), x(hi), canvas.height - 4 * dpr);
  ctx.fillText('0', x(0), canvas.height - 4 * dpr);
  ctx.textAlign = 'right';
  for (let j = 0; j < latents; j++) {
    const y = top + (j + 0.5) * rowH;
    ctx.fillStyle = muted;
    ctx.fillText(`z${j}`, left - 8 * dpr, y + 4 * dpr);
    ctx.strokeStyle = muted;
    ctx.globalAlpha = 0.3;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(canvas.width - right, y); ctx.stroke();
    ctx.globalAlpha = 1;
    for (let c = 0; c < columns; c++) {
      const share = usage.length ? usage[j * columns + c] / total : 0.1;
      const r = Math.max(1.5 * dpr, Math.min(rowH / 2 - dpr, (2 + 12 * Math.sqrt(share)) * dpr));
      ctx.beginPath();
      ctx.arc(x(values[j * columns + c]), y, r, 0, 2 * Math.PI);
      if (share > 0) { ctx.fillStyle = accent; ctx.fill(); } else { ctx.strokeStyle = accent; ctx.stroke(); }
    }
  }
  ctx.textAlign = 'start';
}

// Anti-aliased dots stamped into a pixel buffer and blitted once: thousands of dots cost one
// image draw instead of thousands of path arcs for the rasteriser (the particles of a playing
// sampler are redrawn every frame). The buffers are kept from frame to frame.

/** Whether this machine stores the low byte of a Uint32 first (how RGBA bytes map to one word). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Scratch canvas and buffers for one canvas size. */
let scratch = null;

function buffers(w, h) {
  if (!scratch || scratch.canvas.width !== w || scratch.canvas.height !== h) {
    const canvas = scratch?.canvas ?? document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const image = canvas.getContext('2d').createImageData(w, h);
    scratch = {
      canvas, image,
      pixels: new Uint32Array(image.data.buffer),
      clear: new Float32Array(w * h), // 1 − opacity so far, per pixel
      touched: new Int32Array(w * h),
    };
  }
  return scratch;
}

/**
 * Draws dots of radius `r` (canvas pixels) at the canvas positions `xs`, `ys` over what `ctx`
 * shows, in colour `rgb` ([r, g, b], 0–255) with opacity `alpha` per dot; overlapping dots
 * compose like source-over paint of the same colour.
 */
export function stampDots(ctx, xs, ys, r, rgb, alpha) {
  const { width: w, height: h } = ctx.canvas;
  const { canvas, image, pixels, clear, touched } = buffers(w, h);
  clear.fill(1);
  let count = 0;
  const reach = Math.ceil(r + 0.5);
  for (let i = 0; i < xs.length; i++) {
    const cx = xs[i], cy = ys[i];
    if (!(cx > -reach && cy > -reach && cx < w + reach && cy < h + reach)) continue;
    const x0 = Math.max(0, Math.floor(cx - reach)), x1 = Math.min(w - 1, Math.ceil(cx + reach));
    const y0 = Math.max(0, Math.floor(cy - reach)), y1 = Math.min(h - 1, Math.ceil(cy + reach));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        // the share of the pixel inside the disc, to first order in the distance to its edge
        const inside = Math.min(1, r + 0.5 - Math.sqrt(dx * dx + dy * dy));
        if (inside <= 0) continue;
        const p = y * w + x;
        if (clear[p] === 1) touched[count++] = p;
        clear[p] *= 1 - alpha * inside;
      }
    }
  }
  pixels.fill(0);
  const [red, green, blue] = rgb;
  for (let k = 0; k < count; k++) {
    const p = touched[k];
    const a = Math.round(255 * (1 - clear[p]));
    pixels[p] = LITTLE_ENDIAN ? (a << 24) | (blue << 16) | (green << 8) | red : (red << 24) | (green << 16) | (blue << 8) | a;
  }
  canvas.getContext('2d').putImageData(image, 0, 0);
  ctx.drawImage(canvas, 0, 0);
}

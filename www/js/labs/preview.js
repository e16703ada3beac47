// A latent-quantization preset's first pictures, shipped beside its weights as NAME.preview.json
// (`genlab qlae preview`, src/qlae/preview.rs): the reconstruction strip, the traversal of image
// 1, the codebooks, the composer's image and the scores, as the weights give them. The QLAE view
// paints them while the weights (2.6–6.9 MB) download, then draws the same from the weights.
import { fetchJson } from './shared.js';

/** The preview shipped beside a preset's weights file. */
export const previewUrl = (weights) => weights.replace(/\.safetensors$/, '.preview.json');

/** Canvas bytes (base64) as the pixels in [0, 1] the image renderers take; they round back exactly. */
function pixels(base64) {
  return Float32Array.from(atob(base64), (c) => c.charCodeAt(0) / 255);
}

/** The previews asked for, by weights file: one download each, however often asked. */
const asked = new Map();

/**
 * The preview of the preset whose weights are `weights`, in the shapes `QlaeRun.draw` takes.
 * The view asks early (while the core configures the network), and again when it can paint.
 */
export function fetchPreview(weights) {
  if (!asked.has(weights)) {
    const preview = load(weights);
    preview.catch(() => asked.delete(weights)); // a failed one is asked again next time
    asked.set(weights, preview);
  }
  return asked.get(weights);
}

async function load(weights) {
  const p = await fetchJson(previewUrl(weights), "the preset's first pictures");
  return {
    ...p,
    originals: pixels(p.originals),
    reconstructions: pixels(p.reconstructions),
    traversal: pixels(p.traversal),
    composed: pixels(p.composed),
    values: Float32Array.from(p.values),
    latents: Float32Array.from(p.latents),
    usage: Uint32Array.from(p.usage),
  };
}

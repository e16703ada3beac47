// A link's first download besides the core, started as the page opens rather than once the core
// has compiled and configured the lab. In the lecture example at 10 Mbit/s the hallucination
// widget asked for its preset's 270 kB of weights half a second after its page opened, and
// painted last; fetched beside the core, they are there when the core is.
import { sitePrefetch } from './site.js';

/**
 * The presets that ship weights (models/LAB/NAME.safetensors), by the link's lab; the core's
 * catalog is the list of record, and tests/e2e/loading.test.mjs holds this one to it. A QLAE
 * preset's first picture is its preview (models/qlae/NAME.preview.json, tens of kB): that is
 * fetched early, not its weights (2.7–6.9 MB), which would take the bandwidth the page and
 * other widgets on the same course page need first.
 */
export const SHIPPED = {
  si: ['1d-three-modes', 'checkerboard', 'checkerboard-paper', 'mirror-point'],
  halluc: ['1d-123', '1d-1245', '1d-1245-recursive', 'diamond25', 'grid25'],
  qlae: ['shapes3d-ae', 'shapes3d-qlae', 'sprites-ae', 'sprites-qlae'],
};

/** The file a link (`#halluc?preset=grid25…`) starts from, or null for one naming no shipped preset. */
export function firstFile(hash) {
  const [lab, query = ''] = hash.replace(/^#/, '').split('?');
  const preset = new URLSearchParams(query).get('preset');
  if (!Object.hasOwn(SHIPPED, lab) || !SHIPPED[lab].includes(preset)) return null;
  return `models/${lab}/${preset}.${lab === 'qlae' ? 'preview.json' : 'safetensors'}`;
}

/** Starts the download of the file the page's link starts from, if it names a shipped preset. */
export function prefetchLinkFile() {
  const file = firstFile(globalThis.location?.hash ?? '');
  if (file) sitePrefetch(file);
}

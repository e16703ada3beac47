// The GenLab core (pkg/genlab_bg.wasm, ~2.5 MB), downloaded and compiled once per page. Every
// worker the page starts is handed this one compiled module and only instantiates it: a worker
// that fetched its own copy made each lab (and each embedded widget) pay the download and the
// compile again. Its body is read through a counting stream (downloads.js): the page shows the
// bytes received in each plot's loading placeholder, still from one download and one compile.
import { current, ended, track } from './downloads.js';
import { siteFetch } from './site.js';

// From the site's root, so the site also works from a sub-folder of any static host. `make dist`
// rewrites this name to the core's content-hashed copy (tools/dist.mjs), which browsers may keep.
const CORE = 'pkg/genlab_bg.wasm';
let compiled = null;

/** Resolves to the compiled core (a `WebAssembly.Module`); the first call starts the download. */
export function loadCore() {
  // a failed download is tried again by the next worker that starts (the next view shown)
  compiled ??= compile().catch((err) => {
    compiled = null;
    throw err;
  });
  return compiled;
}

async function compile() {
  let response;
  try {
    response = await siteFetch(CORE);
  } catch (err) {
    throw new Error(`the GenLab core could not be downloaded (${err.message})`, { cause: err });
  }
  if (!response.ok) throw new Error(`the GenLab core could not be downloaded (${CORE}: HTTP ${response.status})`);
  // the counted copy keeps the headers, so streaming still sees the wasm MIME type; with
  // Content-Encoding the counted bytes are decoded ones and there is no total (see downloads.js)
  response = track(response, 'core');
  // Streaming compiles while the bytes arrive, but only takes the wasm MIME type; a host that
  // serves another one gets the slower path, from the same download.
  const type = response.headers.get('Content-Type')?.split(';')[0].trim().toLowerCase();
  try {
    return type === 'application/wasm'
      ? await WebAssembly.compileStreaming(response)
      : await WebAssembly.compile(await response.arrayBuffer());
  } catch (err) {
    ended(current('core'));
    throw new Error(`the GenLab core could not be loaded (${err.message})`, { cause: err });
  }
}

// Finishes `make dist` (node tools/dist.mjs OPTIMISED_WASM OPTIMISED_THREADED_WASM DIST): gives
// the two cores content-hashed names, bundles the page and its workers (tools/bundle.mjs), and
// writes .br and .gz siblings next to the large text and wasm files.
//
// The hashed name (pkg/genlab_bg.<16 hex>.wasm) is what lets `genlab serve` send the 1.4 MB core
// as `immutable`: new bytes get a new name, so a browser never has to ask again. The loaders of
// the core are pointed at it: js/core.js (the page), widget/page.js (the page bundled for the
// notebook widget) and pkg/genlab.js (wasm-bindgen's default, used by the benchmark page); the
// threaded core's (pkg/threads/), by js/core.js and pkg/threads/genlab.js. Each must hold its one
// line, or this fails loudly. The siblings are compressed once at the highest
// levels, for any server that sends precompressed files (`genlab serve` does, by the browser's
// Accept-Encoding); a sibling is kept only when it saves at least a tenth.
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { bundleSite, hashedName, replaceOnce } from './bundle.mjs';

const COMPRESSIBLE = new Set(['.html', '.css', '.js', '.mjs', '.json', '.svg', '.wasm', '.md', '.qmd', '.txt']);
const MIN_SIZE = 1024;
const MIN_SAVING = 0.1;

const [wasm, threadedWasm, dist] = process.argv.slice(2);
if (!wasm || !threadedWasm || !dist) {
  console.error('usage: node tools/dist.mjs OPTIMISED_WASM OPTIMISED_THREADED_WASM DIST');
  process.exit(2);
}

/** Replaces the one occurrence of `from` in `file`. */
function rewrite(file, from, to) {
  writeFileSync(file, replaceOnce(readFileSync(file, 'utf8'), from, to, file));
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(file);
    else if (entry.isFile()) yield file;
  }
}

const brotli = (bytes, text) => brotliCompressSync(bytes, {
  params: {
    [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
    [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
    [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
    [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
  },
});
const gzip = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION, memLevel: 9 });

/** Writes `wasm` into DIST/`dir` under a name from its content; returns the name. */
function place(wasm, dir) {
  const bytes = readFileSync(wasm);
  const name = hashedName('genlab_bg.wasm', bytes);
  writeFileSync(path.join(dist, dir, name), bytes);
  rewrite(path.join(dist, dir, 'genlab.js'), "new URL('genlab_bg.wasm', import.meta.url)", `new URL('${name}', import.meta.url)`);
  return name;
}

const name = place(wasm, 'pkg');
const threaded = place(threadedWasm, 'pkg/threads');
rewrite(path.join(dist, 'js/core.js'), "'pkg/genlab_bg.wasm'", `'pkg/${name}'`);
rewrite(path.join(dist, 'js/core.js'), "'pkg/threads/genlab_bg.wasm'", `'pkg/threads/${threaded}'`);
rewrite(path.join(dist, 'widget/page.js'), '"pkg/genlab_bg.wasm"', `"pkg/${name}"`);
// after the core's name is in js/core.js, which the page's bundle holds
for (const [source, bundle] of Object.entries(await bundleSite(dist))) console.log(`dist/${bundle}: ${source === 'page' ? 'the page (js/boot.js, js/main.js)' : source}`);

// A static host that cannot send COOP/COEP: coi-serviceworker re-serves the site's files with
// them (the first visit reloads once), so its pages are cross-origin isolated and run the
// threaded core. The lecture and the slides hold widgets, which are isolated only if they are.
// Where the server sends the headers itself (genlab serve --isolate), it does nothing.
copyFileSync('node_modules/coi-serviceworker/coi-serviceworker.min.js', path.join(dist, 'coi-serviceworker.js'));
for (const [page, root] of [['index.html', ''], ['examples/lecture.html', '../'], ['examples/slides.html', '../']]) {
  rewrite(path.join(dist, page), '  <title>', `  <script src="${root}coi-serviceworker.js"></script>\n  <title>`);
}

let written = 0;
const sizes = {};
for (const file of [...walk(dist)]) {
  const ext = path.extname(file);
  if (!COMPRESSIBLE.has(ext)) continue;
  const raw = readFileSync(file);
  if (raw.length < MIN_SIZE) continue;
  const encoded = { br: brotli(raw, ext !== '.wasm'), gz: gzip(raw) };
  for (const [suffix, bytes] of Object.entries(encoded)) {
    if (bytes.length > raw.length * (1 - MIN_SAVING)) continue;
    writeFileSync(`${file}.${suffix}`, bytes);
    written += 1;
  }
  if ([name, threaded].includes(path.basename(file))) sizes[path.relative(dist, file)] = `${raw.length} bytes raw, ${encoded.gz.length} gzip, ${encoded.br.length} brotli`;
}
for (const [file, size] of Object.entries(sizes)) console.log(`dist/${file}: ${size}`);
console.log(`${written} precompressed siblings in ${dist}/`);

// The site's page and workers bundled for `make dist` (called by tools/dist.mjs, after the core's
// hashed name is in js/core.js): esbuild makes each of the page (boot.js then main.js), the lab
// worker and the hallucination helper one minified file, named by its content, and index.html
// loads the page's bundle and the stylesheet under its hashed name.
//
// Why: www/ serves some 35 modules, fetched one import level at a time and revalidated on every
// visit (`no-cache`). A course page with three widgets asked for about 210 files. A hashed name
// is served `immutable` (genlab serve) and cached for good, so the second widget asks the
// network for none of these. The modules stay in dist/js/ for the pages that are not bundled
// (the benchmark, the gallery).
//
// A worker is started by its path in www/ (site.js), so the bundles that start workers carry the
// table of their bundles' names (js/bundled.js). The threaded core's glue stays its own file,
// under a hashed name: wasm-bindgen-rayon starts its pool's threads from a URL relative to it.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The name with the first 16 hex digits of the content's SHA-256: `worker.3f9c0a1b2d4e5f60.js`. */
export function hashedName(file, bytes) {
  const { dir, name, ext } = path.parse(file);
  return path.join(dir, `${name}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}${ext}`);
}

/**
 * Copies the threaded core's glue (DIST/pkg/threads/genlab.js) and the snippets it imports under
 * hashed names, the glue pointing at the snippets' copies; returns the glue copy's path from
 * DIST/js. Its lab worker, every thread of its pool and each pool thread's blob load these: as
 * revalidated files, each such start waited for two round trips more. The unhashed files stay
 * for the pages that are not bundled.
 */
function hashThreadedGlue(dist) {
  const dir = path.join(dist, 'pkg/threads');
  const glue = path.join(dir, 'genlab.js');
  let text = readFileSync(glue, 'utf8');
  const imports = [...text.matchAll(/from '(\.\/snippets\/[^']+\.js)'/g)].map(([, specifier]) => specifier);
  if (!imports.length) throw new Error(`${glue}: found no snippet imports`);
  for (const specifier of imports) {
    const file = path.join(dir, specifier);
    const bytes = readFileSync(file);
    const hashed = hashedName(file, bytes);
    writeFileSync(hashed, bytes);
    text = replaceOnce(text, `'${specifier}'`, `'./${path.relative(dir, hashed).split(path.sep).join('/')}'`, glue);
  }
  const hashed = hashedName(glue, Buffer.from(text));
  writeFileSync(hashed, text);
  return `../pkg/threads/${path.basename(hashed)}`;
}

/**
 * Bundles `entry` (a path under DIST/js, or the text of an entry module with `contents`) into
 * DIST/js/`name`.<hash>.js, with the table of bundles `bundled`; returns its path from the site's
 * root.
 */
async function bundle(dist, name, entry, { bundled, threadedGlue }) {
  const js = path.join(dist, 'js');
  const { outputFiles: [output] } = await build({
    ...(entry.contents ? { stdin: { contents: entry.contents, resolveDir: js, sourcefile: `${name}.js` } } : { entryPoints: [path.join(js, entry)] }),
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    outfile: path.join(js, `${name}.js`),
    write: false,
    logLevel: 'warning',
    plugins: [{
      name: 'genlab',
      setup(b) {
        b.onResolve({ filter: /\/pkg\/threads\/genlab\.js$/ }, () => ({ path: threadedGlue, external: true }));
        b.onLoad({ filter: /[/\\]js[/\\]bundled\.js$/ }, () => ({ contents: `export const BUNDLED = ${JSON.stringify(bundled)};`, loader: 'js' }));
      },
    }],
  });
  const hashed = hashedName(output.path, output.contents);
  writeFileSync(hashed, output.contents);
  return path.relative(dist, hashed).split(path.sep).join('/');
}

/**
 * `text` with `from` (a string, or a RegExp with the g flag) replaced once; anything else means
 * `file` changed under the script that edits it.
 */
export function replaceOnce(text, from, to, file = 'index.html') {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(from) ?? []).length;
  if (count !== 1) throw new Error(`${file}: expected ${from} once, found it ${count} times`);
  return text.replace(from, to);
}

/** index.html without boot.js and the modules it preloads: a bundle starts the core itself. */
export function withoutBoot(html) {
  html = replaceOnce(html, / *<!-- boot\.js's imports[^]*?-->\n(?: *<link rel="modulepreload"[^>]*>\n)+/g, '');
  return replaceOnce(html, '  <script type="module" async src="js/boot.js"></script>\n', '');
}

/** Bundles DIST's page and workers and points DIST/index.html at them; returns the bundles' paths. */
export async function bundleSite(dist) {
  const bundled = {};
  const context = { bundled, threadedGlue: hashThreadedGlue(dist) };
  bundled['js/worker/halluc-helper.js'] = await bundle(dist, 'halluc-helper', 'worker/halluc-helper.js', context);
  bundled['js/worker.js'] = await bundle(dist, 'worker', 'worker.js', context);
  // boot.js first: its start of the core's download and the first worker runs before main.js's code
  const page = await bundle(dist, 'page', { contents: "import './boot.js';\nimport './main.js';\n" }, context);

  const css = path.join(dist, 'css/site.css');
  const stylesheet = readFileSync(css);
  const styles = hashedName(css, stylesheet);
  writeFileSync(styles, stylesheet);
  const index = path.join(dist, 'index.html');
  let html = readFileSync(index, 'utf8');
  html = replaceOnce(html, '<link rel="stylesheet" href="css/site.css">', `<link rel="stylesheet" href="${path.relative(dist, styles)}">`);
  html = replaceOnce(withoutBoot(html), '<script type="module" src="js/main.js"></script>', `<script type="module" src="${page}"></script>`);
  writeFileSync(index, html);
  return { page, ...bundled };
}

// The notebook widget's page (`node tools/widget.mjs OUT [OPTIMISED_WASM]`): the GenLab page
// bundled by esbuild into three scripts (the page, the lab worker, the hallucination helper) and
// its HTML with the styles inlined, into OUT. The widget's module (widget/genlab_widget/widget.js)
// makes the page from these inside an iframe.
//
// With the core (`make widget`, OUT = widget/genlab_widget/static) it also copies the core and
// the presets' files and lists every file in files.json: the Python package, whose Python hands
// each over when the page asks. Without (`make dist`, OUT = dist/widget) the page takes the core
// and the presets from the site itself.
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { replaceOnce, withoutBoot } from './bundle.mjs';

const [out, wasm] = process.argv.slice(2);
if (!out) {
  console.error('usage: node tools/widget.mjs OUT [OPTIMISED_WASM]');
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { page: 'www/js/main.js', worker: 'www/js/worker.js', 'halluc-helper': 'www/js/worker/halluc-helper.js' },
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  outdir: out,
  logLevel: 'warning',
  // the site serves wasm-bindgen's output (pkg/) beside www/; so does this. A notebook is never
  // cross-origin isolated, so the threaded core's glue is the single-threaded one (never used).
  plugins: [{
    name: 'pkg',
    setup(b) {
      b.onResolve({ filter: /\/pkg\/(threads\/)?genlab\.js$/ }, () => ({ path: path.resolve('pkg/genlab.js') }));
    },
  }],
});

// The page's own policy allows only its site's files; the widget's page is a blob whose parent
// (the notebook) sets the policy. `<!--genlab:boot-->` is where widget.js puts the scripts.
let html = readFileSync('www/index.html', 'utf8');
html = html.replace(/ *<meta http-equiv="Content-Security-Policy"[^>]*>\n/, '');
html = replaceOnce(html, '  <link rel="icon" href="favicon.svg" type="image/svg+xml">\n', '');
const css = `${readFileSync('www/css/site.css', 'utf8')}\n/* the widget: no site to open the run in */\n.embed-only { display: none !important; }\n`;
html = replaceOnce(html, '<link rel="stylesheet" href="css/site.css">', `<style>\n${css}</style>`);
html = replaceOnce(withoutBoot(html), '<script type="module" src="js/main.js"></script>', '<!--genlab:boot-->');
writeFileSync(path.join(out, 'page.html'), html);

if (wasm) {
  mkdirSync(path.join(out, 'pkg'));
  copyFileSync(wasm, path.join(out, 'pkg/genlab_bg.wasm'));
  // only the presets' files: their JSON (notes) are in the core already; the weights, results and
  // first pictures are not
  const shipped = (src) => !src.endsWith('.json') || src.endsWith('.lineages.json') || src.endsWith('.preview.json');
  cpSync('www/models', path.join(out, 'models'), { recursive: true, filter: (src) => statSync(src).isDirectory() || shipped(src) });
}

let total = 0;
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else { files.push(path.relative(out, file)); total += statSync(file).size; }
  }
})(out);
if (wasm) writeFileSync(path.join(out, 'files.json'), `${JSON.stringify(files.sort(), null, 1)}\n`);
console.log(`${out}: ${files.length} files, ${(total / 1e6).toFixed(1)} MB`);

// The notebook widget's module as MyST's {anywidget} directive uses it: loaded from a GenLab
// site (`make dist`, under a sub-folder of a plain static root) into a page with no kernel, with
// the directive's JSON as its model. It must take the page and the lab's files from that site,
// paint the preset, and ask nothing of Python (there is none).
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, launchBrowser, openPage, scratchDir, startServer } from './harness.mjs';

// A model as a static page gives one: the props, change events, and a `send` that goes nowhere.
const BOOK = `<!doctype html><meta charset="utf-8"><title>A course page</title><link rel="icon" href="data:,">
<style>iframe { outline: 9px solid red; } canvas { display: none; }</style>
<div id="cell"></div>
<script type="module">
  import widget from './genlab/widget/widget.js';
  const props = { lab: 'hallucinations', preset: 'grid25', controls: 'minimal', height: 600 };
  const handlers = {};
  window.sent = [];
  const model = {
    get: (k) => props[k],
    set: (k, v) => { props[k] = v; for (const f of handlers['change:' + k] ?? []) f(); },
    save_changes() {},
    on: (e, f) => { (handlers[e] ??= []).push(f); },
    off: (e, f) => { handlers[e] = (handlers[e] ?? []).filter((g) => g !== f); },
    send: (msg) => { window.sent.push(msg.type); },
  };
  window.props = props;
  widget.render({ model, el: document.getElementById('cell') });
</script>`;

test('the dist widget module runs from its site in a page with no kernel', async (t) => {
  const root = scratchDir(t, 'genlab-myst-');
  cpSync(path.join(ROOT, 'dist'), path.join(root, 'course', 'genlab'), { recursive: true });
  writeFileSync(path.join(root, 'course', 'book.html'), BOOK);
  const server = await startServer({ dir: root, pkg: null });
  const browser = await launchBrowser();
  try {
    const requests = [];
    const { page, errors } = await openPage(browser, `${server.url}course/book.html`, {
      setup: (context) => context.on('request', (r) => requests.push(r.url())),
    });
    const iframe = await page.waitForSelector('#cell iframe', { timeout: 60_000 });
    const frame = await iframe.contentFrame();
    // the page's own styles, not the book's (which hides canvases): the plot paints
    await frame.waitForFunction(() => {
      const state = window.genlab?.host?.state();
      const canvas = document.getElementById('halluc-canvas');
      return state?.ready && state.metrics.samples > 0 && canvas.dataset.placeholder === undefined && getComputedStyle(canvas).display !== 'none';
    }, null, { timeout: 120_000, polling: 250 });
    const state = await frame.evaluate(() => window.genlab.host.state());
    assert.equal(state.lab, 'halluc');
    assert.equal(state.preset, 'grid25');
    assert.ok(state.step > 0, 'the preset opened with its trained weights');
    // what the widget keeps in its model follows the page (it reads the page's state 4 times a second)
    await page.waitForFunction(() => {
      const shown = document.querySelector('#cell iframe').contentWindow.genlab.host.state();
      return window.props.link === shown.link && window.props.step === shown.step;
    }, null, { timeout: 5_000 });
    const cores = requests.filter((u) => /\/pkg\/genlab_bg\.[0-9a-f]{16}\.wasm$/.test(u));
    assert.equal(cores.length, 1, `one core download: ${cores.join(', ')}`);
    assert.ok(requests.some((u) => u.endsWith('/course/genlab/models/halluc/grid25.safetensors')));
    assert.ok(requests.every((u) => u.startsWith(server.url) || u.startsWith('blob:')), requests.join('\n'));
    // no kernel: the widget never asked Python for a file
    assert.ok(!(await page.evaluate(() => window.sent)).includes('file'));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.stop();
  }
});

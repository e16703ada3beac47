// Smoke test of the notebook harness (tests/notebook/jupyter.mjs): plain cells, a Python
// exception, and an inline anywidget whose synced trait travels both ways. Needs the venv:
// `tests/notebook/venv.sh`, then `node --test tests/notebook/`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openNotebook, readNotebook, reloadNotebook, restartKernel, runCell, saveNotebook, startJupyter } from './jupyter.mjs';

// A canvas painted red and a <span> showing `count`; a 'bump' message from Python makes the JS
// side set `count` and sync it back (initialize runs once per model, render once per view).
const PROBE_WIDGET = `
import anywidget, traitlets

class Probe(anywidget.AnyWidget):
    _esm = """
    export default {
      initialize({ model }) {
        model.on('msg:custom', (msg) => {
          if (msg.kind === 'bump') { model.set('count', msg.to); model.save_changes(); }
        });
      },
      render({ model, el }) {
        const canvas = Object.assign(document.createElement('canvas'), { width: 40, height: 20, className: 'probe-canvas' });
        const ctx = canvas.getContext('2d');
        ctx.fillStyle = 'rgb(255, 0, 0)';
        ctx.fillRect(0, 0, 40, 20);
        const label = Object.assign(document.createElement('span'), { className: 'probe-count' });
        const show = () => { label.textContent = String(model.get('count')); };
        model.on('change:count', show);
        show();
        el.append(canvas, label);
      },
    };
    """
    count = traitlets.Int(0).tag(sync=True)

w = Probe()
w
`;

/** Waits until the widget's label inside `output` (a cell's output area) reads `value`. */
async function labelReads(nb, output, value) {
  await nb.page.waitForFunction(([el, v]) => el.querySelector('.probe-count')?.textContent === v,
    [output, value], { timeout: 30_000, polling: 100 });
}

describe('notebook harness', { timeout: 240_000 }, () => {
  let server, browser, nb, widgetOutput;
  before(async () => {
    server = await startJupyter();
    browser = await launchBrowser();
    nb = await openNotebook(browser, server, { name: 'smoke.ipynb' });
  });
  // after() runs even when before() or a test failed: no server, kernel or temp folder is left
  after(async () => {
    await nb?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('runs a cell and returns its result', async () => {
    const { text, executionCount } = await runCell(nb, '1 + 1');
    assert.equal(text.trim(), '2');
    assert.equal(executionCount, 1);
  });

  it('reports a Python exception by name and message', async () => {
    const { text } = await runCell(nb, 'raise ValueError("x: bad")');
    assert.match(text, /ValueError/);
    assert.match(text, /x: bad/);
  });

  it('renders an inline anywidget with a canvas', async () => {
    const { output, text } = await runCell(nb, PROBE_WIDGET);
    assert.doesNotMatch(text, /Error/, text);
    const canvas = await output.waitForSelector('canvas.probe-canvas', { timeout: 30_000 });
    const pixel = await canvas.evaluate((c) => [...c.getContext('2d').getImageData(5, 5, 1, 1).data]);
    assert.deepEqual(pixel, [255, 0, 0, 255]);
    await labelReads(nb, output, '0');
    widgetOutput = output;
  });

  it('syncs a trait from Python to JS', async () => {
    await runCell(nb, 'w.count = 5');
    await labelReads(nb, widgetOutput, '5');
  });

  it('syncs a trait from JS back to Python', async () => {
    await runCell(nb, 'w.send({"kind": "bump", "to": 7})');
    // the label changes in the same tick the JS side sends its update, and that update goes out
    // on the kernel's shell channel before the next cell's execute request: no race
    await labelReads(nb, widgetOutput, '7');
    const { text } = await runCell(nb, 'w.count');
    assert.equal(text.trim(), '7');
  });

  it('saves, reloads (same kernel, widget shown again) and restarts the kernel', async () => {
    await saveNotebook(nb);
    const saved = await readNotebook(nb);
    assert.equal(saved.cells.filter((c) => c.cell_type === 'code').length, 6);
    await reloadNotebook(nb);
    const again = await runCell(nb, 'w.count');
    assert.equal(again.text.trim(), '7');
    const { output } = await runCell(nb, 'w');
    await labelReads(nb, output, '7');
    await restartKernel(nb);
    const { text } = await runCell(nb, '"w" in dir()');
    assert.equal(text.trim(), 'False');
  });

  it('logged no error in the page and made no request beyond the local server', () => {
    assert.deepEqual(nb.errors, []);
    assert.deepEqual(nb.offsite, []);
  });
});

// The notebook widget (genlab_widget.GenLab) in a headless JupyterLab, for one preset of each
// lab: it paints, follows a config set from Python, trains in the browser, hands samples and
// weights back (the weights load in the CLI), refuses a bad config with the core's message while
// the page keeps its run, and reopens from the saved notebook. Needs `make widget` and
// `tests/notebook/venv.sh widget` (`make test-notebook` does both).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { launchBrowser, openNotebook, readNotebook, reloadNotebook, restartKernel, runCell, saveNotebook, startJupyter } from './jupyter.mjs';

const GENLAB = process.env.GENLAB_BIN ?? 'target/debug/genlab';

/**
 * Per lab: the preset, the canvas that must paint, a config edit that changes the picture, the
 * steps to train, the shape `samples()` returns, and the CLI command the weights load in.
 */
const LABS = {
  interpolants: {
    preset: 'checkerboard', canvas: '#si-canvas', edit: 'c["sampler"]["epsilon"] = 2.0', steps: 200,
    shape: '(5000, 2)', cli: ['si', 'sample', '--n', '5'],
  },
  hallucinations: {
    preset: '1d-123', canvas: '#halluc-canvas', edit: 'c["seed"] = 7', steps: 100,
    shape: /^\(\d+, 3\)$/, cli: ['halluc', 'sample', '--n', '5'],
  },
  qlae: {
    preset: 'sprites-qlae', canvas: '#qlae-recon', edit: 'c["seed"] = 7', steps: 20,
    shape: /^\(\d+, \d+\)$/, cli: ['qlae', 'eval'],
  },
};

/** Runs `code` until its output satisfies `ok` (the page's replies reach Python between cells). */
async function pythonUntil(nb, code, ok, { timeout = 120_000, what = code } = {}) {
  const end = Date.now() + timeout;
  let text = '';
  while (Date.now() < end) {
    ({ text } = await runCell(nb, code));
    if (ok(text.trim())) return text.trim();
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: still ${JSON.stringify(text.trim().slice(0, 300))} after ${timeout / 1000} s`);
}

/** The frame of the widget in a cell's output. */
async function widgetFrame(output) {
  const iframe = await output.waitForSelector('iframe', { timeout: 60_000 });
  return iframe.contentFrame();
}

/**
 * Waits until the page has settled (not training, sampling or playing) with `expr` true of its
 * state `s` (see www/js/host.js) and `selector`'s canvas painted (no loading placeholder, more
 * than a few colours); resolves to a digest of its pixels.
 */
async function settled(frame, selector, expr = 'true') {
  const waited = frame.waitForFunction(([sel, test]) => {
    const state = window.genlab?.host?.state();
    const canvas = document.querySelector(sel);
    if (!state?.ready || !new Function('s', `return ${test}`)(state) || !canvas?.width || canvas.dataset.placeholder !== undefined) return false;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4 * 31) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return colours.size > 3;
  }, [selector, expr], { timeout: 180_000, polling: 250 });
  await waited.catch(async (err) => {
    // what the page showed instead, so a failure says where it stopped
    const seen = await frame.evaluate((sel) => {
      const state = window.genlab?.host?.state();
      const lab = document.body.dataset.lab;
      return {
        body: document.body.dataset.state, lab, preset: state?.preset, step: state?.step, message: state?.message,
        status: document.getElementById(`${lab}-status`)?.textContent, placeholder: document.querySelector(sel)?.dataset.placeholder,
        startup: globalThis.genlabStartup,
      };
    }, selector).catch((e) => `unreadable: ${e.message}`);
    throw new Error(`${selector} never settled with ${expr}; the page showed ${JSON.stringify(seen)}`, { cause: err });
  });
  await new Promise((r) => setTimeout(r, 300));
  return frame.evaluate((sel) => {
    const canvas = document.querySelector(sel);
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0;
    for (let i = 0; i < data.length; i++) hash = (hash * 31 + data[i]) | 0;
    return hash;
  }, selector);
}

describe('notebook widget', { timeout: 900_000 }, () => {
  let server, browser, nb;
  before(async () => {
    server = await startJupyter();
    browser = await launchBrowser();
    nb = await openNotebook(browser, server, { name: 'widget.ipynb' });
    await runCell(nb, 'from genlab_widget import GenLab\nimport numpy as np');
  });
  after(async () => {
    await nb?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  for (const [lab, t] of Object.entries(LABS)) {
    it(`${lab}: paints, follows Python, trains, and hands back samples and weights`, async () => {
      const w = `w_${lab}`;
      const { output, text } = await runCell(nb, `${w} = GenLab(lab="${lab}", preset="${t.preset}")\n${w}`);
      assert.doesNotMatch(text, /Error/, text);
      const frame = await widgetFrame(output);
      const before = await settled(frame, t.canvas);
      await pythonUntil(nb, `${w}.step`, (s) => Number(s) > 0);

      // the issue's own idiom: edit the dict in place and assign it back
      const edited = await runCell(nb, `c = ${w}.config\n${t.edit}\n${w}.config = c`);
      assert.doesNotMatch(edited.text, /Error/, edited.text);
      const field = t.edit.match(/c(\[.*\]) =/)[1];
      const value = t.edit.split('= ')[1];
      const after = await settled(frame, t.canvas, `s.config${field} === ${value}`);
      assert.notEqual(after, before, 'the picture did not change with the config');
      const step = await frame.evaluate(() => window.genlab.host.state().step);

      await runCell(nb, `${w}.train(${t.steps})`);
      await pythonUntil(nb, `${w}.step`, (s) => Number(s) === step + t.steps, { what: `${w}.step after train(${t.steps})` });
      await settled(frame, t.canvas);

      const shape = await pythonUntil(nb, `print(${w}.samples().shape, ${w}.samples().dtype)`, (s) => !s.includes('Error'));
      assert.match(shape.split(' float32')[0], t.shape instanceof RegExp ? t.shape : new RegExp(`^${t.shape.replace(/[()]/g, '\\$&')}$`));
      assert.match(shape, /float32$/);

      // the trained weights, as the page had them after training, load in the CLI
      await pythonUntil(nb, `${w}.weights_step`, (s) => Number(s) === step + t.steps);
      const [file, config] = [path.join(server.root, `${lab}.safetensors`), path.join(server.root, `${lab}.json`)];
      await runCell(nb, `import json\nopen(${JSON.stringify(file)}, "wb").write(${w}.weights())\njson.dump(${w}.config, open(${JSON.stringify(config)}, "w"))`);
      const out = execFileSync(GENLAB, [...t.cli, '--config', config, '--model', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
      assert.ok(out.trim().length > 0);

      // a bad config: ValueError with the field and its range; the page keeps its run
      const bad = await runCell(nb, `c = ${w}.config\nc["train"]["steps"] = 0\n${w}.config = c`);
      assert.match(bad.text, /ValueError: train\.steps: 0 is out of range; allowed 1 to/);
      assert.equal(await pythonUntil(nb, `${w}.config["train"]["steps"] > 0 and ${w}.step`, () => true), String(step + t.steps));
      assert.equal(await frame.evaluate(() => window.genlab.host.state().step), step + t.steps);
    });
  }

  it('switches lab and preset from Python, and a lab without a network says so when asked to train', async () => {
    const { output } = await runCell(nb, 's = GenLab(lab="interpolants", preset="gmm-exact")\ns');
    const frame = await widgetFrame(output);
    await settled(frame, '#si-canvas', "s.preset === 'gmm-exact'");
    await runCell(nb, 's.train(10)');
    assert.match(await pythonUntil(nb, 's.error', (e) => e.length > 2), /train: the run shown has no network \(it uses the exact closed form here\)/);
    await runCell(nb, 's.lab = "hallucinations"\ns.preset = "grid25"');
    await settled(frame, '#halluc-canvas', "s.lab === 'halluc' && s.preset === 'grid25' && s.step > 0");
    assert.equal(await pythonUntil(nb, 's.lab, s.preset, s.config["data"]["name"], s.error', (t) => t.includes('grid25') && !t.includes("'train:")), "('hallucinations', 'grid25', 'grid25', '')");
  });

  it('reopens from the saved notebook with its config, and a restarted kernel gives the same samples', async () => {
    const first = await pythonUntil(nb, 'w_interpolants.config["sampler"]["epsilon"]', () => true);
    assert.equal(Number(first), 2);
    await saveNotebook(nb);
    const saved = await readNotebook(nb);
    const state = JSON.stringify(saved.metadata?.widgets ?? {});
    assert.match(state, /"epsilon":2/, 'the saved widget state has the config');

    // reopened with no live widget behind it: the saved still and settings show
    await restartKernel(nb);
    await reloadNotebook(nb);
    await nb.page.waitForFunction(() => [...document.querySelectorAll('details pre')].some((pre) => pre.textContent.includes('"epsilon": 2')), null, { timeout: 60_000 });
    const still = await nb.page.waitForSelector('img[alt^="GenLab interpolants"]', { timeout: 30_000 });
    assert.ok(await still.evaluate((img) => img.complete && img.naturalWidth > 100), 'the saved still shows');

    const code = 'import numpy as np\nfrom genlab_widget import GenLab\nw = GenLab(lab="interpolants", preset="checkerboard")\nw';
    const digests = [];
    for (let run = 0; run < 2; run++) {
      const { output } = await runCell(nb, code);
      await settled(await widgetFrame(output), '#si-canvas');
      // the particles at the end of the animation (t = 1), as the page last showed them
      // (Python echoes the string with its quotes; a number is printed bare)
      const digest = 'float(np.abs(w.samples()).sum()) if w.samples_link == w.link and w.metrics.get("t", 0) > 0.99 else "waiting"';
      digests.push(await pythonUntil(nb, digest, (s) => /^[0-9.e+-]+$/.test(s), { what: 'the samples at t = 1' }));
      if (run === 0) await restartKernel(nb);
    }
    assert.equal(digests[0], digests[1]);
  });

  it('logged no error in the page and made no request beyond the local server', () => {
    assert.deepEqual(nb.errors, []);
    assert.deepEqual(nb.offsite, []);
  });
});

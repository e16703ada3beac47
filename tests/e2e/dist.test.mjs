// `make dist` output on its own: copied into a sub-folder of a plain static root (no /pkg/
// mount, nothing else from the repo), it must load, sample, and reproduce a link exactly.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { ROOT, launchBrowser, openPage, scratchDir, startServer } from './harness.mjs';

test('the dist folder works from a sub-folder of any static host', async (t) => {
  const root = scratchDir(t, 'genlab-dist-');
  cpSync(path.join(ROOT, 'dist'), path.join(root, 'course', 'genlab'), { recursive: true });
  const server = await startServer({ dir: root, pkg: null });
  const browser = await launchBrowser();
  try {
    const hash = '#data?v=1&dataset.name=rings&n=700&seed=5';
    const { page, errors } = await openPage(browser, `${server.url}course/genlab/${hash}`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.getElementById('message').textContent), '');
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    assert.equal(await page.evaluate(() => window.genlab.view.points.length), 1400);
    assert.deepEqual(errors, []);
    const bench = await openPage(browser, `${server.url}course/genlab/bench.html?steps=2&reps=1`);
    await bench.page.waitForFunction(() => window.benchResults?.done, null, { timeout: 300_000 });
    assert.equal(await bench.page.evaluate(() => window.benchResults.error), undefined, 'the bench page finds its vendored TF.js');
  } finally {
    await browser.close();
    server.stop();
  }
});

// `make dist` output on its own: copied into a sub-folder of a plain static root (no /pkg/
// mount, nothing else from the repo), it must load, sample, and reproduce a link exactly, with the
// threaded core too when served cross-origin isolated. Its core has a content-hashed name,
// downloaded once (compressed) and then taken from the cache.
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
    await threadedCoreGivesTheSamePoints(t, root, browser, `course/genlab/${hash}`, await page.evaluate(() => Array.from(window.genlab.view.points)));
    const bench = await openPage(browser, `${server.url}course/genlab/bench.html?steps=2&reps=1`);
    await bench.page.waitForFunction(() => window.benchResults?.done, null, { timeout: 300_000 });
    assert.equal(await bench.page.evaluate(() => window.benchResults.error), undefined, 'the bench page finds its vendored TF.js');
  } finally {
    await browser.close();
    server.stop();
  }
});

const HASHED_CORE = /\/pkg\/genlab_bg\.[0-9a-f]{16}\.wasm$/;

/** The same dist folder served cross-origin isolated runs its hashed threaded core, to `points`. */
async function threadedCoreGivesTheSamePoints(t, root, browser, address, points) {
  const server = await startServer({ dir: root, pkg: null, extra: ['--isolate'] });
  t.after(() => server.stop());
  const wasm = [];
  const { page, context, errors } = await openPage(browser, `${server.url}${address}`, {
    setup: (c) => c.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); }),
  });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.equal(wasm.length, 1);
  assert.match(wasm[0], /\/pkg\/threads\/genlab_bg\.[0-9a-f]{16}\.wasm$/, 'the isolated page runs the hashed threaded core');
  assert.deepEqual(await page.evaluate(() => Array.from(window.genlab.view.points)), points, 'the same points as the single-threaded core');
  assert.deepEqual(errors, []);
  await context.close();
}

test('the dist page downloads its content-hashed core once, and a reload takes it from the cache', async (t) => {
  const root = scratchDir(t, 'genlab-dist-');
  cpSync(path.join(ROOT, 'dist'), path.join(root, 'course', 'genlab'), { recursive: true });
  const server = await startServer({ dir: root, pkg: null });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Chromium's own account of each response: from its HTTP cache, or from the network with
    // the status the server sent (the ExtraInfo event; `response.status` shows a revalidated
    // document as the cached 200)
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    let responses = [];
    const fromCache = new Set();
    const sent = new Map();
    cdp.on('Network.requestServedFromCache', ({ requestId }) => fromCache.add(requestId));
    cdp.on('Network.responseReceivedExtraInfo', ({ requestId, statusCode }) => sent.set(requestId, statusCode));
    cdp.on('Network.responseReceived', ({ requestId, response }) => responses.push({ requestId, response }));
    /** Runs `navigate`, waits for the page and the network to settle, and returns what it fetched. */
    const load = async (navigate) => {
      responses = [];
      await navigate();
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
      await page.waitForLoadState('networkidle');
      return responses.map(({ requestId, response }) => {
        const cached = response.fromDiskCache || fromCache.has(requestId);
        return {
          path: new URL(response.url).pathname,
          status: cached ? response.status : sent.get(requestId) ?? response.status,
          cached,
          header: (name) => Object.entries(response.headers).find(([k]) => k.toLowerCase() === name)?.[1],
        };
      });
    };

    const first = await load(() => page.goto(`${server.url}course/genlab/`));
    const cores = first.filter((r) => HASHED_CORE.test(r.path));
    assert.equal(cores.length, 1, 'the page fetches the hashed core once');
    assert.deepEqual(first.filter((r) => r.path.endsWith('/genlab_bg.wasm')), [], 'nothing asks for the unhashed name');
    const [core] = cores;
    assert.deepEqual([core.status, core.cached], [200, false]);
    assert.equal(core.header('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(core.header('content-type'), 'application/wasm');
    assert.ok(['br', 'gzip'].includes(core.header('content-encoding')), `Content-Encoding ${core.header('content-encoding')}`);

    const again = await load(() => page.reload());
    const fromNetwork = again.filter((r) => HASHED_CORE.test(r.path) && !r.cached);
    assert.deepEqual(fromNetwork.map((r) => r.status), [], 'the reload takes the core from the cache');
    const notModified = again.filter((r) => r.status === 304);
    assert.ok(notModified.length > 0, 'the other files are revalidated (304)');
    assert.deepEqual(again.filter((r) => r.status === 200 && !r.cached).map((r) => r.path), [], 'a reload downloads nothing again');
    assert.deepEqual(errors, []);
    t.diagnostic(`core ${core.path} (${core.header('content-encoding')}); reload: ${again.length} responses, `
      + `${notModified.length} of them 304, ${again.filter((r) => r.cached).length} from the cache`);
  } finally {
    await browser.close();
    server.stop();
  }
});

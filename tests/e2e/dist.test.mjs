// `make dist` output on its own: copied into a sub-folder of a plain static root (no /pkg/
// mount, nothing else from the repo), it must load, sample, and reproduce a link exactly; its
// service worker makes it cross-origin isolated, so it runs the threaded core, to the same bits.
// Its core, its page's bundled scripts and its workers' have content-hashed names, downloaded once
// (compressed) and then taken from the cache.
import test from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, launchBrowser, openPage, openRecordingWasm, scratchDir, startServer } from './harness.mjs';

/** Waits until the page (which may reload itself once) is ready or failed; what it shows. */
async function settled(page) {
  for (let waited = 0; waited < 60_000; waited += 250) {
    const state = await page.evaluate(() => document.body.dataset.state).catch(() => null);
    if (['ready', 'error'].includes(state)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return page.evaluate(() => ({
    state: document.body.dataset.state,
    message: document.getElementById('message').textContent,
    isolated: crossOriginIsolated,
    points: Array.from(window.genlab.view.points),
  }));
}

/** A copy of dist/ at `dir` whose pages do not load the service worker (a host that removed it). */
function copyWithoutServiceWorker(dir) {
  cpSync(path.join(ROOT, 'dist'), dir, { recursive: true });
  const index = path.join(dir, 'index.html');
  writeFileSync(index, readFileSync(index, 'utf8').replace('<script src="coi-serviceworker.js"></script>', ''));
  for (const sibling of ['br', 'gz']) rmSync(`${index}.${sibling}`, { force: true });
}

const HASHED_CORE = /\/pkg\/genlab_bg\.[0-9a-f]{16}\.wasm$/;
const HASHED_THREADED_CORE = /\/pkg\/threads\/genlab_bg\.[0-9a-f]{16}\.wasm$/;
const HASHED_FILE = /\/[\w-]+\.[0-9a-f]{16}\.(js|css|wasm)$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

test('the dist folder works from a sub-folder of any static host, isolated by its service worker', async (t) => {
  const root = scratchDir(t, 'genlab-dist-');
  cpSync(path.join(ROOT, 'dist'), path.join(root, 'course', 'genlab'), { recursive: true });
  copyWithoutServiceWorker(path.join(root, 'course', 'plain'));
  const server = await startServer({ dir: root, pkg: null });
  const isolated = await startServer({ dir: root, pkg: null, extra: ['--isolate'] });
  const browser = await launchBrowser();
  try {
    const address = 'course/genlab/#data?v=1&dataset.name=rings&n=700&seed=5';
    // without its service worker the page is not isolated: the single-threaded core
    const plain = await openRecordingWasm(browser, server.url + address.replace('genlab', 'plain'));
    const single = await settled(plain.page);
    assert.deepEqual([single.state, single.message, single.isolated], ['ready', '', false]);
    assert.equal(single.points.length, 1400);
    assert.equal(plain.wasm.length, 1);
    assert.match(plain.wasm[0], HASHED_CORE);
    assert.deepEqual(plain.errors, []);
    // with it, the first visit reloads once, isolated, and downloads only the threaded core
    const served = await openRecordingWasm(browser, server.url + address);
    const threaded = await settled(served.page);
    assert.deepEqual([threaded.state, threaded.isolated], ['ready', true], 'the service worker isolated the page');
    assert.equal(served.wasm.length, 1, `wasm asked for: ${served.wasm.join(', ')}`);
    assert.match(served.wasm[0], HASHED_THREADED_CORE);
    assert.deepEqual(threaded.points, single.points, 'the same points as the single-threaded core');
    assert.deepEqual(served.errors, []);
    // a host that sends the headers itself needs no service worker
    const headers = await openRecordingWasm(browser, isolated.url + address);
    const sent = await settled(headers.page);
    assert.deepEqual([sent.state, sent.isolated, sent.points], ['ready', true, single.points]);
    assert.match(headers.wasm.join(), HASHED_THREADED_CORE);
    const bench = await openPage(browser, `${server.url}course/genlab/bench.html?steps=2&reps=1`);
    await bench.page.waitForFunction(() => window.benchResults?.done, null, { timeout: 300_000 });
    assert.equal(await bench.page.evaluate(() => window.benchResults.error), undefined, 'the bench page finds its vendored TF.js');
  } finally {
    await browser.close();
    server.stop();
    isolated.stop();
  }
});

test('the dist page downloads its content-hashed core once, and a reload takes it from the cache', async (t) => {
  // (its service worker, tested above, is kept out: it fetches again what the page asks for)
  const root = scratchDir(t, 'genlab-dist-');
  copyWithoutServiceWorker(path.join(root, 'course', 'genlab'));
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

    const workers = [];
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
    const first = await load(() => page.goto(`${server.url}course/genlab/`));
    // the page and its workers are bundles named by their content, cached for good like the core
    const unhashed = first.filter((r) => /\.(js|css)$/.test(r.path) && !HASHED_FILE.test(r.path)).map((r) => r.path);
    assert.deepEqual(unhashed, [], 'the page loads only content-hashed scripts and styles');
    assert.ok(first.filter((r) => r.path.endsWith('.js')).every((r) => r.header('cache-control') === IMMUTABLE), 'its scripts are immutable');
    assert.ok(workers.length > 0 && workers.every((w) => HASHED_FILE.test(w)), `workers: ${workers.join(', ')}`);
    const cores = first.filter((r) => HASHED_CORE.test(r.path));
    assert.equal(cores.length, 1, 'the page fetches the hashed core once');
    assert.deepEqual(first.filter((r) => r.path.endsWith('/genlab_bg.wasm')), [], 'nothing asks for the unhashed name');
    const [core] = cores;
    assert.deepEqual([core.status, core.cached], [200, false]);
    assert.equal(core.header('cache-control'), IMMUTABLE);
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

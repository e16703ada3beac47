// End-to-end tests of how a page loads the GenLab core, in headless Chromium: whatever view it
// opens (and an embedded widget too), the page downloads genlab_bg.wasm once and hands the
// compiled module to its workers; a lab's worker starts only when its view is first shown; a
// host that serves wasm with the wrong MIME type still works; a core that cannot be downloaded
// gives a message, not a blank page.
import test from 'node:test';
import assert from 'node:assert/strict';
import { openPage, useSite } from './harness.mjs';

const site = useSite();

const isCore = (url) => new URL(url).pathname.endsWith('/genlab_bg.wasm');

/**
 * Opens `path` on the site and counts, from the start, the core's downloads (Chromium reports a
 * dedicated worker's requests as the page's) and the lab workers (`worker.js`) that start.
 */
async function openCounting(path, { route } = {}) {
  const counts = { downloads: 0, labWorkers: 0 };
  const setup = async (context) => {
    if (route) await context.route((url) => isCore(url.href), route);
    context.on('page', (page) => {
      page.on('request', (request) => { if (isCore(request.url())) counts.downloads++; });
      page.on('worker', (worker) => { if (new URL(worker.url()).pathname.endsWith('/js/worker.js')) counts.labWorkers++; });
    });
  };
  const opened = await openPage(site.browser, site.server.url + path, { setup });
  return { ...opened, counts };
}

/** Waits until `lab` is shown, its link opened, and nothing runs. */
async function waitIdle(page, lab) {
  await page.waitForFunction((lab) => {
    const v = window.genlab?.views?.[lab];
    return document.body.dataset.lab === lab && ['ready', 'error'].includes(document.body.dataset.state)
      && v && !v.playing && !v.training && !v.sampling;
  }, lab, { timeout: 240_000 });
  await page.evaluate(() => window.genlab.ready);
}

const message = (page) => page.evaluate(() => {
  const m = document.getElementById('message');
  return m.hidden ? '' : m.textContent;
});

for (const [hash, lab] of [['', 'data'], ['#data', 'data'], ['#si', 'si'], ['#halluc', 'halluc'], ['#qlae', 'qlae']]) {
  test(`opening ${hash || 'the page'} downloads the core once and starts one lab worker`, async () => {
    const { page, context, errors, counts } = await openCounting(hash);
    await waitIdle(page, lab);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    assert.equal(counts.downloads, 1, 'core downloads');
    assert.equal(counts.labWorkers, 1, 'lab workers started');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('switching views starts the next lab’s worker on the same download', async () => {
  const { page, context, errors, counts } = await openCounting('#si');
  await waitIdle(page, 'si');
  await page.evaluate(() => { location.hash = '#data'; });
  await waitIdle(page, 'data');
  assert.equal(counts.labWorkers, 2, 'the Data view’s worker started when it was shown');
  await page.evaluate(() => { location.hash = '#si'; });
  await waitIdle(page, 'si');
  assert.equal(counts.downloads, 1, 'core downloads');
  assert.equal(counts.labWorkers, 2, 'going back reuses the first worker');
  assert.deepEqual(errors, []);
  await context.close();
});

test('workers a view adds later (a second QLAE run, recursive training) use the same download', async () => {
  const qlae = await openCounting('#qlae?v=1&data.kind=sprites&model=qlae&train.steps=150&train.batch=16&evalSize=200&seed=3&compare=ae');
  await waitIdle(qlae.page, 'qlae');
  assert.equal(await qlae.page.evaluate(() => window.genlab.views.qlae.runB.trained), 0, 'run B is configured');
  assert.deepEqual([qlae.counts.labWorkers, qlae.counts.downloads], [2, 1], '[lab workers, core downloads]');
  assert.deepEqual(qlae.errors, []);
  await qlae.context.close();

  const halluc = await openCounting('#halluc?v=1&data.name=modes-1d&data.modes=[1,2,3]&data.std=0.05&trainSize=200&schedule.steps=40&train.width=16&train.batch=64&train.steps=60&train.ema=0&n=200&seed=2');
  const { page } = halluc;
  await waitIdle(page, 'halluc');
  await page.click('#halluc-recursive summary');
  await page.fill('#halluc-generations', '2');
  await page.click('#halluc-recurse');
  // the first generation has come from the recursion's own worker
  await page.waitForFunction(() => window.genlab.views.halluc.lineages, null, { timeout: 120_000 });
  if (await page.evaluate(() => window.genlab.views.halluc.recursing)) await page.click('#halluc-recurse');
  assert.ok(halluc.counts.labWorkers >= 2, `${halluc.counts.labWorkers} lab workers`);
  assert.equal(halluc.counts.downloads, 1, 'core downloads');
  assert.deepEqual(halluc.errors, []);
  await halluc.context.close();
});

test('an embedded widget starts only its own lab’s worker, on one download', async () => {
  const { page, context, errors, counts } = await openCounting('index.html?embed=1#si');
  await waitIdle(page, 'si');
  assert.equal(await page.evaluate(() => document.body.dataset.embed), '1');
  assert.equal(counts.downloads, 1, 'core downloads');
  assert.equal(counts.labWorkers, 1, 'lab workers started');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a host that serves the core without the wasm MIME type still works, on one download', async () => {
  const route = async (r) => {
    const response = await r.fetch();
    await r.fulfill({ response, headers: { ...response.headers(), 'content-type': 'application/octet-stream' } });
  };
  const { page, context, counts } = await openCounting('#data?v=1&dataset.name=rings&n=500&seed=2', { route });
  await waitIdle(page, 'data');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.equal(await page.evaluate(() => window.genlab.view.points.length), 1000);
  assert.equal(counts.downloads, 1, 'core downloads');
  await context.close();
});

test('a core that cannot be downloaded says so', async () => {
  const route = (r) => r.fulfill({ status: 404, contentType: 'text/plain', body: 'not here' });
  const { page, context } = await openCounting('#si', { route });
  await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 60_000 });
  assert.match(await message(page), /GenLab could not start: .*core.*download/i);
  await context.close();
});

// End-to-end tests of how a page loads the GenLab core, in headless Chromium: whatever view it
// opens (and an embedded widget too), the page downloads genlab_bg.wasm once and hands the
// compiled module to its workers; a lab's worker starts only when its view is first shown; a
// host that serves wasm with the wrong MIME type still works; a core that cannot be downloaded
// gives a message, not a blank page.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { openPage, useSite, ROOT } from './harness.mjs';
import { SHIPPED } from '../../www/js/prefetch.js';

const WWW = path.join(ROOT, 'www');

/** The core these pages download (`genlab serve --pkg pkg`). */
const CORE_BYTES = statSync(path.join(ROOT, 'pkg/genlab_bg.wasm')).size;

const site = useSite();

const isCore = (url) => new URL(url).pathname.endsWith('/genlab_bg.wasm');

/**
 * Opens `path` on the site and counts, from the start, the core's downloads (Chromium reports a
 * dedicated worker's requests as the page's) and the lab workers (`worker.js`) that start.
 * `route(route, counts)` handles the requests `routed` picks (by default, the core's).
 */
async function openCounting(path, { route, routed = isCore } = {}) {
  const counts = { downloads: 0, labWorkers: 0 };
  const setup = async (context) => {
    if (route) await context.route((url) => routed(url.href), (r) => route(r, counts));
    context.on('page', (page) => {
      page.on('request', (request) => { if (isCore(request.url())) counts.downloads++; });
      page.on('worker', (worker) => { if (new URL(worker.url()).pathname.endsWith('/js/worker.js')) counts.labWorkers++; });
    });
  };
  const opened = await openPage(site.browser, site.server.url + path, { setup });
  return { ...opened, counts };
}

/**
 * Waits until `lab` is shown, its link opened, and nothing runs. A view switched to is 'ready'
 * from the last one until it is configured, so its config must have come too.
 */
async function waitIdle(page, lab) {
  await page.waitForFunction((lab) => {
    const v = window.genlab?.views?.[lab];
    return document.body.dataset.lab === lab && ['ready', 'error'].includes(document.body.dataset.state)
      && v && (v.config || document.body.dataset.state === 'error') && !v.playing && !v.training && !v.sampling;
  }, lab, { timeout: 240_000 });
  await page.evaluate(() => window.genlab.ready);
}

/** The steps of the page's start it recorded (www/js/startup.js), without their times. */
const startSteps = async (page) => (await page.evaluate(() => globalThis.genlabStartup)).map((s) => s.replace(/^\d+ ms: /, ''));

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
    // the record of the start has its steps, in their order, for the one worker
    const plot = { data: 'samples-canvas', si: 'si-canvas', halluc: 'halluc-canvas', qlae: 'qlae-recon' }[lab];
    const order = ['core: compiled', 'worker 1: core sent', 'worker 1: core received', 'worker 1: core instantiated', `${plot}: placeholder ended`];
    const steps = await startSteps(page);
    assert.deepEqual(steps.filter((s) => order.includes(s)), order, steps.join('; '));
    assert.ok(steps.includes('link opened'), steps.join('; '));
    assert.ok(steps.every((s) => !s.startsWith('worker 2')), steps.join('; '));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a boot script that runs after main.js does not start a second lab worker', async () => {
  // boot.js is `async`, so on a fast or warm load it may run after main.js has started the lab's
  // worker itself; hold it back until then
  const route = async (r, counts) => {
    while (counts.labWorkers === 0) await new Promise((done) => setTimeout(done, 20));
    await r.continue();
  };
  const isBoot = (url) => new URL(url).pathname.endsWith('/js/boot.js');
  const { page, context, errors, counts } = await openCounting('#si', { route, routed: isBoot });
  await waitIdle(page, 'si');
  // the same module as the page's script tag, so this resolves once boot.js has run
  await page.evaluate(() => import(new URL('js/boot.js', document.baseURI).href));
  await page.evaluate(() => new Promise((done) => setTimeout(done, 500)));
  assert.equal(counts.labWorkers, 1, 'lab workers started');
  assert.equal(counts.downloads, 1, 'core downloads');
  assert.deepEqual(errors, []);
  await context.close();
});

/** The modules `file` imports statically, and theirs, as paths under www/. */
function importGraph(file, graph = new Set()) {
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
    const found = path.resolve(path.dirname(file), spec);
    if (!graph.has(found)) importGraph(found, graph.add(found));
  }
  return graph;
}

test('index.html preloads what boot.js imports, and the page fetches each of those once', async () => {
  const html = readFileSync(path.join(WWW, 'index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map(([, href]) => path.join(WWW, href));
  assert.deepEqual(preloaded.toSorted(), [...importGraph(path.join(WWW, 'js/boot.js'))].toSorted());
  // the page's own fetches (a worker's imports go out as destination `worker`): a preload the
  // module loader did not reuse would show twice
  const fetches = [];
  const setup = (c) => c.on('request', (r) => fetches.push(r.allHeaders().then((h) => [new URL(r.url()).pathname, h['sec-fetch-dest']])));
  const { page, context, errors } = await openPage(site.browser, `${site.server.url}#data`, { setup });
  await waitIdle(page, 'data');
  const fetched = (await Promise.all(fetches)).filter(([, dest]) => dest === 'script').map(([name]) => name);
  for (const file of preloaded) {
    const name = `/${path.relative(WWW, file)}`;
    assert.equal(fetched.filter((p) => p === name).length, 1, `fetches of ${name}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a link naming a shipped preset fetches its first file beside the core, once; the table matches the catalog', async () => {
  for (const [hash, lab, file] of [['#halluc?preset=grid25', 'halluc', '/models/halluc/grid25.safetensors'], ['#qlae?preset=sprites-qlae', 'qlae', '/models/qlae/sprites-qlae.preview.json']]) {
    const events = [];
    const setup = (c) => {
      c.on('request', (r) => events.push(['asked', new URL(r.url()).pathname]));
      c.on('requestfinished', (r) => events.push(['done', new URL(r.url()).pathname]));
    };
    const { page, context, errors } = await openPage(site.browser, site.server.url + hash, { setup });
    await waitIdle(page, lab);
    const asked = events.findIndex(([what, name]) => what === 'asked' && name === file);
    const coreDone = events.findIndex(([what, name]) => what === 'done' && isCore(`http://x${name}`));
    assert.ok(asked >= 0 && asked < coreDone, `${file} was asked for before the core had downloaded`);
    assert.equal(events.filter(([what, name]) => what === 'asked' && name === file).length, 1, `${file} fetched once`);
    if (lab === 'halluc') assert.ok(await page.evaluate(() => window.genlab.views.halluc.trained > 0), 'the run started from the fetched weights');
    // the presets prefetch.js knows are the catalog's presets with weights
    const catalog = await page.evaluate(() => Object.fromEntries(['si', 'halluc', 'qlae'].map((l) => [l, window.genlab.views[l].presets.filter((p) => p.weights).map((p) => p.weights).sort()])));
    for (const [l, names] of Object.entries(SHIPPED)) assert.deepEqual(names.map((n) => `models/${l}/${n}.safetensors`).sort(), catalog[l], l);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

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

/**
 * Opens `path` with the network throttled to `kbps` kbit/s (DevTools network emulation, set
 * before the page loads) and records every text the plots' loading placeholders show
 * (`window.placeholderLog`: [{ id, text (null once removed), t }]).
 */
async function openThrottled(path, kbps, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await site.browser.newContext({ viewport });
  await context.addInitScript(() => {
    window.placeholderLog = [];
    new MutationObserver((records) => {
      for (const r of records) window.placeholderLog.push({ id: r.target.id, text: r.target.getAttribute('data-placeholder'), t: performance.now() });
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-placeholder'] });
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const bytesPerSecond = (kbps * 1000) / 8;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
  await page.goto(site.server.url + path, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  return { page, context, errors };
}

/** The canvas `id`'s pixels that are not transparent (its background is the CSS box behind it). */
const inkedPixels = (page, id) => page.evaluate((id) => {
  const canvas = document.getElementById(id);
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}, id);

const placeholderText = (page, id) => page.evaluate((id) => document.getElementById(id).dataset.placeholder ?? null, id);

/**
 * The first plot on screen that shows a placeholder matching `pattern` (the page shows the Data
 * view until the link's lab is known, once the core is in): resolves to its id.
 */
async function shownPlaceholder(page, pattern, timeout = 30_000) {
  const handle = await page.waitForFunction((source) => {
    const re = new RegExp(source);
    return [...document.querySelectorAll('canvas[data-placeholder]')]
      .find((c) => c.clientWidth > 0 && re.test(c.dataset.placeholder))?.id;
  }, pattern.source, { timeout });
  return handle.jsonValue();
}

/** The "X of Y MB" of the core's download in a placeholder text, as [X, Y], or null. */
function coreBytes(text) {
  const m = /Loading the GenLab core… ([\d.]+) of ([\d.]+) MB/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

test('on a slow network each plot shows the download’s progress until its first samples paint', async () => {
  const { page, context, errors } = await openThrottled('#si', 2000);
  // (a) mid-download the plot on screen is not an empty box, and (b) says how far the core is
  const id = await shownPlaceholder(page, /core… [\d.]+ of/);
  const first = coreBytes(await placeholderText(page, id));
  assert.ok(first, 'the placeholder names the core download');
  assert.equal(first[1], Number((CORE_BYTES / 1e6).toFixed(1)), `the core's total, ${first[1]} MB`);
  assert.ok(await inkedPixels(page, id) > 200, `the placeholder is drawn on ${id}`);
  assert.match(await page.getAttribute(`#${id}`, 'aria-label'), /Loading the GenLab core/, 'screen readers hear it too');
  await page.waitForTimeout(1500);
  const later = coreBytes(await placeholderText(page, id));
  assert.ok(later && later[0] > first[0], `the byte count grows: ${first[0]} then ${later?.[0]} MB`);
  assert.ok(await inkedPixels(page, id) > 200, 'still drawn');
  // (d) once loaded, the particles are drawn as before and the placeholder is gone
  await waitIdle(page, 'si');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.equal(await placeholderText(page, 'si-canvas'), null, 'the placeholder ended');
  assert.equal(await page.getAttribute('#si-canvas', 'aria-label'), 'Particles moving from the source to the target');
  assert.ok(await page.evaluate(() => window.genlab.views.si.frames[0].length > 0), 'particles');
  assert.ok(await inkedPixels(page, 'si-canvas') > 200, 'the particles are drawn');
  const log = await page.evaluate((id) => window.placeholderLog.filter((e) => e.id === id).map((e) => e.text), id);
  const counts = log.map(coreBytes).filter(Boolean).map(([x]) => x);
  assert.ok(counts.length >= 3 && counts.every((x, i) => i === 0 || x >= counts[i - 1]), `the core's count only grows: ${counts.join(', ')}`);
  const siLog = await page.evaluate(() => window.placeholderLog.filter((e) => e.id === 'si-canvas').map((e) => e.text));
  assert.ok(siLog.some((t) => /^Loading the model’s weights… \d+ of \d+ kB/.test(t ?? '')), `then the preset's weights: ${[...new Set(siLog)].slice(-5).join(' | ')}`);
  assert.equal(siLog.at(-1), null, 'the first real draw replaced the placeholder');
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a very slow network the placeholder says so, with an estimate of the wait (embedded widget)', async () => {
  const { page, context, errors } = await openThrottled('index.html?embed=1#si', 300);
  const id = await shownPlaceholder(page, /core… [\d.]+ of/);
  await shownPlaceholder(page, /slow connection/, 15_000);
  // not before the download has run 3 s (it starts before the page's other scripts have come,
  // so on this line the first placeholder may already say it)
  const { started, slowAt } = await page.evaluate(async () => ({
    started: (await import('./js/downloads.js')).seen.find((d) => d.what === 'core').started,
    slowAt: window.placeholderLog.find((l) => /slow connection/.test(l.text ?? '')).t,
  }));
  assert.ok(slowAt - started >= 3000, `said slow ${Math.round(slowAt - started)} ms into the download`);
  // the estimate, once the page's scripts (main.js has run) no longer share the line with the core
  await page.waitForFunction(() => window.genlab !== undefined, null, { timeout: 60_000 });
  await page.waitForTimeout(3000);
  const text = await placeholderText(page, id);
  const m = /This is a slow connection: the first picture needs about (\d+) (s|min) more\./.exec(text);
  assert.ok(m, text);
  // 300 kbit/s is 37.5 kB/s: the whole core takes CORE_BYTES / 37.5 kB (60 s for 2.2 MB), less
  // what has come, more while the page's scripts share the line; from 90 s the page rounds up to
  // whole minutes
  const seconds = Number(m[1]) * (m[2] === 'min' ? 60 : 1);
  const whole = CORE_BYTES / 37_500;
  assert.ok(seconds >= 0.4 * whole && seconds <= 3 * whole + 60, `estimate ${m[1]} ${m[2]} for a core of ${Math.round(whole)} s`);
  assert.ok(await inkedPixels(page, id) > 200, 'drawn');
  assert.deepEqual(errors, []);
  await context.close();
});

// End-to-end tests of the served site in headless Chromium: the Data view, links that
// reproduce points exactly (across fresh wasm instances and against the native CLI),
// malformed links, cancel latency, and recovery from a Rust panic.
import test from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, strToU8 } from '../../www/vendor/fflate.js';
import { execFileSync } from 'node:child_process';
import { GENLAB_BIN, openPage, useSite } from './harness.mjs';

const site = useSite();

/** Opens `hash` and waits until the Data view has finished sampling. */
async function open(hash, options) {
  const opened = await openPage(site.browser, site.server.url + hash, options);
  await waitIdle(opened.page);
  return opened;
}

async function waitIdle(page) {
  await page.waitForFunction(() => ['ready', 'error', 'cancelled'].includes(document.body.dataset.state), null, { timeout: 60_000 });
}

const samples = (page) => page.evaluate(() => Array.from(window.genlab.view.points));
const message = (page) => page.evaluate(() => {
  const m = document.getElementById('message');
  return m.hidden ? '' : m.textContent;
});

/** Distinct colours among a canvas's pixels (a blank canvas has one). */
const canvasColours = (page, id) => page.evaluate((id) => {
  const c = document.getElementById(id);
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]);
  return seen.size;
}, id);

test('the Data view renders samples and density with no console errors', async () => {
  const { page, errors, context } = await open('');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.match(await page.evaluate(() => location.hash), /^#data\?v=1&dataset\.name=checkerboard&n=2000&seed=0$/);
  assert.equal((await samples(page)).length, 2 * 2000);
  assert.ok(await canvasColours(page, 'samples-canvas') > 3, 'samples canvas is drawn');
  assert.ok(await canvasColours(page, 'density-canvas') > 3, 'density canvas is drawn');
  assert.equal(await message(page), '');
  assert.equal(await page.textContent('#density-caption'), 'Density (exact)');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a link reproduces the same points in a fresh browser, equal to the native CLI', async () => {
  const hash = '#data?v=1&dataset.name=two-moons&dataset.noise=0.1&n=500&seed=42';
  const a = await open(hash);
  const b = await open(hash);
  const pa = await samples(a.page);
  const pb = await samples(b.page);
  assert.equal(pa.length, 1000);
  assert.match(await a.page.textContent('#density-caption'), /histogram/, 'moons have no closed-form density');
  assert.deepEqual(pa, pb, 'two fresh wasm instances give identical points');
  const cli = JSON.parse(execFileSync(GENLAB_BIN, ['data', 'sample', '--dataset', 'two-moons', '--n', '500', '--seed', '42', '--format', 'json']));
  assert.deepEqual(cli.flat().map(Math.fround), pa, 'the CLI and the page draw the same f32 points');
  const other = await open('#data?v=1&dataset.name=two-moons&n=500&seed=43');
  assert.notDeepEqual(await samples(other.page), pa, 'another seed gives other points');
  await Promise.all([a.context.close(), b.context.close(), other.context.close()]);
});

test('changing the controls updates the link', async () => {
  const { page, context } = await open('');
  await page.selectOption('#dataset', 'grid25');
  await page.waitForFunction(() => location.hash.includes('dataset.name=grid25'));
  await waitIdle(page);
  await page.fill('#seed', '7');
  await page.dispatchEvent('#seed', 'change');
  await page.waitForFunction(() => location.hash.includes('seed=7'));
  await waitIdle(page);
  const hash = await page.evaluate(() => location.hash);
  const again = await open(hash);
  assert.deepEqual(await samples(again.page), await samples(page));
  await Promise.all([context.close(), again.context.close()]);
});

/** A deflated link value of a few kB that would inflate to 8 MB of JSON. */
function sizeBomb() {
  const json = `[${'0,'.repeat(4 * 1024 * 1024)}0]`;
  return `*${Buffer.from(deflateSync(strToU8(json), { level: 9 })).toString('base64url')}`;
}

test('malformed links show a specific message and fall back to the defaults', async () => {
  const cases = [
    ['#data?n=0', /n: 0 is out of range; allowed 1 to 1000000/],
    ['#data?dataset.name=nope', /nope/],
    ['#data?dataset.name=grid25&dataset.std=abc', /dataset\.std/],
    ['#data?seed=99999999999', /seed/],
    ['#data?v=7', /version 7/],
    ['#zzz?x=1', /no lab called “zzz” \(the labs: data, si, halluc, qlae\)/],
    ['#constructor', /no lab called “constructor”/],
    ['#hasownproperty?n=1', /no lab called “hasownproperty”/],
    [`#data?v=1&dataset.name=points&dataset.points=${sizeBomb()}`, /dataset\.points: its compressed value inflates past 1,048,576 bytes/],
    ['#<img src=x onerror=alert(1)>', /could not be opened/],
  ];
  for (const [hash, expected] of cases) {
    const { page, errors, context } = await open(hash);
    const text = await message(page);
    assert.match(text, expected, `${hash} → ${text}`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', hash);
    assert.equal((await samples(page)).length, 2 * 2000, `${hash}: the defaults are shown`);
    assert.ok(await canvasColours(page, 'samples-canvas') > 3, `${hash}: canvas is drawn`);
    assert.equal(await page.evaluate(() => document.querySelectorAll('#message-text *').length), 0, 'message is text, not HTML');
    assert.deepEqual(errors, [], hash);
    await context.close();
  }
});

test('a bad setting typed in the form keeps the last good run', async () => {
  const { page, context } = await open('#data?v=1&dataset.name=rings&n=300&seed=1');
  const before = await samples(page);
  await page.fill('#n', '0');
  await page.dispatchEvent('#n', 'change');
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(page), /n: 0 is out of range/);
  assert.deepEqual(await samples(page), before);
  assert.match(await page.evaluate(() => location.hash), /n=300/);
  await context.close();
});

test('a cancel lands within 100 ms', async () => {
  const { page, context } = await open('');
  const result = await page.evaluate(async () => {
    const { worker } = window.genlab;
    await worker.request({ type: 'configure', lab: 'data', config: { dataset: { name: 'two-spirals' }, n: 1000000, seed: 1 } });
    let cancelledAt = 0;
    const final = await worker.request({ type: 'sample', chunk: 5000 }, () => {
      if (!cancelledAt) { cancelledAt = performance.now(); worker.cancel(); }
    });
    return { type: final.type, ms: performance.now() - cancelledAt, produced: final.produced };
  });
  assert.equal(result.type, 'cancelled');
  assert.ok(result.produced < 1000000);
  assert.ok(result.ms < 100, `cancel took ${result.ms} ms`);
  await context.close();
});

test('a Rust panic shows a readable error and the worker restarts with the last config', async () => {
  const { page, context } = await open('#data?v=1&dataset.name=eight-gaussians&n=400&seed=3');
  const before = await samples(page);
  await page.evaluate(() => window.genlab.worker.panic());
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('crashed'));
  assert.match(await message(page), /GenLab core crashed .*Your settings were kept/);
  await page.evaluate(() => window.genlab.view.run());
  assert.deepEqual(await samples(page), before, 'the restarted worker has the same config');
  await context.close();
});

test('running out of memory says so, and the worker restarts with the last config', async () => {
  const { page, context } = await open('#data?v=1&dataset.name=eight-gaussians&n=400&seed=3');
  const before = await samples(page);
  await page.evaluate(() => window.genlab.worker.exhaust());
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('memory'), null, { timeout: 60_000 });
  assert.match(await message(page), /^This tab ran out of memory: the core holds [\d,]+ MB and could not get 1,074 MB more .*Lower train\.batch/);
  await page.evaluate(() => window.genlab.view.run());
  assert.deepEqual(await samples(page), before, 'the restarted worker has the same config');
  await context.close();
});

test('drawing on the plot adds a point to the drawn density and the link', async () => {
  const { page, context } = await open('#data?v=1&dataset.name=points&n=200');
  const box = await page.locator('#samples-canvas').boundingBox();
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.25);
  await page.waitForFunction(() => window.genlab.view.config.dataset.points.length === 4);
  await waitIdle(page);
  const [x, y] = await page.evaluate(() => window.genlab.view.config.dataset.points[3]);
  assert.ok(Math.abs(x - 2) < 0.1 && Math.abs(y - 2) < 0.1, `point at (${x}, ${y}), expected about (2, 2)`);
  assert.match(await page.evaluate(() => decodeURIComponent(location.hash)), /dataset\.points=\[\[/);
  await context.close();
});

test('a 1D density shows a histogram and a curve', async () => {
  const { page, errors, context } = await open('#data?v=1&dataset.name=modes-1d&n=3000');
  assert.equal(await page.evaluate(() => window.genlab.view.dim), 1);
  assert.equal((await samples(page)).length, 3000);
  assert.ok(await canvasColours(page, 'samples-canvas') > 2);
  assert.ok(await canvasColours(page, 'density-canvas') > 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a 375 px phone shows the page without sideways scrolling', async () => {
  const { page, context } = await open('', { viewport: { width: 375, height: 800 } });
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= 375, `page is ${width} px wide`);
  const canvas = await page.locator('#samples-canvas').boundingBox();
  assert.ok(canvas.width > 300 && canvas.height > 300, 'the plot fills the width');
  await context.close();
});

test('the worker runs training steps with progress, and cancels between steps', async () => {
  const { page, context } = await open('');
  const result = await page.evaluate(async () => {
    const { worker } = window.genlab;
    await worker.request({ type: 'configure', lab: 'bench', config: { seed: 1 } });
    const losses = [];
    const ran = await worker.request({ type: 'run', k: 6 }, (m) => { if (m.type === 'progress') losses.push(m.loss); });
    let seen = 0;
    const cancelled = await worker.request({ type: 'run', k: 1000 }, () => { if (++seen === 2) worker.cancel(); });
    const bad = await worker.request({ type: 'configure', lab: 'nope', config: {} }).catch((e) => e.message);
    return { losses, ran, cancelled, bad };
  });
  assert.equal(result.losses.length, 6);
  assert.ok(result.losses.every(Number.isFinite));
  assert.ok(result.losses[5] < result.losses[0], `loss ${result.losses[0]} → ${result.losses[5]}`);
  assert.equal(result.ran.type, 'ran');
  assert.equal(result.cancelled.type, 'cancelled');
  assert.ok(result.cancelled.step <= 3, `stopped after step ${result.cancelled.step}`);
  assert.match(result.bad, /unknown lab “nope”/);
  await context.close();
});

test('the message banner stays in sight while the page scrolls, and the learner can dismiss it', async () => {
  for (const width of [375, 1440]) {
    const { page, errors, context } = await open('#data?v=1&dataset.name=nope', { viewport: { width, height: 700 } });
    assert.match(await message(page), /could not be opened/);
    // the link opened scrolled to its lab, below the banner's place in the page
    await page.evaluate(() => window.scrollTo(0, document.getElementById('data').offsetTop + 200));
    const box = await page.locator('#message').boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 700, `${width} px: the banner is in the viewport (${JSON.stringify(box)})`);
    await page.click('#message-close');
    assert.equal(await page.locator('#message').isHidden(), true, 'dismissed');
    assert.deepEqual(errors, []);
    await context.close();
  }
});

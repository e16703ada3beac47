// End-to-end tests of the threaded core, in headless Chromium: a cross-origin isolated page
// (`genlab serve --isolate`) downloads only the threaded core and computes on the threads asked
// for; training on 1, 2 and 3 threads gives the same weights bit for bit, and a link paints the
// same picture in an isolated page as in an ordinary one; a pool thread's panic is reported and
// the lab restarts.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { launchBrowser, openRecordingWasm, startServer } from './harness.mjs';

let isolated;
let ordinary;
let browser;
before(async () => {
  [isolated, ordinary, browser] = await Promise.all([startServer({ extra: ['--isolate'] }), startServer(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  isolated?.stop();
  ordinary?.stop();
});

// Big enough that every threaded path runs split: products past gemm's threading threshold,
// elementwise ops past candle's, convolutions split by sample.
const CONFIGS = {
  si: { rho0: { name: 'gaussian', dim: 2 }, rho1: { name: 'checkerboard' }, model: { width: 256, depth: 3, activation: 'silu' }, train: { batch: 1024, steps: 3 }, sampler: { steps: 10 }, n: 500 },
  qlae: {
    data: { kind: 'sprites', size: 32, scales: 2, orientations: 2, xPositions: 4, yPositions: 4 },
    encoder: { channels: [8, 16], dense: [32] }, decoder: { channels: [16, 8], dense: [32] },
    train: { batch: 16, steps: 2 }, evalSize: 32,
  },
};

const settled = (page) => page.waitForFunction(() => {
  const lab = document.body.dataset.lab;
  const v = window.genlab?.views[lab];
  return ['ready', 'error'].includes(document.body.dataset.state) && v && !v.playing && !v.training && !v.sampling;
}, null, { timeout: 120_000 });

/** Opens `hash` on `server` (with `query`), recording the wasm files the page fetches. */
async function open(server, query, hash) {
  const opened = await openRecordingWasm(browser, `${server.url}${query}${hash}`);
  await opened.page.evaluate(() => window.genlab.ready);
  await settled(opened.page);
  return opened;
}

/** The threads the shown lab's worker computes on, as the core itself reports. */
const threadsOf = (page) => page.evaluate(async () => {
  const lab = document.body.dataset.lab;
  return (await window.genlab.views[lab].worker.request({ type: 'catalog' })).threads;
});

/** Trains `config` of `lab` for its steps in the page; the weights' SHA-256. */
async function trainedWeights(page, lab, config) {
  const bytes = await page.evaluate(async ({ lab, config }) => {
    const host = window.genlab.host;
    await host.open(lab, { config });
    await host.train(config.train.steps);
    return Array.from(await host.weights());
  }, { lab, config });
  return createHash('sha256').update(Buffer.from(bytes)).digest('hex');
}

test('an isolated page downloads only the threaded core, and trains the same bits on 1, 2 and 3 threads', { timeout: 600_000 }, async () => {
  const results = {};
  for (const threads of [1, 2, 3]) {
    const { page, context, errors, wasm } = await open(isolated, `?threads=${threads}`, '#si');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.equal(await threadsOf(page), threads, 'the pool has the threads asked for');
    assert.deepEqual(wasm, ['/pkg/threads/genlab_bg.wasm'], 'one core downloaded: the threaded one');
    for (const [lab, config] of Object.entries(CONFIGS)) (results[lab] ??= []).push(await trainedWeights(page, lab, config));
    assert.deepEqual(errors, []);
    await context.close();
  }
  const { page, context, wasm } = await open(ordinary, '', '#si');
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  assert.equal(await threadsOf(page), 1);
  assert.deepEqual(wasm, ['/pkg/genlab_bg.wasm'], 'an ordinary page downloads the single-threaded core');
  for (const [lab, config] of Object.entries(CONFIGS)) results[lab].push(await trainedWeights(page, lab, config));
  await context.close();
  for (const [lab, hashes] of Object.entries(results)) {
    assert.equal(new Set(hashes).size, 1, `${lab}: the weights differ between 1, 2, 3 threads and the single-threaded core: ${hashes.join(' ')}`);
  }
});

test('a link paints the same picture in an isolated page (2 threads) as in an ordinary one', { timeout: 300_000 }, async () => {
  const link = '#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=checkerboard&fields=learned&model.width=256&model.depth=3&train.batch=1024&train.steps=3&at=3&sampler.steps=20&n=2000&seed=5';
  const picture = async (server, query) => {
    const { page, context } = await open(server, query, link);
    await page.waitForFunction(() => window.genlab.views.si.trained === 3, null, { timeout: 120_000 });
    await settled(page);
    const png = await page.evaluate(() => window.genlab.host.picture().toDataURL());
    await context.close();
    return png;
  };
  const [threaded, single] = [await picture(isolated, '?threads=2'), await picture(ordinary, '')];
  assert.ok(threaded.length > 1000, 'something was drawn');
  assert.ok(threaded === single, 'the two pages painted different pictures');
});

test('hallucination samples are the same bits with the chains split over 2 threads as on one', { timeout: 300_000 }, async () => {
  // grid25's preset (its weights load), 200 chains: the threaded core splits each reverse step's
  // chains over its pool (halluc::model::FrozenNoiseNet)
  const link = '#halluc?v=1&data.name=grid25&data.std=0.05&trainSize=100000&schedule.steps=1000&schedule.betaStart=0.001&schedule.betaEnd=0.2&train.width=128&train.batch=1024&train.steps=120000&train.lr=0.001&train.lrEnd=0.00001&train.ema=0.999&denoiser=learned&window=5&k=4&n=200&seed=0';
  const samples = async (server, query) => {
    const { page, context } = await open(server, query, link);
    await page.waitForFunction(() => { const v = window.genlab.views.halluc; return v.report && !v.sampling; }, null, { timeout: 120_000 });
    const bits = await page.evaluate(() => {
      const v = window.genlab.views.halluc;
      return [...new Uint32Array(v.points.buffer), ...new Uint32Array(v.variance.buffer)];
    });
    await context.close();
    return bits;
  };
  const [threaded, single] = [await samples(isolated, '?threads=2'), await samples(ordinary, '')];
  assert.equal(threaded.length, 200 * 3, '200 points in 2D and their variances');
  assert.ok(threaded.join() === single.join(), 'the samples differ between 2 threads and the single-threaded core');
});

test('a panic on a pool thread is reported, and the lab restarts with its config', { timeout: 300_000 }, async () => {
  const { page, context } = await open(isolated, '?threads=2', '#data?v=1&dataset.name=eight-gaussians&n=400&seed=3');
  const samples = () => page.evaluate(() => Array.from(window.genlab.view.points));
  const before = await samples();
  await page.evaluate(() => window.genlab.worker.panic('pool'));
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('crashed'), null, { timeout: 60_000 });
  assert.match(await page.textContent('#message'), /^The GenLab core crashed \(deliberate panic on a pool thread requested by the test hook\)\. Restarting… Your settings were kept/);
  await page.evaluate(() => window.genlab.view.run());
  assert.deepEqual(await samples(), before, 'the restarted worker has the same config');
  await context.close();
});

test('a ?threads= the page cannot follow says why; one it follows says nothing', { timeout: 300_000 }, async () => {
  const cases = [
    [isolated, '?threads=abc', /^“threads=abc” is not a thread count \(a whole number from 1 to 16\); computing on \d+\.$/],
    [isolated, '?threads=17', /^“threads=17” is not a thread count/],
    [ordinary, '?threads=2', /^“threads=2” needs a cross-origin isolated page \(see the docs on sharing\); this one computes on 1 thread\.$/],
    [isolated, '?threads=2', null],
  ];
  for (const [server, query, pattern] of cases) {
    const { page, context, errors } = await open(server, query, '#data');
    const message = await page.evaluate(() => {
      const m = document.getElementById('message');
      return m.hidden ? null : m.textContent;
    });
    if (pattern) assert.match(message ?? '', pattern, query);
    else assert.equal(message, null, query);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

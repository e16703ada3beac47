// End-to-end tests of the diffusion-hallucinations lab in headless Chromium: the grid preset
// opens from shipped weights and hallucinates between modes, the threshold's removed/kept shares
// and the labels agree with an independent computation and with the native CLI, a link reproduces the samples exactly,
// a bad setting gives a specific message, and training in the page lowers the loss.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { GENLAB_BIN, openPage, useSite } from './harness.mjs';

const site = useSite();

const open = (hash) => site.open(hash, waitIdle);

/** Waits until the lab is idle: sampled (when it samples on opening) and not training. */
async function waitIdle(page) {
  await page.waitForFunction(() => {
    const v = window.genlab?.views?.halluc;
    return document.body.dataset.lab === 'halluc' && ['ready', 'error'].includes(document.body.dataset.state) && v && !v.sampling && !v.training;
  }, null, { timeout: 240_000 });
}

const state = (page) => page.evaluate(() => {
  const v = window.genlab.views.halluc;
  return { points: Array.from(v.points), variance: Array.from(v.variance), labels: Array.from(v.labels), modes: v.modes, sigma: v.sigma, k: v.config.k, report: v.report };
});
const message = (page) => page.evaluate(() => {
  const m = document.getElementById('message');
  return m.hidden ? '' : m.textContent;
});

test('the grid preset opens from shipped weights: hallucinations between modes, labels and threshold shares check out', async () => {
  const n = 1000;
  const { page, errors, context } = await open(`#halluc?v=1&data.name=grid25&data.std=0.05&trainSize=100000&schedule.steps=1000&schedule.betaStart=0.001&schedule.betaEnd=0.2&train.width=128&train.batch=1024&train.steps=120000&train.lr=0.001&train.lrEnd=0.00001&train.ema=0.999&denoiser=learned&window=5&k=4&n=${n}&seed=0`);
  assert.equal(await page.evaluate(() => window.genlab.views.halluc.trained), 120000, 'the shipped weights are loaded');
  const s = await state(page);
  assert.equal(s.variance.length, n);
  assert.ok(s.points.every(Number.isFinite));
  // labels, independently: beyond k·σ of every mode
  const far = [];
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let m = 0; m < s.modes.length; m += 2) best = Math.min(best, Math.hypot(s.points[2 * i] - s.modes[m], s.points[2 * i + 1] - s.modes[m + 1]));
    far.push(best > s.k * s.sigma ? 1 : 0);
  }
  assert.deepEqual(s.labels, far);
  // the native CLI samples the same points and variances, to rounding: its matrix products and
  // libm round some last bits differently from wasm's, over 1,000 reverse steps
  const rows = execFileSync(GENLAB_BIN, ['halluc', 'sample', '--preset', 'grid25', '--n', String(n)], { encoding: 'utf8' })
    .trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
  const gap = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const cliPoints = rows.flatMap((r) => [r[0], r[1]]);
  // (measured: points within 1e-3, variances within 4e-6, the same samples hallucinated)
  assert.ok(gap(cliPoints, s.points) < 1e-2, `points: the CLI's are up to ${gap(cliPoints, s.points)} away`);
  assert.ok(gap(rows.map((r) => r[2]), s.variance) < 1e-4, 'variances');
  assert.deepEqual(rows.map((r) => r[3]), s.labels, 'the CLI flags the same samples');
  const rate = far.reduce((a, b) => a + b, 0) / n;
  assert.ok(rate > 0 && rate < 0.5, `hallucination rate ${rate}`);
  assert.ok(s.report.auroc > 0.5, `AUROC ${s.report.auroc}`);
  // the slider: the shares shown are those of an independent count at the shown τ
  for (const position of ['200', '700']) {
    await page.evaluate((p) => { const el = document.getElementById('halluc-tau'); el.value = p; el.dispatchEvent(new Event('input')); }, position);
    const shown = await page.evaluate(() => ({ tau: window.genlab.views.halluc.tau, removed: document.getElementById('halluc-removed').textContent, kept: document.getElementById('halluc-kept').textContent }));
    let removed = 0, kept = 0;
    s.variance.forEach((v, i) => { if (far[i] && v > shown.tau) removed++; if (!far[i] && v <= shown.tau) kept++; });
    const h = far.filter(Boolean).length;
    assert.equal(shown.removed, `${(100 * removed / h).toFixed(1)}%`);
    assert.equal(shown.kept, `${(100 * kept / (n - h)).toFixed(1)}%`);
  }
  // the variance histogram draws each label as a share of its own samples, so the few
  // hallucinations show their shape (as counts they were a few pixels high), above the x labels
  const bars = await page.evaluate(() => {
    const c = document.getElementById('halluc-hist');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const band = 18 * (window.devicePixelRatio || 1);
    let orangeTop = c.height, inBand = 0;
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const i = 4 * (y * c.width + x);
        const orange = d[i + 3] > 100 && d[i] > 150 && d[i + 2] < 100, blue = d[i + 3] > 100 && d[i + 2] > 150 && d[i] < 80;
        if (orange) orangeTop = Math.min(orangeTop, y);
        if ((orange || blue) && y >= c.height - band + 1) inBand++;
      }
    }
    return { height: (c.height - band - orangeTop) / (c.height - band), inBand };
  });
  assert.ok(bars.height > 0.3, `the tallest hallucinated bar is ${(100 * bars.height).toFixed(0)}% of the plot's height`);
  assert.equal(bars.inBand, 0, 'no bar reaches into the x labels');
  // a click on a sample draws its x̂₀ trajectory
  const box = await page.locator('#halluc-canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => window.genlab.views.halluc.picked !== null);
  assert.match(await page.locator('#halluc-trajectory-caption').textContent(), /^Sample \d+: x̂₀/);
  const path = await page.evaluate(() => Array.from(window.genlab.views.halluc.picked.path));
  const steps = await page.evaluate(() => window.genlab.views.halluc.steps);
  assert.equal(path.length, 2 * steps.length);
  assert.equal(steps.at(-1), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a link reproduces the same samples and variances in a fresh browser', async () => {
  const hash = '#halluc?v=1&data.name=modes-1d&data.modes=[1,2,3]&denoiser=exact&schedule.steps=200&n=300&seed=4';
  const a = await open(hash);
  const b = await open(hash);
  const sa = await state(a.page);
  assert.equal(sa.variance.length, 300);
  assert.deepEqual(sa.points, (await state(b.page)).points);
  assert.deepEqual(sa.variance, (await state(b.page)).variance);
  assert.equal(sa.report.hallucinationRate < 0.05, true, 'the exact denoiser stays on the modes');
  await a.context.close();
  await b.context.close();
});

test('sampling shares its chunks with a helper worker and gives exactly what one worker gives', async () => {
  // 1,000 samples: seven chunks (25, 50, 100, 200, 250, 250, 125), enough to bring in a helper
  const { page, context, errors } = await open('#halluc?v=1&data.name=grid25&denoiser=exact&schedule.steps=200&n=1000&seed=5');
  const run = async () => page.evaluate(async () => {
    const v = window.genlab.views.halluc;
    const trajectory = await v.call('trajectory', [40]); // chunk 1, which the helper samples first
    return { points: Array.from(v.points), variance: Array.from(v.variance), workers: v.workers, steps: v.steps, trajectory: Array.from(trajectory) };
  });
  const shared = await run();
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(shared.workers, Math.min(4, cores), `every core samples (${cores} cores)`);
  assert.match(await page.textContent('#halluc-status'), cores > 1 ? / on \d workers\.$/ : /s\.$/);
  await page.evaluate(() => { window.genlab.views.halluc.maxHelpers = 0; });
  await page.click('#halluc-sample');
  await waitIdle(page);
  const alone = await run();
  assert.equal(alone.workers, 1);
  assert.equal(alone.points.length, 2000);
  assert.deepEqual(shared.points, alone.points);
  assert.deepEqual(shared.variance, alone.variance);
  assert.deepEqual(shared.steps, alone.steps);
  assert.equal(shared.trajectory.length, 2 * shared.steps.length);
  assert.deepEqual(shared.trajectory, alone.trajectory);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a bad setting names its field and keeps the last good run', async () => {
  const { page, errors, context } = await open('#halluc?v=1&denoiser=exact&schedule.steps=100&n=100');
  const before = await page.evaluate(() => location.hash);
  const lastGood = await page.inputValue('#halluc-window');
  await page.fill('#halluc-window', '1');
  await page.locator('#halluc-window').dispatchEvent('change');
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(page), /window: 1 is out of range/);
  assert.equal(await page.evaluate(() => location.hash), before);
  assert.equal(await page.inputValue('#halluc-window'), lastGood);
  assert.match(lastGood, /^\d+$/);
  const bad = await openPage(site.browser, `${site.server.url}#halluc?v=1&train.ema=2`);
  await bad.page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(bad.page), /train\.ema/);
  assert.deepEqual(errors, []);
  await context.close();
  await bad.context.close();
});

test('training in the page lowers the loss; then the samples come with a report', async () => {
  const { page, errors, context } = await open('#halluc?v=1&data.name=modes-1d&trainSize=500&schedule.steps=50&train.width=16&train.batch=64&train.steps=300&train.lr=0.003&n=60&seed=2');
  assert.match(await page.locator('#halluc-status').textContent(), /press Train/);
  await page.click('#halluc-train');
  await page.waitForFunction(() => window.genlab.views.halluc.trained === 300 && !window.genlab.views.halluc.training, null, { timeout: 120_000 });
  const losses = await page.evaluate(() => window.genlab.views.halluc.losses);
  assert.equal(losses.length, 300);
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(losses.slice(-50)) < 0.8 * mean(losses.slice(0, 50)), `loss ${mean(losses.slice(0, 50))} → ${mean(losses.slice(-50))}`);
  assert.equal(await page.locator('#halluc-train').textContent(), 'Continue training');
  await page.click('#halluc-sample');
  await waitIdle(page);
  assert.equal((await state(page)).report.samples, 60);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the arrow keys step through the hallucinated samples and show each trajectory', async () => {
  const { page, context, errors } = await open('#halluc?preset=grid25&n=1000');
  const labels = await page.evaluate(() => Array.from(window.genlab.views.halluc.labels));
  const hallucinated = labels.flatMap((l, i) => (l ? [i] : []));
  assert.ok(hallucinated.length >= 2, `the grid preset hallucinates (${hallucinated.length} of 1000)`);
  await page.focus('#halluc-canvas');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.genlab.views.halluc.picked);
  assert.equal(await page.evaluate(() => window.genlab.views.halluc.picked.index), hallucinated[0]);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((i) => window.genlab.views.halluc.picked.index === i, hallucinated[1]);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((i) => window.genlab.views.halluc.picked.index === i, hallucinated.at(-1));
  assert.match(await page.textContent('#halluc-trajectory-caption'), /hallucinated/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('recursive training runs in the page, per filter and generation, the same in a fresh browser; Stop ends it at once', async () => {
  const hash = '#halluc?v=1&data.name=modes-1d&data.modes=[1,2,3]&data.std=0.05&trainSize=200&schedule.steps=40&train.width=16&train.batch=64&train.steps=60&train.ema=0&n=200&seed=2';
  const run = async () => {
    const { page, context, errors } = await open(hash);
    await page.click('#halluc-recursive summary');
    await page.fill('#halluc-generations', '2');
    await page.click('#halluc-recurse');
    await page.waitForFunction(() => !window.genlab.views.halluc.recursing && window.genlab.views.halluc.lineages, null, { timeout: 120_000 });
    return { page, context, errors, lineages: await page.evaluate(() => window.genlab.views.halluc.lineages) };
  };
  const a = await run();
  assert.deepEqual(a.lineages.map((l) => l.filter), ['none', 'variance', 'random']);
  for (const l of a.lineages) {
    assert.equal(l.hallucinationRate.length, 2);
    assert.ok(l.hallucinationRate.every((r) => r >= 0 && r <= 1));
    assert.equal(l.hallucinationRate[0], a.lineages[0].hallucinationRate[0], 'generation 0 is shared');
  }
  assert.match(await a.page.textContent('#halluc-recurse-status'), /^Hallucinated at generation 1: none \d+\.\d\d%, variance \d+\.\d\d%, random \d+\.\d\d%/);
  const b = await run();
  assert.deepEqual(b.lineages, a.lineages, 'wasm is deterministic: the same rates in a fresh browser');

  // a long run stops at once and the lab still samples
  await a.page.fill('#halluc-generations', '20');
  await a.page.click('#halluc-recurse');
  await a.page.waitForFunction(() => window.genlab.views.halluc.recursing);
  await a.page.click('#halluc-recurse');
  await a.page.waitForFunction(() => !window.genlab.views.halluc.recursing, null, { timeout: 5_000 });
  assert.equal(await a.page.textContent('#halluc-recurse-status'), 'Stopped.');
  await a.page.click('#halluc-sample');
  await waitIdle(a.page);
  assert.equal(await a.page.evaluate(() => window.genlab.views.halluc.variance.length), 200);
  assert.deepEqual(a.errors, []);
  await Promise.all([a.context.close(), b.context.close()]);
});

test('the recursive-training preset opens with its shipped result drawn, and another preset clears it', async () => {
  const { page, context, errors } = await open('#halluc?preset=1d-1245-recursive&n=300');
  const shipped = await (await fetch(`${site.server.url}models/halluc/1d-1245-recursive.lineages.json`)).json();
  const v = await page.evaluate(() => ({ lineages: window.genlab.views.halluc.lineages, trained: window.genlab.views.halluc.trained }));
  assert.equal(v.trained, 12000, 'generation 0 opens from its shipped weights');
  assert.deepEqual(v.lineages, shipped);
  assert.deepEqual(shipped.map((l) => l.filter), ['none', 'variance', 'random']);
  const generations = shipped[0].hallucinationRate.length;
  assert.ok(await page.evaluate(() => document.getElementById('halluc-recursive').open), 'the panel opens');
  assert.equal(await page.inputValue('#halluc-generations'), String(generations));
  const status = await page.textContent('#halluc-recurse-status');
  assert.ok(status.startsWith(`Shipped result of genlab halluc recursive --preset 1d-1245-recursive (${generations} generations). Hallucinated at generation ${generations - 1}: none `), status);
  // the plot has its three lines: more than the axes' grey in the canvas
  const colours = await page.evaluate(() => {
    const c = document.getElementById('halluc-recursive-plot');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && !(d[i] === d[i + 1] && d[i + 1] === d[i + 2])) seen.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
    return seen.size;
  });
  assert.ok(colours >= 3, `coloured lines drawn (${colours} colours)`);
  await page.selectOption('#halluc-preset', '1d-123');
  await waitIdle(page);
  assert.equal(await page.evaluate(() => window.genlab.views.halluc.lineages), null);
  assert.equal(await page.textContent('#halluc-recurse-status'), '');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a learning rate of 1 is caught as divergence (the loss climbs a hundredfold, then settles at nothing learned)', async () => {
  const { page, errors, context } = await open('#halluc?v=1&data.name=grid25&trainSize=2000&schedule.steps=100&train.width=128&train.batch=64&train.steps=200&train.lr=1&n=60&seed=2');
  await page.click('#halluc-train');
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('diverged'), null, { timeout: 120_000 });
  assert.match(await page.locator('#message').textContent(), /training diverged at step \d+ .*last good weights are kept/);
  await waitIdle(page);
  assert.deepEqual(errors, []);
  await context.close();
});

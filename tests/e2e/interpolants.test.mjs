// End-to-end tests of the stochastic-interpolants lab in headless Chromium: presets open from
// shipped weights and land on the target, exact mode plays without training, ε turns live,
// links reproduce particles exactly, bad settings and a diverging loss give specific messages.
import test from 'node:test';
import assert from 'node:assert/strict';
import { useSite } from './harness.mjs';

const site = useSite();

/** Opens `hash` and waits until the lab is idle (a preset plays to the end first). */
const open = (hash) => site.open(hash, waitIdle);

async function waitIdle(page) {
  await page.waitForFunction(() => document.body.dataset.lab === 'si' && ['ready', 'error'].includes(document.body.dataset.state)
    && !window.genlab.views.si.playing && !window.genlab.views.si.training, null, { timeout: 120_000 });
}

const lastFrame = (page) => page.evaluate(() => {
  const v = window.genlab.views.si;
  return Array.from(v.frames[v.grid.length - 1] ?? []);
});
const message = (page) => page.evaluate(() => {
  const m = document.getElementById('message');
  return m.hidden ? '' : m.textContent;
});

/** The authors' checkerboard, computed independently: 8 squares of side 2 on [−4, 4]². */
function insideFraction(points) {
  let inside = 0;
  for (let i = 0; i < points.length; i += 2) {
    const [x, y] = [points[i], points[i + 1]];
    if (Math.abs(x) < 4 && Math.abs(y) < 4 && (Math.floor(x / 2) + Math.floor(y / 2)) % 2 === 0) inside++;
  }
  return inside / (points.length / 2);
}

test('the default checkerboard preset opens from shipped weights and lands ≥ 97% inside the squares', async () => {
  const { page, errors, context } = await open('#si');
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 10_000);
  assert.match(await page.evaluate(() => location.hash), /^#si\?v=1&rho0\.name=gaussian/);
  const points = await lastFrame(page);
  assert.equal(points.length, 2 * 5000);
  const inside = insideFraction(points);
  assert.ok(inside >= 0.97, `inside fraction ${inside}`);
  assert.ok(insideFraction(await page.evaluate(() => Array.from(window.genlab.views.si.frames[0]))) < 0.6, 'the Gaussian start is not yet inside');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a link reproduces the same particles in a fresh browser', async () => {
  const hash = '#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=eight-gaussians&fields=exact&sampler.method=euler-maruyama&sampler.epsilon=1&sampler.steps=40&n=300&seed=7';
  const a = await open(hash);
  const b = await open(hash);
  const pa = await lastFrame(a.page);
  assert.equal(pa.length, 600);
  assert.deepEqual(pa, await lastFrame(b.page), 'two fresh wasm instances give identical SDE particles');
  const other = await open(hash.replace('seed=7', 'seed=8'));
  assert.notDeepEqual(await lastFrame(other.page), pa);
  await Promise.all([a.context.close(), b.context.close(), other.context.close()]);
});

test('exact mode plays without training and reports the metrics', async () => {
  const { page, context } = await open('#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=eight-gaussians&rho1.std=0.2&fields=exact&n=1000');
  assert.equal(await page.evaluate(() => document.getElementById('si-train').disabled), true, 'nothing to train');
  await page.click('#si-metrics');
  await page.waitForFunction(() => document.getElementById('si-ed').textContent !== '—', null, { timeout: 60_000 });
  const ed = Number(await page.textContent('#si-ed'));
  const floor = Number(await page.textContent('#si-ed-floor'));
  assert.ok(ed < 3 * floor + 0.01, `energy distance ${ed} vs floor ${floor}`);
  const ll = Number(await page.textContent('#si-ll'));
  const exact = Number(await page.textContent('#si-ll-exact'));
  assert.ok(Math.abs(ll - exact) < 0.1, `ODE log-likelihood ${ll} vs exact ${exact}`);
  await context.close();
});

test('ε turns while the particles move, and the link records it', async () => {
  const { page, context } = await open('#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=eight-gaussians&fields=exact&sampler.method=euler-maruyama&sampler.epsilon=0&sampler.steps=400&n=2000');
  // replay: ε = 0 is deterministic, so any difference from the first run comes from the new ε
  const calm = await lastFrame(page);
  await page.click('#si-play');
  await page.waitForFunction(() => window.genlab.views.si.playing && window.genlab.views.si.index > 5);
  // the status line's t follows the animation (both are drawn in the same frame as the slider's)
  await page.waitForFunction(() => Number(document.getElementById('si-t-out').textContent) > 0);
  const [status, shown] = await page.evaluate(() => [document.getElementById('si-status').textContent, document.getElementById('si-t-out').textContent]);
  assert.ok(status.endsWith(`t = ${shown}.`), `the status (${status}) shows t = ${shown}`);
  await page.$eval('#si-epsilon', (el) => { el.value = '3'; el.dispatchEvent(new Event('input')); });
  await waitIdle(page);
  assert.match(await page.evaluate(() => location.hash), /sampler\.epsilon=3/);
  assert.notDeepEqual(await lastFrame(page), calm, 'the noise reached the running sampler');
  await context.close();
});

test('bad settings and a diverging loss give specific messages and keep the last good state', async () => {
  const { page, context } = await open('#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=two-moons&model.width=16&model.depth=2&train.batch=64&train.steps=300&train.lr=10&n=200');
  await page.selectOption('#si-path', 'trig');
  await page.waitForFunction(() => location.hash.includes('path=trig'));
  await page.selectOption('#si-gamma', 'a-brownian');
  await page.waitForFunction(() => location.hash.includes('gamma.kind=a-brownian'));
  const hash = await page.evaluate(() => location.hash);
  await page.fill('#si-gamma-a', '9');
  await page.dispatchEvent('#si-gamma-a', 'change');
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('γ'));
  assert.match(await message(page), /gamma: the trig path needs γ ≤ 1/);
  assert.equal(await page.evaluate(() => location.hash), hash, 'the last good settings are kept');
  await page.click('#si-train');
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('diverged'), null, { timeout: 60_000 });
  assert.match(await message(page), /training diverged at step \d+ .*last good weights are kept/);
  await waitIdle(page);
  await context.close();
});

test('training in the page streams losses and refreshes the samples', async () => {
  const { page, context } = await open('#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=eight-gaussians&model.width=32&model.depth=2&train.batch=128&train.steps=300&n=500');
  await page.click('#si-train');
  await waitIdle(page);
  const losses = await page.evaluate(() => window.genlab.views.si.losses);
  assert.equal(losses.drift.length, 300);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(mean(losses.drift.slice(-50)) < mean(losses.drift.slice(0, 50)), 'the drift loss goes down');
  assert.match(await page.textContent('#si-status'), /learned fields, 300 training steps/);
  assert.equal(await page.textContent('#si-train'), 'Continue training');
  await page.waitForFunction(() => document.getElementById('si-field-error').textContent.includes('%'), null, { timeout: 60_000 });
  await context.close();
});

test('pasted CSV points become an end of the bridge; a bad line is named', async () => {
  const { page, context } = await open('#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=eight-gaussians&fields=exact&n=300');
  await page.click('#si-own summary');
  await page.fill('#si-csv', 'x,y\n1,2\noops,3\n');
  await page.click('#si-use1');
  assert.match(await message(page), /line 3 \(“oops,3”\) is not two numbers/);
  await page.fill('#si-csv', 'x,y\n1,2\n-1.5,0.5\n');
  await page.click('#si-use1');
  await page.waitForFunction(() => location.hash.includes('rho1.name=points'));
  await waitIdle(page);
  assert.deepEqual(await page.evaluate(() => window.genlab.views.si.config.rho1.points), [[1, 2], [-1.5, 0.5]]);
  assert.equal(await page.evaluate(() => window.genlab.views.si.config.fields), 'exact', 'drawn points are a Gaussian mixture');
  assert.equal(await page.evaluate(() => window.genlab.views.si.config.sampler.schedule), 'cosine', 'narrow modes get small end steps');
  // the particles end near the two points (jitter 0.05)
  const points = await lastFrame(page);
  let near = 0;
  for (let i = 0; i < points.length; i += 2) {
    const d = Math.min(Math.hypot(points[i] - 1, points[i + 1] - 2), Math.hypot(points[i] + 1.5, points[i + 1] - 0.5));
    if (d < 0.3) near++;
  }
  assert.ok(near / (points.length / 2) > 0.95, `share near the pasted points: ${near / (points.length / 2)}`);
  await context.close();
});

// End-to-end tests of sharing, exporting, importing and keeping runs, in headless Chromium:
// the Share button copies the page's link, exported configs run unchanged in the CLI, CSV and
// PNG exports hold what the page shows, a trained run survives a reload (and a reset or
// "Clear saved data" forgets it), a bare `#lab` link reopens the settings last used there,
// imported weights are validated, and markup in links or imported files is shown as text.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GENLAB_BIN, scratchDir, useSite } from './harness.mjs';

const site = useSite();

/** Waits until `lab` is shown and idle. */
const idle = (lab) => (page) => page.waitForFunction((lab) => {
  const v = window.genlab?.views[lab];
  return document.body.dataset.lab === lab && ['ready', 'error'].includes(document.body.dataset.state)
    && v && !v.playing && !v.training && !v.sampling;
}, lab, { timeout: 120_000 });

const message = (page) => page.evaluate(() => {
  const m = document.getElementById('message');
  return m.hidden ? '' : m.textContent;
});

/** Clicks the Export menu item of `lab` whose label starts with `label`; resolves to the download's bytes and name. */
async function exportItem(page, lab, label) {
  await page.click(`#${lab} .toolbar summary`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`#${lab} .menu-list button`, { hasText: label }).first().click(),
  ]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

/** Imports `bytes` as a file called `name` through the lab's Import button. */
async function importFile(page, lab, name, bytes) {
  await page.setInputFiles(`#${lab} .toolbar input[type=file]`, { name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
}

/** Loads the page afresh at `hash` (not a same-page hash change) and waits until the lab is idle. */
async function visit(page, hash) {
  await page.goto('about:blank');
  await page.goto(site.server.url + hash);
  await idle(hash.slice(1).split('?')[0])(page);
}

/** Trains SMALL_SI's 40 steps and waits until the lab is idle again. */
async function trainSmall(page) {
  await page.click('#si-train');
  await page.waitForFunction(() => window.genlab.views.si.trained === 40 && !window.genlab.views.si.training, null, { timeout: 120_000 });
  await idle('si')(page);
}

// A small learned interpolant that trains in a few seconds.
const SMALL_SI = '#si?v=1&rho0.name=gaussian&rho0.dim=2&rho1.name=eight-gaussians&fields=learned&model.width=16&model.depth=2&train.steps=40&train.batch=64&sampler.method=heun&sampler.steps=20&n=200&seed=3';

test('Share copies the link; the exported config runs unchanged in the CLI; CSV and PNG hold what the page shows', async (t) => {
  const { page, context, errors } = await site.open('#data?v=1&dataset.name=two-moons&dataset.noise=0.1&n=300&seed=5', idle('data'),
    { permissions: ['clipboard-read', 'clipboard-write'] });
  await page.click('#data .toolbar button:text("Share link")');
  await page.waitForFunction(() => document.querySelector('#data .toolbar-note').textContent === 'Link copied.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.evaluate(() => location.href));

  const config = await exportItem(page, 'data', 'Config');
  assert.match(config.name, /^genlab-data-two-moons-seed5\.json$/);
  assert.deepEqual(JSON.parse(config.bytes), await page.evaluate(() => window.genlab.views.data.config));
  const dir = scratchDir(t, 'genlab-share-');
  const file = path.join(dir, config.name);
  await writeFile(file, config.bytes);
  const cli = execFileSync(GENLAB_BIN, ['data', 'sample', '--config', file]).toString();
  const csv = await exportItem(page, 'data', 'Samples');
  assert.equal(csv.bytes.toString().split('\n')[0], 'x,y');
  const pagePoints = await page.evaluate(() => Array.from(window.genlab.views.data.points));
  const rows = csv.bytes.toString().trim().split('\n').slice(1).map((r) => r.split(',').map(Number));
  assert.equal(rows.length, 300);
  assert.deepEqual(rows.flat(), pagePoints, 'the CSV holds the page’s points exactly');
  const cliRows = cli.trim().split('\n').slice(1).map((r) => r.split(',').map((v) => Math.fround(Number(v))));
  assert.deepEqual(cliRows.flat(), pagePoints, 'the CLI, given the exported config, draws the same points');

  const png = await exportItem(page, 'data', 'PNG: Samples');
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  assert.ok(png.bytes.length > 2000, 'with the plot in it');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a trained run survives a reload; Reset and “Clear saved data” forget it', async () => {
  const { page, context, errors } = await site.open(SMALL_SI, idle('si'));
  await trainSmall(page);
  const before = await page.evaluate(() => ({ drift: window.genlab.views.si.losses.drift.slice(), hash: location.hash }));
  assert.equal(before.drift.length, 40);

  await page.reload();
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 40, 'the trained steps came back');
  assert.deepEqual(await page.evaluate(() => window.genlab.views.si.losses.drift), before.drift, 'and the loss curve');
  const played = await page.evaluate(() => Array.from(window.genlab.views.si.frames.at(-1)));

  // changing only the sampler keeps the trained networks
  await page.selectOption('#si-method', 'rk4');
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 40);

  await page.selectOption('#si-method', 'heun');
  await idle('si')(page);
  assert.deepEqual(await page.evaluate(() => Array.from(window.genlab.views.si.frames.at(-1))), played, 'the restored networks move the particles the same way');

  await page.click('#si-reset');
  await idle('si')(page);
  await page.reload();
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 0, 'a reset stays reset after a reload');

  await trainSmall(page);
  await visit(page, SMALL_SI); // the link without at=40: only this browser's data can restore the run
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 40, 'the kept run came back');
  await page.click('#clear-saved');
  await page.selectOption('#si-method', 'rk4'); // changing the view no longer keeps the run on screen
  await idle('si')(page);
  await visit(page, SMALL_SI);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 0, 'cleared data is gone, and leaving the run did not save it again');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a bare #lab link reopens the settings this browser last used there', async () => {
  const { page, context, errors } = await site.open('#si', idle('si'));
  const method = () => page.evaluate(() => window.genlab.views.si.config.sampler.method);
  const other = await method() === 'rk4' ? 'heun' : 'rk4';
  await page.selectOption('#si-method', other);
  await idle('si')(page);
  // the settings are written to IndexedDB after the link changes; wait until they are there
  await page.waitForFunction(async (other) => {
    const { savedConfig } = await import(new URL('js/ui/saved.js', document.baseURI).href);
    return (await savedConfig('si'))?.sampler?.method === other;
  }, other);
  await visit(page, '#si'); // a new page, which reads them while its core loads
  assert.equal(await method(), other, 'on a new page');
  await page.evaluate(() => { location.hash = '#data'; });
  await idle('data')(page);
  // the view still holds its config from before: wait for the one the new address opens
  const generation = await page.evaluate(() => window.genlab.views.si.generation);
  await page.evaluate(() => { location.hash = '#si'; });
  await page.waitForFunction((generation) => window.genlab.views.si.generation > generation, generation);
  await idle('si')(page);
  assert.equal(await method(), other, 'when the address changes to it');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an import past its size or nesting limit is refused before it is read, naming the limit', async () => {
  // a deeply nested config used to surface as a postMessage "Maximum call stack size exceeded"
  const { page, context, errors } = await site.open(SMALL_SI, idle('si'));
  const before = await page.evaluate(() => location.hash);
  const refused = async (name, bytes, pattern) => {
    await page.evaluate(() => { document.getElementById('message').hidden = true; });
    await importFile(page, 'si', name, bytes);
    await page.waitForFunction(() => !document.getElementById('message').hidden);
    assert.match(await message(page), pattern);
    assert.equal(await page.evaluate(() => location.hash), before, `${name}: nothing changed`);
  };
  await refused('deep.json', `{"n":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, /“deep\.json” could not be opened: it nests deeper than 16 levels.*Nothing was changed\./);
  await refused('big.json', `{"n":3,"pad":"${'x'.repeat(1024 * 1024)}"}`, /it is 1,048,5\d\d bytes; a json file may be at most 1,048,576 \(1 MiB\).*Nothing was changed\./);
  await refused('huge.csv', Buffer.alloc(16 * 1024 * 1024 + 1, 48), /a csv file may be at most 16,777,216 \(16 MiB\)/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('imported weights are checked: corrupt or mismatched files change nothing and say why; matching ones load', async () => {
  const { page, context, errors } = await site.open(SMALL_SI, idle('si'));
  await trainSmall(page);
  const weights = await exportItem(page, 'si', 'Weights');
  assert.match(weights.name, /\.safetensors$/);

  await importFile(page, 'si', 'broken.safetensors', Buffer.from('not a weights file at all'));
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(page), /“broken\.safetensors” could not be opened: not a valid safetensors weights file.*Nothing was changed\./);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 40);

  // the same networks at width 32 cannot take width-16 weights
  await page.fill('#si-width', '32');
  await page.press('#si-width', 'Enter');
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 0);
  await importFile(page, 'si', weights.name, weights.bytes);
  await page.waitForFunction(() => /could not be opened/.test(document.getElementById('message').textContent));
  assert.match(await message(page), /has shape \[\d+, \d+\]; this model needs \[\d+, \d+\]/);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 0);

  await page.fill('#si-width', '16');
  await page.press('#si-width', 'Enter');
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 40, 'back at width 16 the kept run returns');
  await page.click('#si-reset');
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 0);
  await importFile(page, 'si', weights.name, weights.bytes);
  await page.waitForFunction(() => /Opened/.test(document.querySelector('#si .toolbar-note').textContent));
  await idle('si')(page);
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 40);
  const again = await exportItem(page, 'si', 'Weights');
  assert.deepEqual(again.bytes, weights.bytes, 'the imported weights are the exported ones');
  assert.deepEqual(errors, []);
  await context.close();
});

test('markup in a link or an imported config is shown as text, never run', async () => {
  const payload = '<img src=x onerror="window.pwned=1">';
  const { page, context } = await site.open(`#si?v=1&rho1.name=${encodeURIComponent(payload)}`, idle('si'));
  assert.match(await message(page), /could not be opened/);
  assert.ok((await message(page)).includes(payload.slice(0, 20)) || /rho1/.test(await message(page)), 'the message names the problem');
  await importFile(page, 'si', 'evil.json', JSON.stringify({ version: 1, rho1: { name: payload } }));
  await page.waitForFunction(() => /evil\.json/.test(document.getElementById('message').textContent));
  await importFile(page, 'si', `${payload}.json`, '{ not json');
  await page.waitForFunction(() => /not valid JSON/.test(document.getElementById('message').textContent));
  assert.ok((await message(page)).includes(payload), 'the file name is shown as text');
  assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0, 'no element was made from the payload');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await context.close();
});

test('a link asking for hours of training opens after a few steps and waits, saying how long', async () => {
  // `at=10000000` used to start ten million steps on opening, with no question asked
  const { page, context, errors } = await site.open(`${SMALL_SI}&at=10000000`, idle('si'));
  await page.waitForFunction(() => /^Train \(about [\d.,]+ (h|days)\)$/.test(document.getElementById('si-train').textContent), null, { timeout: 120_000 });
  const paced = await page.evaluate(() => window.genlab.views.si.trained);
  assert.ok(paced >= 10 && paced <= 30, `only the steps that measured the pace (trained ${paced})`);
  assert.match(await page.textContent('#si-status'), /trained to step 10,000,000, which takes about [\d.,]+ (h|days) here, so it waits for you/);
  await page.click('#si-train');
  // the press trains on towards the link's step (the status line alternates with the plot's)
  await page.waitForFunction((paced) => window.genlab.views.si.trained > paced, paced, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.genlab.views.si.training), true);
  assert.equal(await page.textContent('#si-train'), 'Pause training');
  await page.click('#si-train'); // pause
  await idle('si')(page);
  assert.equal(await page.textContent('#si-train'), 'Continue training');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a Train press that would take hours trains a few steps and asks, saying how long', async () => {
  const { page, context, errors } = await site.open(SMALL_SI.replace('train.steps=40', 'train.steps=1000000'), idle('si'));
  await page.click('#si-train');
  await page.waitForFunction(() => /^Train \(about [\d.,]+ (min|h|days)\)$/.test(document.getElementById('si-train').textContent), null, { timeout: 120_000 });
  const paced = await page.evaluate(() => window.genlab.views.si.trained);
  assert.ok(paced >= 10 && paced <= 30, `only the steps that measured the pace (trained ${paced})`);
  assert.match(await page.textContent('#si-status'), /^Training to step 1,000,000 takes about [\d.,]+ (min|h|days) here \([\d.]+ steps\/s\), so it waits for you/);
  await page.click('#si-train'); // the second press goes on without asking
  await page.waitForFunction((paced) => window.genlab.views.si.trained > paced + 10, paced, { timeout: 60_000 });
  assert.equal(await page.textContent('#si-train'), 'Pause training');
  await page.click('#si-train');
  await idle('si')(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('settings whose training a tab cannot hold are refused, and large ones ask once', async () => {
  // the run: batch 100,000 of width 1,024 and depth 8 reached 9.6 GB natively and grew on
  const huge = SMALL_SI.replace('model.width=16&model.depth=2', 'model.width=1024&model.depth=8').replace('train.batch=64', 'train.batch=100000');
  const { page, context, errors } = await site.open(huge, idle('si'));
  await page.click('#si-train');
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(page), /^Training these settings needs about [\d.]+ GB of memory \(train\.batch 100,000, model\.width 1,024, model\.depth 8\), and a browser tab gives GenLab at most 4\.3 GB/);
  await page.click('#si-train');
  assert.equal(await page.evaluate(() => window.genlab.views.si.training), false, 'nothing trains');
  assert.equal(await page.evaluate(() => window.genlab.views.si.trained), 0);

  // about 1.7 GB: more than small devices give a tab, so the first press asks and the second trains
  await visit(page, SMALL_SI.replace('model.width=16&model.depth=2', 'model.width=1024&model.depth=1').replace('train.batch=64', 'train.batch=20000'));
  await page.click('#si-train');
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  assert.match(await message(page), /needs about 1\.\d GB of memory .*Press Train again to start\.$/);
  assert.equal(await page.evaluate(() => window.genlab.views.si.training), false);
  await page.click('#si-train');
  await page.waitForFunction(() => window.genlab.views.si.trained > 0, null, { timeout: 60_000 });
  assert.deepEqual(errors, []);
  await context.close(); // closing ends the worker: no need to wait for its chunk
});

test('a link carries the steps trained and the view: a fresh browser retrains to the same losses and particles', async () => {
  const a = await site.open(SMALL_SI, idle('si'));
  await trainSmall(a.page);
  await a.page.check('#si input[name=layer][value=heatmap]');
  const link = await a.page.evaluate(() => location.hash);
  assert.match(link, /&at=40&/);
  assert.match(link, /view\.layers=particles(%2C|,)heatmap/);

  const b = await site.open(link, idle('si'));
  await b.page.waitForFunction(() => window.genlab.views.si.trained === 40 && !window.genlab.views.si.training, null, { timeout: 120_000 });
  await idle('si')(b.page);
  assert.equal(await b.page.isChecked('#si input[name=layer][value=heatmap]'), true, 'the view came along');
  const run = (page) => page.evaluate(async () => {
    const v = window.genlab.views.si;
    v.index = 0;
    await v.play();
    return { drift: v.losses.drift, score: v.losses.score, particles: Array.from(v.frames.at(-1)) };
  });
  const [ra, rb] = [await run(a.page), await run(b.page)];
  assert.equal(rb.drift.length, 40);
  assert.deepEqual(rb.drift, ra.drift, 'the same losses, bit for bit');
  assert.deepEqual(rb.score, ra.score);
  assert.deepEqual(rb.particles, ra.particles, 'the same particles');

  const bad = await site.open(`${SMALL_SI}&at=-3`, idle('si'));
  assert.match(await message(bad.page), /at: “-3” is not a step count/);
  await Promise.all([a.context.close(), b.context.close(), bad.context.close()]);
});

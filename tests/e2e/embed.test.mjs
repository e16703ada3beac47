// End-to-end tests of embedding, in headless Chromium: the example lecture page's widgets load
// lazily, run, and take the height their page reports; a widget on a slide pauses its training
// when the slide is left and resumes on return; a plain iframe reports its height in the Pym.js
// protocol too; links name presets; embedded pages fit their box.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { GENLAB_BIN, openPage, useSite } from './harness.mjs';

const site = useSite();

/**
 * How a test polls inside a widget's frame: on a timer. Playwright's default polls on animation
 * frames, which Chromium does not run while it throttles an iframe's rendering; a slide's widget
 * once stayed unseen for 120 s although its page had been ready since 8.4 s (its start record).
 */
const POLL = 250;

/** The page inside widget `id` (shown, unless `state` says 'attached'), once its lab is idle. */
async function widgetFrame(page, id, state = 'visible') {
  const handle = await page.waitForSelector(`#${id} iframe`, { state, timeout: 60_000 });
  const frame = await handle.contentFrame();
  await frame.waitForFunction(() => ['ready', 'error'].includes(document.body?.dataset.state) && window.genlab?.views, null, { timeout: 120_000, polling: POLL }).catch(async (err) => {
    // how far the widget's page got, so that a failure says where its start stopped
    const seen = await Promise.race([
      frame.evaluate(() => ({ url: location.href, state: document.body?.dataset.state, views: Boolean(window.genlab?.views), visibility: document.visibilityState, startup: globalThis.genlabStartup })),
      new Promise((resolve) => setTimeout(() => resolve('no answer in 5 s'), 5000)),
    ]).catch((e) => `unreadable: ${e.message}`);
    throw new Error(`widget ${id} never became ready; its page showed ${JSON.stringify(seen)}`, { cause: err });
  });
  return frame;
}

test('the lecture page: widgets start when scrolled to, run their preset, and take their reported height', async () => {
  const { page, context, errors } = await openPage(site.browser, `${site.server.url}examples/lecture.html`, { viewport: { width: 1000, height: 800 } });
  const si = await widgetFrame(page, 'widget-si');
  assert.equal(await page.locator('#widget-qlae iframe').count(), 0, 'a widget far below the view has not started');
  assert.equal(await si.evaluate(() => document.body.dataset.embed), '1');
  assert.equal(await si.evaluate(() => getComputedStyle(document.querySelector('.site-header')).display), 'none', 'no site chrome');
  assert.equal(await si.evaluate(() => window.genlab.views.si.presetName), 'checkerboard');
  assert.equal(await si.evaluate(() => window.genlab.views.si.trained), 10_000, 'opened from the shipped weights');
  assert.equal(await si.evaluate(() => getComputedStyle(document.getElementById('si-width').closest('fieldset')).display), 'none', 'minimal controls');
  assert.notEqual(await si.evaluate(() => getComputedStyle(document.getElementById('si-epsilon').closest('label')).display), 'none', 'ε stays');

  await page.waitForFunction(() => document.getElementById('widget-si').dataset.reportedHeight);
  const { reported, height, inner } = await page.evaluate(() => {
    const w = document.getElementById('widget-si');
    return { reported: Number(w.dataset.reportedHeight), height: w.querySelector('iframe').getBoundingClientRect().height, inner: w.querySelector('iframe').contentDocument.body.getBoundingClientRect().height };
  });
  assert.ok(Math.abs(reported - inner) <= 1, `reported ${reported} vs the page's ${inner}`);
  assert.ok(Math.abs(height - reported) <= 1, `the iframe took the reported height (${height} vs ${reported})`);
  assert.ok(await si.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the widget fits its width');

  await page.locator('#widget-qlae').scrollIntoViewIfNeeded();
  const qlae = await widgetFrame(page, 'widget-qlae');
  await qlae.waitForFunction(() => window.genlab.views.qlae.run.evaluation, null, { timeout: 120_000, polling: POLL });
  assert.equal(await qlae.evaluate(() => getComputedStyle(document.getElementById('qlae-controls')).display), 'none', 'controls="none"');
  assert.match(await qlae.locator('#qlae-infom').textContent(), /^0\.\d+/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a widget on a slide pauses its training when the slide is left and picks it up on return', async () => {
  const { page, context, errors } = await openPage(site.browser, `${site.server.url}examples/slides.html`);
  assert.equal(await page.locator('#slide-widget iframe').count(), 0, 'the hidden slide’s widget has not started');
  await page.keyboard.press('ArrowRight');
  const frame = await widgetFrame(page, 'slide-widget');
  await frame.waitForFunction(() => !window.genlab.views.si.playing && document.body.dataset.state === 'ready', null, { timeout: 120_000, polling: POLL });
  const shipped = await frame.evaluate(() => window.genlab.views.si.trained);
  await frame.evaluate(() => { window.genlab.views.si.train(); });
  await frame.waitForFunction((n) => window.genlab.views.si.training && window.genlab.views.si.trained > n, shipped, { timeout: 60_000, polling: POLL });

  await page.keyboard.press('ArrowRight');
  await frame.waitForFunction(() => !window.genlab.views.si.training, null, { timeout: 30_000, polling: POLL });
  const paused = await frame.evaluate(() => window.genlab.views.si.trained);
  await page.waitForTimeout(1000);
  assert.equal(await frame.evaluate(() => window.genlab.views.si.trained), paused, 'no training while the slide is away');
  assert.equal(await page.evaluate(() => document.getElementById('slide-widget').dataset.visible), 'false');

  await page.keyboard.press('ArrowLeft');
  await frame.waitForFunction((n) => window.genlab.views.si.training && window.genlab.views.si.trained > n, paused, { timeout: 30_000, polling: POLL });
  await frame.evaluate(() => window.genlab.worker.cancel());
  assert.deepEqual(errors, []);
  await context.close();
});

test('a widget that started before its deck hid the slide waits there, and autoplays when shown', async () => {
  // the deck's script runs after the widget's, 300 ms late, while the widget's page takes 1.5 s
  // to arrive: the widget starts on a slide shown at first and is hidden before its page listens
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const lateDeck = async (context) => {
    await context.route('**/examples/slides.html', async (route) => {
      const html = (await (await route.fetch()).text()).replace(/(<script[^>]*slides\.js[^>]*><\/script>)(\s*)(<script[^>]*embed\.js[^>]*><\/script>)/, '$3$2$1');
      assert.ok(html.indexOf('embed.js') < html.indexOf('slides.js'), 'the scripts swapped');
      await route.fulfill({ body: html, contentType: 'text/html' });
    });
    await context.route('**/examples/slides.js', async (route) => { await wait(300); await route.continue(); });
    await context.route((url) => url.pathname.endsWith('/index.html') && url.searchParams.get('embed') === '1', async (route) => { await wait(1500); await route.continue(); });
  };
  const { page, context, errors } = await openPage(site.browser, `${site.server.url}examples/slides.html`, { setup: lateDeck });
  // (a frame taken while its page is still on the way does not follow it here: wait for the page)
  await page.waitForFunction(() => document.querySelector('#slide-widget iframe')?.contentDocument?.body?.dataset.state === 'ready', null, { timeout: 120_000 });
  const frame = await widgetFrame(page, 'slide-widget', 'attached');
  assert.equal(await page.evaluate(() => document.querySelectorAll('.reveal section')[1].hidden), true, 'the deck hid the slide');
  const progress = () => frame.evaluate(() => ({ playing: window.genlab.views.si.playing, index: window.genlab.views.si.index, end: window.genlab.views.si.grid.length - 1 }));
  const before = await progress();
  await page.waitForTimeout(1500);
  const after = await progress();
  assert.deepEqual(after, { ...before, playing: false }, 'no animation on the hidden slide');
  assert.ok(after.index < after.end, `the animation waits before its end (${after.index} of ${after.end})`);
  await page.keyboard.press('ArrowRight');
  await frame.waitForFunction(() => window.genlab.views.si.index === window.genlab.views.si.grid.length - 1, null, { timeout: 60_000, polling: POLL });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a plain iframe reports its height in the Pym.js and iframe.resize forms; a link can name a preset', async () => {
  const { page, context } = await openPage(site.browser, `${site.server.url}examples/lecture.html`);
  const messages = await page.evaluate((src) => new Promise((resolve) => {
    const seen = { pym: null, resize: null };
    window.addEventListener('message', (e) => {
      if (typeof e.data === 'string' && e.data.startsWith('pymxPYMxlesson-1xPYMxheightxPYMx')) seen.pym = e.data;
      if (e.data?.context === 'iframe.resize') seen.resize = e.data.height;
      if (seen.pym && seen.resize) resolve(seen);
    });
    const frame = Object.assign(document.createElement('iframe'), { src, width: 400, height: 300 });
    document.body.prepend(frame);
  }), `${site.server.url}index.html?embed=1&controls=full&childId=lesson-1#halluc?preset=1d-123`);
  const height = Number(messages.pym.split('xPYMx').pop());
  assert.ok(height > 300, `a whole lab is taller than 300 px (${height})`);
  assert.ok(messages.resize > 300);
  const frame = page.frames().find((f) => f.url().includes('childId=lesson-1'));
  await frame.waitForFunction(() => window.genlab?.views.halluc.presetName === '1d-123', null, { timeout: 120_000, polling: POLL });
  assert.ok(await frame.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'a 400 px box shows the phone layout, no sideways scroll');
  await context.close();
});

test('a link naming an unknown preset says so and lists the real ones', async () => {
  const { page, context } = await openPage(site.browser, `${site.server.url}#qlae?preset=sprites-nope`);
  await page.waitForFunction(() => !document.getElementById('message').hidden, null, { timeout: 120_000 });
  assert.match(await page.textContent('#message'), /there is no preset “sprites-nope” here; try one of sprites-qlae, /);
  await context.close();
});

test('the presets gallery has a card per preset of every lab, with its picture, each opening its preset', async () => {
  // `genlab presets`: a line with the lab, then a line per preset (indented: name, what it shows)
  let lab = null;
  const listed = execFileSync(GENLAB_BIN, ['presets']).toString().trim().split('\n').flatMap((line) => {
    if (!line.startsWith(' ')) { lab = line; return []; }
    return [`${lab}/${line.trim().split(/\s+/)[0]}`];
  });
  const { page, context, errors } = await openPage(site.browser, `${site.server.url}gallery.html`);
  await page.waitForSelector('.preset-card');
  const cards = await page.$$eval('.preset-card', (as) => as.map((a) => ({ href: a.getAttribute('href'), img: a.querySelector('img').getAttribute('src') })));
  assert.deepEqual(cards.map((c) => c.href.replace(/^\.\/#(\w+)\?preset=(.+)$/, '$1/$2')).sort(), listed.sort());
  await page.evaluate(() => Promise.all([...document.images].map((img) => img.decode())));
  assert.ok(await page.$$eval('.preset-card img', (imgs) => imgs.every((img) => img.naturalWidth > 100)), 'every thumbnail loads');
  await page.click('.preset-card[href="./#si?preset=gmm-exact"]');
  await page.waitForFunction(() => window.genlab?.views.si.presetName === 'gmm-exact' && document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.getElementById('message').hidden), true);
  assert.deepEqual(errors, []);
  await context.close();
});

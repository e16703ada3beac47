// Opening GenLab: for each view, an embedded widget and the lecture example, what the browser
// downloads and how soon the first samples are painted. Served as `make dist` builds the site
// (hashed core, precompressed siblings) by `genlab serve`, in headless Chromium, cold cache and
// warm (a reload), unthrottled and under Chrome DevTools Protocol network emulation of
// 10 Mbit/s with 40 ms latency. Counts bytes transferred (encoded, headers included), core
// downloads (not served from cache) and core compiles, and the time from navigation start to
// the first frame after the view is ready (its samples drawn). Each case runs 5 times (medians;
// `--rounds N`). Prints a table and writes target/bench-open.json.
//
//   node bench/bench-open.mjs [--rounds N]   (from the repo root, after `make dist`; GENLAB_BIN=… picks the binary)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchWithProfile, startServer, ROOT } from '../tests/e2e/harness.mjs';

const OUT = path.join(ROOT, 'target/bench-open.json');
/** Runs of each case (`--rounds N`): first paint on this machine moves by a quarter between runs. */
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 0) || 5;
const SLOW = { offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };

/** What is opened: a view, the embedded widget, or the lecture with its three widgets. */
const CASES = [
  { name: 'Data view', path: '#data' },
  { name: 'Interpolants', path: '#si' },
  { name: 'Hallucinations', path: '#halluc' },
  { name: 'Latent quantization', path: '#qlae' },
  { name: 'Embedded widget (#si)', path: 'index.html?embed=1#si' },
  { name: 'Lecture, 3 widgets', path: 'examples/lecture.html', widgets: 3 },
];

const isCore = (url) => /\/genlab_bg(\.[0-9a-f]{16})?\.wasm$/.test(new URL(url).pathname);

/** Counts core compiles in the page (workers instantiate the page's compiled module). */
const COUNT_COMPILES = () => {
  window.coreCompiles = 0;
  for (const name of ['compile', 'compileStreaming', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function counted(...args) {
      window.coreCompiles += 1;
      return original.apply(this, args);
    };
  }
};

/**
 * Resolves to the wall-clock time (ms since the epoch) of the first frame in which `frame`'s shown
 * lab has its samples painted: no plot of its section still holds its loading placeholder (the
 * first samples drawn end them, render/placeholder.js).
 */
async function firstPaint(frame) {
  for (;;) {
    try {
      return await frame.evaluate(() => new Promise((resolve) => {
        const check = () => {
          const body = document.body;
          const section = body && document.getElementById(body.dataset.lab ?? '');
          const loading = ['loading', 'configuring'].includes(body?.dataset.state);
          if (section && !loading && !section.querySelector('canvas[data-placeholder]')) resolve(performance.timeOrigin + performance.now());
          else requestAnimationFrame(check);
        };
        check();
      }));
    } catch (err) {
      // a widget's frame still on about:blank navigates to its page: wait in the new document
      if (!/context was destroyed|navigat/i.test(err.message)) throw err;
    }
  }
}

/** Opens one case in `page` (cold or warm by the caller) and measures it. */
async function measure(page, url, { widgets = 0, slow = false, reload = false }) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const stats = { bytes: 0, coreDownloads: 0 };
  const cached = new Set();
  const core = new Set();
  cdp.on('Network.requestServedFromCache', ({ requestId }) => cached.add(requestId));
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    if (isCore(response.url) && !response.fromDiskCache && !response.fromMemoryCache) core.add(requestId);
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    stats.bytes += encodedDataLength;
    if (core.has(requestId) && !cached.has(requestId)) stats.coreDownloads += 1;
  });
  if (slow) await cdp.send('Network.emulateNetworkConditions', SLOW);
  // warm: a reload (a `goto` to the same address with a hash would only fire hashchange)
  if (reload) await page.reload({ waitUntil: 'domcontentloaded', timeout: 120_000 });
  else await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  let painted;
  if (widgets) {
    // scroll each widget into view (they start when seen), then wait for every one to paint
    const frames = [];
    for (let i = 0; i < widgets; i++) {
      const widget = page.locator('genlab-widget').nth(i);
      await widget.scrollIntoViewIfNeeded();
      const handle = await widget.locator('iframe').elementHandle({ timeout: 120_000 });
      frames.push(await handle.contentFrame());
    }
    painted = Math.max(...await Promise.all(frames.map(firstPaint)));
  } else {
    painted = await firstPaint(page);
  }
  stats.firstPaintMs = Math.round(painted - await page.evaluate(() => performance.timeOrigin));
  // the rest of the view's downloads (a QLAE preset's weights follow its first picture) count
  // too, and a reload cut short would download them again
  const ready = (frame) => frame.waitForFunction(() => document.body?.dataset.state === 'ready', null, { timeout: 300_000 });
  await Promise.all(widgets ? page.frames().filter((f) => f !== page.mainFrame()).map(ready) : [ready(page)]);
  stats.compiles = await page.evaluate(() => window.coreCompiles ?? 0)
    + (await Promise.all(page.frames().filter((f) => f !== page.mainFrame()).map((f) => f.evaluate(() => window.coreCompiles ?? 0).catch(() => 0)))).reduce((a, b) => a + b, 0);
  await cdp.detach();
  return stats;
}

/**
 * One case's runs as one row: the median first paint (and its range), the median bytes, and the
 * most core downloads and compiles any run made (one extra is a bug, however rare).
 */
function summary(runs) {
  const median = (values) => values.toSorted((a, b) => a - b)[values.length >> 1];
  const paints = runs.map((r) => r.firstPaintMs);
  return {
    firstPaintMs: median(paints),
    firstPaintRangeMs: [Math.min(...paints), Math.max(...paints)],
    bytes: median(runs.map((r) => r.bytes)),
    coreDownloads: Math.max(...runs.map((r) => r.coreDownloads)),
    compiles: Math.max(...runs.map((r) => r.compiles)),
  };
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('no dist/: run `make dist` first');
  // Isolated by the server's headers, as a host that can set them serves the site (the threaded
  // core runs). The service worker that isolates pages on other hosts is blocked: its reload and
  // its fetches are hidden from the page's DevTools session, so bytes and downloads could not be
  // counted through it.
  const server = await startServer({ dir: 'dist', pkg: null, extra: ['--isolate'] });
  const rows = [];
  try {
    for (const c of CASES) {
      for (const slow of [false, true]) {
        const runs = [];
        for (let round = 0; round < ROUNDS; round++) {
          // a fresh profile on disk for each run: a browser context of its own keeps its cache in
          // memory, where a 6.9 MB preset's weights are not kept, unlike a learner's browser
          const profile = mkdtempSync(path.join(tmpdir(), 'genlab-open-'));
          const context = await launchWithProfile(profile, { viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
          try {
            await context.addInitScript(COUNT_COMPILES);
            const page = context.pages()[0] ?? await context.newPage();
            const cold = await measure(page, server.url + c.path, { ...c, slow });
            const warm = await measure(page, server.url + c.path, { ...c, slow, reload: true });
            runs.push({ cold, warm });
          } finally {
            await context.close();
            rmSync(profile, { recursive: true, force: true });
          }
        }
        rows.push({ case: c.name, network: slow ? '10 Mbit/s, 40 ms' : 'localhost', cold: summary(runs.map((r) => r.cold)), warm: summary(runs.map((r) => r.warm)) });
      }
    }
  } finally {
    server.stop();
  }
  const kB = (b) => `${Math.round(b / 1000).toLocaleString('en')} kB`;
  const s = (ms) => (ms / 1000).toFixed(2);
  const paint = ({ firstPaintMs, firstPaintRangeMs: [lo, hi] }) => `${s(firstPaintMs)} s (${s(lo)}–${s(hi)})`;
  console.log(`Medians of ${ROUNDS} runs, each in a fresh profile; first paint with its range.`);
  console.log('| case | network | cold: first paint | cold: transferred | core downloads / compiles | warm: first paint | warm: transferred |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.case} | ${r.network} | ${paint(r.cold)} | ${kB(r.cold.bytes)} | ${r.cold.coreDownloads} / ${r.cold.compiles} | ${paint(r.warm)} | ${kB(r.warm.bytes)} |`);
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(rows, null, 2)}\n`);
}

await main();

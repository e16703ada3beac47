// Thread scaling in the page: the workloads of bench-threads.mjs in headless Chromium, on the
// single-threaded core (an ordinary page) and on the threaded core with 1, 2 and all threads (a
// cross-origin isolated page, `?threads=N`), each through a lab's own worker as the page runs
// it. The bits do not depend on the core or the count (tests/e2e/threads.test.mjs), so only the
// speed is compared. Prints a table with each run's ratio to the single-threaded core and writes
// target/bench-threads-page.json.
//
//   node bench/bench-threads-page.mjs   (from the repo root; GENLAB_BIN=… to pick the binary)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage, startServer, ROOT, SHIPPED, SHIPPED_PAGE } from '../tests/e2e/harness.mjs';
import { WORKLOADS } from './workloads.mjs';

const OUT = path.join(ROOT, 'target/bench-threads-page.json');

/** Every workload, timed in one page: the figures of bench-threads.mjs's rows. */
async function workloads(page) {
  return page.evaluate(async () => {
    const { views } = window.genlab;
    const seconds = async (run) => { const t = performance.now(); await run(); return (performance.now() - t) / 1000; };
    const out = {};
    // W1: the bench page's protocol (3 warm-up steps and forwards, 30 timed steps, 10 forwards)
    const { worker } = views.si;
    out.threads = (await worker.request({ type: 'catalog' })).threads;
    await worker.request({ type: 'configure', lab: 'bench', config: { seed: 0 } });
    const { result: w1 } = await worker.request({ type: 'protocol', label: 'W1', steps: 30, reps: 10 });
    out.w1Train = w1.stepsPerSec;
    out.w1Forward = w1.samplesPerSec;
    // the interpolants' default checkerboard: training, then one play of its 5,000 particles
    const si = views.si.presets.find((p) => p.name === 'checkerboard').config;
    await worker.request({ type: 'configure', lab: 'si', config: si });
    await worker.request({ type: 'train', k: 5, chunk: 5 });
    out.siTrain = 100 / await seconds(() => worker.request({ type: 'train', k: 100, chunk: 10 }));
    let frames = -1; // the start frame is not a step
    const play = await seconds(() => worker.request({ type: 'play', epsilon: si.sampler.epsilon }, (m) => { if (m.type === 'frame') frames++; }));
    out.siFrames = frames / play;
    // hallucination sampling: 2,000 chains of the trained 1d-123 preset, helpers as the page uses them
    const entry = views.halluc.presets.find((p) => p.name === '1d-123');
    const halluc = { ...entry.config, n: 2000 };
    const hw = views.halluc.worker;
    await hw.request({ type: 'configure', lab: 'halluc', config: halluc });
    const bytes = new Uint8Array(await (await fetch(entry.weights)).arrayBuffer());
    await hw.request({ type: 'call', method: 'loadWeights', args: [bytes, halluc.train.steps] });
    out.hallucChains = 2000 / await seconds(() => hw.request({ type: 'diffuse' }));
    // QLAE: the shapes3d MLP preset, and the small conv net of docs/qlae.md on the sprites preset
    const qw = views.qlae.worker;
    const qlae = (name) => views.qlae.presets.find((p) => p.name === name).config;
    const steps = async (config, k) => {
      await qw.request({ type: 'configure', lab: 'qlae', config });
      await qw.request({ type: 'train', k: 1, chunk: 1 });
      return k / await seconds(() => qw.request({ type: 'train', k, chunk: 1 }));
    };
    out.qlaeMlp = await steps(qlae('shapes3d-qlae'), 20);
    out.qlaeConv = await steps({ ...qlae('sprites-qlae'), encoder: { channels: [16, 32], dense: [256] }, decoder: { channels: [32, 16], dense: [256] } }, 5);
    return out;
  });
}

const ROWS = Object.entries(WORKLOADS).map(([key, [name, unit]]) => [name, unit, key]);

const browser = await launchBrowser();
const [ordinary, isolated] = await Promise.all([startServer(SHIPPED), startServer({ ...SHIPPED, extra: ['--isolate'] })]);
try {
  const cores = await (async () => {
    const { page, context } = await openPage(browser, isolated.url, SHIPPED_PAGE);
    const n = await page.evaluate(() => navigator.hardwareConcurrency);
    await context.close();
    return n;
  })();
  const runs = [
    { label: 'single-threaded core', url: `${ordinary.url}#data` },
    ...[...new Set([1, 2, Math.min(cores, 16)])].map((t) => ({ label: `threaded core, ${t} thread${t > 1 ? 's' : ''}`, url: `${isolated.url}?threads=${t}#data` })),
  ];
  for (const run of runs) {
    console.error(`${run.label} …`);
    const { page, context, errors } = await openPage(browser, run.url, SHIPPED_PAGE);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    run.figures = await workloads(page);
    for (const e of errors) console.error(`warning: console error: ${e}`);
    await context.close();
  }
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  console.log(`thread scaling in the page (Chromium ${browser.version()}; ${cores} cores reported)`);
  console.log(`| workload | unit | ${runs.map((r) => r.label).join(' | ')} |`);
  console.log(`|---|---|${runs.map(() => '---').join('|')}|`);
  for (const [name, unit, key] of ROWS) {
    const base = runs[0].figures[key];
    const cells = runs.map((r, i) => (i === 0 ? fmt(base) : `${fmt(r.figures[key])} (${(r.figures[key] / base).toFixed(2)}×)`));
    console.log(`| ${name} | ${unit} | ${cells.join(' | ')} |`);
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ browser: browser.version(), cores, runs }, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
} finally {
  await browser.close();
  ordinary.stop();
  isolated.stop();
}

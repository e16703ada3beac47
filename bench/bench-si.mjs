// The interpolants lab's speed: native candle (`genlab si bench --json`) against GenLab's wasm
// build in headless Chromium, on the browser-sized `checkerboard` preset. Both train in chunks of
// 250 steps and sample all particles after each chunk, and report training steps/s, sampler
// frames/s (one step of every particle; the animation's frame rate) and the training time until
// ≥ 90% of the SDE samples land in the squares. Prints a table with the wasm / native ratios
// and writes target/bench-si.json.
//
//   node bench/bench-si.mjs   (from the repo root; GENLAB_BIN=… to pick the binary)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage, runGenlabJson, startServer, ROOT, GENLAB_BIN, SHIPPED, SHIPPED_PAGE } from '../tests/e2e/harness.mjs';

const PRESET = 'checkerboard';
const CHUNK = 250;
const OUT = path.join(ROOT, 'target/bench-si.json');
/** Plays of the whole grid when timing the painted animation. */
const PLAYS = 10;

const runNative = () => runGenlabJson(['si', 'bench', '--preset', PRESET, '--json']);

/** The same protocol in the page, through the lab's own worker. */
async function runBrowser() {
  const browser = await launchBrowser();
  const [server, isolated] = await Promise.all([startServer(SHIPPED), startServer({ ...SHIPPED, extra: ['--isolate'] })]);
  try {
    const { page, errors } = await openPage(browser, `${server.url}#si`, SHIPPED_PAGE);
    await page.waitForFunction(() => document.body.dataset.lab === 'si' && window.genlab.views.si.config
      && !window.genlab.views.si.playing && document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    const result = await page.evaluate(async ({ preset, chunk }) => {
      const view = window.genlab.views.si;
      const { worker } = view;
      const config = view.presets.find((p) => p.name === preset).config;
      await worker.request({ type: 'configure', lab: 'si', config });
      const inside = (p) => {
        let k = 0;
        for (let i = 0; i < p.length; i += 2) {
          if (Math.abs(p[i]) < 4 && Math.abs(p[i + 1]) < 4 && (Math.floor(p[i] / 2) + Math.floor(p[i + 1] / 2)) % 2 === 0) k++;
        }
        return k / (p.length / 2);
      };
      let trainMs = 0, sampleMs = 0, frames = 0, steps = 0, to90 = null, last = null;
      while (steps < config.train.steps) {
        const k = Math.min(chunk, config.train.steps - steps);
        let t = performance.now();
        await worker.request({ type: 'train', k, chunk: k });
        trainMs += performance.now() - t;
        steps += k;
        t = performance.now();
        let particles = null;
        await worker.request({ type: 'play', epsilon: config.sampler.epsilon }, (m) => {
          if (m.type === 'frame') { frames++; particles = m.particles; }
        });
        sampleMs += performance.now() - t;
        frames--; // the start frame is not a step
        last = inside(particles);
        if (to90 === null && last >= 0.9) to90 = { steps, seconds: trainMs / 1000 };
      }
      return {
        runtime: 'wasm', trainStepsPerSec: steps / (trainMs / 1000), framesPerSec: frames / (sampleMs / 1000),
        particles: config.n, stepsTo90: to90?.steps ?? null, secondsTo90: to90?.seconds ?? null, finalInside: last,
      };
    }, { preset: PRESET, chunk: CHUNK });
    return {
      ...result,
      drawn: await drawnFrames(browser, server.url),
      drawn2Threads: await drawnFrames(browser, `${isolated.url}?threads=2`),
      browser: browser.version(),
      consoleErrors: errors,
    };
  } finally {
    await browser.close();
    server.stop();
    isolated.stop();
  }
}

/**
 * The animation as the user sees it: the lab's own Play on the shipped preset, counting the
 * distinct frames painted per second, over PLAYS plays. V8 runs new wasm code in its baseline
 * tier first, so the first plays are slower than the later ones. `url` picks the core: an
 * ordinary page runs the single-threaded one, an isolated page with `?threads=2` the threaded
 * core on two threads.
 */
async function drawnFrames(browser, url) {
  const { page } = await openPage(browser, `${url}#si`, SHIPPED_PAGE);
  await page.waitForFunction(() => document.body.dataset.lab === 'si' && window.genlab.views.si.config
    && document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  return page.evaluate(async (plays) => {
    const view = window.genlab.views.si;
    const redraw = view.redraw.bind(view);
    const rates = [];
    for (let i = 0; i < plays; i++) {
      let painted = 0, last = -1;
      view.redraw = () => { if (view.index !== last) { painted++; last = view.index; } redraw(); };
      view.index = view.grid.length - 1; // Play starts over from t = 0
      const t = performance.now();
      await view.play();
      rates.push(painted / ((performance.now() - t) / 1000));
    }
    view.redraw = redraw;
    return { first: rates[0], last3: rates.slice(-3).reduce((a, b) => a + b, 0) / 3 };
  }, PLAYS);
}

async function main() {
  console.error(`native: ${path.relative(ROOT, GENLAB_BIN)} si bench --preset ${PRESET} --json …`);
  const native = await runNative();
  console.error('wasm: the same protocol in headless Chromium …');
  const wasm = await runBrowser();
  const f = (v, d = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
  const rows = [['native candle', native], ['GenLab wasm', wasm]];
  console.log(`workload: interpolants preset "${PRESET}" (two 3×48 ReLU nets, batch 500 antithetic pairs; SDE Heun, 100 steps, ${native.particles} particles)`);
  console.log(`${'runtime'.padEnd(16)}${'train steps/s'.padStart(14)}${'frames/s'.padStart(10)}${'s to 90% inside'.padStart(17)}${'final inside'.padStart(14)}`);
  for (const [name, r] of rows) {
    console.log(`${name.padEnd(16)}${f(r.trainStepsPerSec).padStart(14)}${f(r.framesPerSec).padStart(10)}${f(r.secondsTo90).padStart(17)}${f(r.finalInside, 3).padStart(14)}`);
  }
  for (const [label, d] of [['one thread', wasm.drawn], ['two threads', wasm.drawn2Threads]]) {
    console.log(`page animation on ${label} (the lab's Play, painted frames/s): first play ${f(d.first)}, mean of plays ${PLAYS - 2}–${PLAYS} ${f(d.last3)}`);
  }
  console.log(`ratio wasm / native: train ${(wasm.trainStepsPerSec / native.trainStepsPerSec).toFixed(2)}×, frames ${(wasm.framesPerSec / native.framesPerSec).toFixed(2)}×`);
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), preset: PRESET, native, wasm }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(`benchmark failed: ${e.message}`);
  process.exitCode = 1;
});

// The three-runtime benchmark: native candle (`genlab bench --json`), GenLab's wasm build and
// TF.js's wasm backend (both in headless Chromium, on bench.html of the site `make dist` ships,
// dist/). Prints a table and writes every figure to target/bench.json.
//
//   node bench/bench.mjs            (from the repo root, after `make dist`; GENLAB_BIN=… to pick the binary)
//
// Runs native first (candle's default thread count, then one thread, the fair peer of the
// single-threaded wasm runs), then the page, where each runtime computes in a worker as the labs
// do (GenLab's single-threaded core in a lab worker, TF.js twice in a worker of its own), then the
// same on the page's main thread (`?main`): each page alternates its runtimes over ROUNDS rounds
// (`?rounds=`), and a ratio is the median of the rounds' ratios, which this machine's drift (a
// quarter within minutes) cannot swing as it did runtimes timed once each. Then, in a cross-origin
// isolated page, GenLab's threaded core on 1 and 2 threads and TF.js's threaded-SIMD backend: one
// page load each (a pool's size is fixed when it starts), alternated over THREADED_ROUNDS.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer, launchBrowser, openPage, ROOT, GENLAB_BIN, SHIPPED } from '../tests/e2e/harness.mjs';
import { WARMUP, medianOf, roundRatio } from '../www/js/bench-protocol.js';

export const STEPS = 30;
export const REPS = 10; // `genlab bench` times 10 forward passes too
/** Rounds of the workers' page (`?rounds=`); the main thread's runs ROUNDS_MAIN. */
const ROUNDS = 5;
const ROUNDS_MAIN = 3;
/** Rounds of the threaded page loads (1 thread, 2 threads, TF.js on 2 threads, in turn). */
const THREADED_ROUNDS = 3;
/** The threads of the threaded runs (`genlabWasm2Threads`, `tfjsWasmThreaded2` in target/bench.json). */
const THREADED = 2;
const TIMEOUT_MS = 10 * 60 * 1000;
const OUT = path.join(ROOT, 'target/bench.json');

/**
 * Waits until the bench page sets `window.benchResults.done` and returns the results. Fails early
 * when the page logs errors but never finishes (e.g. a script that failed to load).
 */
export async function waitForBench(page, errors, { timeoutMs = TIMEOUT_MS, graceMs = 5000 } = {}) {
  const start = Date.now();
  let erroredAt = null;
  for (;;) {
    const results = await page.evaluate(() => window.benchResults ?? null);
    if (results?.done) return results;
    const now = Date.now();
    if (errors.length > 0) {
      erroredAt ??= now;
      if (now - erroredAt > graceMs) throw new Error(`bench page reported errors and never finished:\n  ${errors.join('\n  ')}`);
    }
    if (now - start > timeoutMs) {
      const status = await page.locator('#status').textContent().catch(() => '?');
      throw new Error(`bench page did not finish within ${timeoutMs / 1000} s (status: "${status}")`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** `genlab bench --json`; `threads` sets RAYON_NUM_THREADS (candle's CPU thread count) when given. */
async function runNative(threads) {
  if (!existsSync(GENLAB_BIN)) {
    throw new Error(`${GENLAB_BIN} not found: run \`cargo build --release\` first, or set GENLAB_BIN (e.g. GENLAB_BIN=target/debug/genlab)`);
  }
  let stdout;
  try {
    const env = threads ? { ...process.env, RAYON_NUM_THREADS: String(threads) } : process.env;
    ({ stdout } = await promisify(execFile)(GENLAB_BIN, ['bench', '--json', '--steps', String(STEPS)], { timeout: TIMEOUT_MS, env }));
  } catch (e) {
    throw new Error(`\`${GENLAB_BIN} bench --json\` failed: ${e.stderr?.trim() || e.message}`, { cause: e });
  }
  const line = stdout.trim().split('\n').pop();
  let native;
  try {
    native = JSON.parse(line);
  } catch {
    throw new Error(`\`genlab bench --json\` printed no JSON: ${JSON.stringify(stdout)}`);
  }
  for (const key of ['stepsPerSec', 'samplesPerSec']) {
    if (!(Number.isFinite(native[key]) && native[key] > 0)) throw new Error(`native ${key} is not a positive number: ${line}`);
  }
  return { ...native, threads: threads ?? (Number(process.env.RAYON_NUM_THREADS) || os.availableParallelism()) };
}

/**
 * The bench page of dist/ with `query`: `&main` (both runtimes on the main thread), `&threads=N` or
 * `&tfjsThreads=N` (one threaded run, on an isolated server).
 */
async function runBrowser(query = '') {
  if (!existsSync(path.join(ROOT, 'dist/bench.html'))) throw new Error('dist/bench.html not found: run `make dist` first');
  const isolate = /threads=/i.test(query);
  const server = await startServer({ ...SHIPPED, extra: isolate ? ['--isolate'] : [] });
  let browser;
  try {
    browser = await launchBrowser();
    const { page, errors } = await openPage(browser, `${server.url}bench.html?steps=${STEPS}&reps=${REPS}${query}`);
    const results = await waitForBench(page, errors);
    if (results.error) throw new Error(`bench page failed: ${results.error}`);
    return { results, browserVersion: browser.version(), consoleErrors: errors };
  } finally {
    await browser?.close();
    server.stop();
  }
}

const num = (v, digits) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratioText = (r) => `${r.toFixed(r >= 10 ? 1 : 2)}×`;
const times = (a, b) => ratioText(a / b);

function printTable(native, native1, r, main, binaryNote, tfjsThreaded, genlabThreaded, ratios) {
  const rows = [
    [`native candle (${native.threads} threads${binaryNote})`, native],
    [`native candle (1 thread${binaryNote})`, native1],
    ['GenLab wasm (in a lab worker)', r.genlab],
    ['TF.js wasm (1 thread, in a worker)', r.tfjs],
    ['TF.js wasm, explicit transposes (in a worker)', r.tfjsExplicitTranspose],
    ['GenLab wasm (main thread)', main.genlab],
    ['TF.js wasm, explicit transposes (main thread)', main.tfjsExplicitTranspose],
    ...genlabThreaded.map((g) => [`GenLab wasm, threaded core (${g.threads} thread${g.threads === 1 ? '' : 's'})`, g]),
    [`TF.js threaded SIMD (${tfjsThreaded.requestedThreads} threads asked, ${tfjsThreaded.threads} reported), explicit transposes`, tfjsThreaded],
  ];
  const w = Math.max(...rows.map(([name]) => name.length)) + 2;
  const ratioLine = (label, a, b) => `ratio ${label}: train ${times(a.stepsPerSec, b.stepsPerSec)}, forward ${times(a.samplesPerSec, b.samplesPerSec)}`;
  const medianLine = (label, { train, forward }) => `ratio ${label}: train ${ratioText(train)}, forward ${ratioText(forward)}`;
  const lines = [
    'workload: MLP 3→256×3→2 SiLU, batch 1024; forward over 5,000 points',
    `protocol: ${WARMUP} warm-up steps and forwards in the page, then ${STEPS} timed train steps and ${REPS} timed forwards per runtime`,
    `rounds: the runtimes alternate ${ROUNDS} times in workers, ${ROUNDS_MAIN} on the main thread, ${THREADED_ROUNDS} threaded page loads each; speeds are medians, page ratios medians of the rounds' ratios`,
    `${'runtime'.padEnd(w)}${'train steps/s'.padStart(14)}${'forward samples/s'.padStart(20)}`,
    ...rows.map(([name, x]) => `${name.padEnd(w)}${num(x.stepsPerSec, 2).padStart(14)}${num(x.samplesPerSec, 0).padStart(20)}`),
    medianLine('GenLab-wasm / TF.js (in workers)', ratios.genlabOverTfjs),
    medianLine('GenLab-wasm / TF.js, explicit transposes (in workers)', ratios.genlabOverTfjsExplicitTranspose),
    medianLine('GenLab-wasm / TF.js, explicit transposes (main thread)', ratios.mainThread.genlabOverTfjsExplicitTranspose),
    medianLine(`GenLab-wasm ${THREADED} threads / 1 thread (threaded core)`, ratios.genlab2ThreadsOverGenlab),
    medianLine(`GenLab-wasm ${THREADED} threads / TF.js threaded SIMD`, ratios.genlab2ThreadsOverTfjsThreaded2),
    ratioLine('GenLab-wasm / native', r.genlab, native),
    ratioLine('GenLab-wasm / native (1 thread)', r.genlab, native1),
    `loss (first → last): GenLab ${r.genlab.firstLoss.toFixed(4)} → ${r.genlab.finalLoss.toFixed(4)} (AdamW), `
      + `TF.js ${r.tfjs.firstLoss.toFixed(4)} → ${r.tfjs.finalLoss.toFixed(4)} (Adam)`,
  ];
  console.log(lines.join('\n'));
}

async function main() {
  const isDebug = GENLAB_BIN.split(path.sep).includes('debug');
  const bin = path.relative(ROOT, GENLAB_BIN) || GENLAB_BIN;
  console.error(`native candle: ${bin} bench --json --steps ${STEPS} …`);
  const native = await runNative();
  console.error(`native candle, one thread: RAYON_NUM_THREADS=1 ${bin} bench --json --steps ${STEPS} …`);
  const native1 = await runNative(1);
  console.error(`browser: bench.html?steps=${STEPS}&reps=${REPS}&rounds=${ROUNDS} (GenLab wasm in a lab worker and TF.js wasm in a worker, alternated) …`);
  const { results, browserVersion, consoleErrors } = await runBrowser(`&rounds=${ROUNDS}`);
  console.error(`browser: bench.html?steps=${STEPS}&reps=${REPS}&rounds=${ROUNDS_MAIN}&main (both on the page's main thread) …`);
  const main = await runBrowser(`&rounds=${ROUNDS_MAIN}&main`);
  const errors = [...consoleErrors, ...main.consoleErrors];
  const threadedRuns = { 1: [], [THREADED]: [], tfjs: [] };
  for (let round = 1; round <= THREADED_ROUNDS; round++) {
    for (const threads of [1, THREADED]) {
      console.error(`browser, cross-origin isolated, round ${round} of ${THREADED_ROUNDS}: bench.html?…&threads=${threads} (GenLab's threaded core) …`);
      const run = await runBrowser(`&threads=${threads}`);
      threadedRuns[threads].push(run.results.genlab);
      errors.push(...run.consoleErrors);
    }
    console.error(`browser, cross-origin isolated, round ${round} of ${THREADED_ROUNDS}: bench.html?…&tfjsThreads=${THREADED} (TF.js threaded SIMD, explicit transposes) …`);
    const run = await runBrowser(`&tfjsThreads=${THREADED}`);
    threadedRuns.tfjs.push(run.results.tfjsExplicitTranspose);
    errors.push(...run.consoleErrors);
  }
  for (const e of errors) console.error(`warning: console error on the bench page: ${e}`);
  const genlabThreaded = [medianOf(threadedRuns[1]), medianOf(threadedRuns[THREADED])];
  const tfjsThreaded = medianOf(threadedRuns.tfjs);
  const ratios = {
    ...results.ratios,
    mainThread: main.results.ratios,
    genlab2ThreadsOverGenlab: roundRatio(threadedRuns[THREADED], threadedRuns[1]),
    genlab2ThreadsOverTfjsThreaded2: roundRatio(threadedRuns[THREADED], threadedRuns.tfjs),
  };

  printTable(native, native1, results, main.results, isDebug ? ', debug' : '', tfjsThreaded, genlabThreaded, ratios);
  if (isDebug) console.log('note: native figures come from a debug build (dependencies at opt-level 3, the crate at 1)');
  if (tfjsThreaded.threads !== THREADED) {
    console.log(`note: TF.js was asked for ${THREADED} threads and reports ${tfjsThreaded.threads} (TF.js 4.22's setThreadsCount does not take, tensorflow/tfjs#8513)`);
  }

  const ratio = (a, b) => a / b;
  const report = {
    date: new Date().toISOString(),
    workload: {
      model: 'MLP 3→256→256→256→2, SiLU', loss: 'MSE', batch: 1024, forwardPoints: 5000,
      optimizer: { genlab: 'AdamW(lr=1e-3, weight_decay=0.01)', tfjs: 'Adam(lr=1e-3)' },
    },
    protocol: { steps: STEPS, reps: REPS, warmup: WARMUP, rounds: ROUNDS, roundsMainThread: ROUNDS_MAIN, threadedRounds: THREADED_ROUNDS, where: 'GenLab in a lab worker, TF.js in a worker (mainThread: both on the page\'s main thread)', site: 'dist/' },
    native: { ...native, binary: bin, profile: isDebug ? 'debug' : 'release' },
    native1Thread: { ...native1, binary: bin, profile: isDebug ? 'debug' : 'release' },
    genlabWasm: results.genlab,
    tfjsWasm: results.tfjs,
    tfjsWasmExplicitTranspose: results.tfjsExplicitTranspose,
    mainThread: {
      genlabWasm: main.results.genlab, tfjsWasm: main.results.tfjs, tfjsWasmExplicitTranspose: main.results.tfjsExplicitTranspose,
    },
    genlabWasmThreaded1: genlabThreaded[0],
    genlabWasm2Threads: genlabThreaded[1],
    tfjsWasmThreaded2: tfjsThreaded,
    ratios: {
      ...ratios,
      genlabOverNative: { train: ratio(results.genlab.stepsPerSec, native.stepsPerSec), forward: ratio(results.genlab.samplesPerSec, native.samplesPerSec) },
      genlabOverNative1Thread: { train: ratio(results.genlab.stepsPerSec, native1.stepsPerSec), forward: ratio(results.genlab.samplesPerSec, native1.samplesPerSec) },
    },
    environment: {
      browser: `Chromium ${browserVersion}`, userAgent: results.userAgent, crossOriginIsolated: results.crossOriginIsolated,
      node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.availableParallelism(),
      loadAverage: os.loadavg(),
    },
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), OUT) || OUT}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`benchmark failed: ${e.message}`);
    process.exitCode = 1;
  });
}

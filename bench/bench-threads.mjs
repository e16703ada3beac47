// Native thread scaling: each lab's heavy work through `genlab … bench --json` on 1, 2 and all
// threads (RAYON_NUM_THREADS), one workload at a time, the thread counts interleaved. The bits
// do not depend on the count (tests/cli.rs, tests/nn.rs), so only the speed is compared. Prints a table with
// each count's ratio to one thread and writes target/bench-threads.json.
//
//   node bench/bench-threads.mjs   (from the repo root; GENLAB_BIN=… to pick the binary)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runGenlabJson, ROOT, GENLAB_BIN } from '../tests/e2e/harness.mjs';
import { WORKLOADS } from './workloads.mjs';

const OUT = path.join(ROOT, 'target/bench-threads.json');
const THREADS = [...new Set([1, 2, os.availableParallelism()])];

/** The small conv QLAE of docs/qlae.md "Browser scale", on the sprites preset's data. */
async function convConfig(dir) {
  const { stdout } = await promisify(execFile)(GENLAB_BIN, ['qlae', 'config', '--preset', 'sprites-qlae']);
  const config = JSON.parse(stdout);
  config.encoder = { channels: [16, 32], dense: [256] };
  config.decoder = { channels: [32, 16], dense: [256] };
  const file = path.join(dir, 'qlae-conv.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** Each workload (`workloads.mjs`): its command, and the figure compared (higher is faster). */
function workloads(conv) {
  return [
    { key: 'w1Train', args: ['bench', '--json', '--steps', '30'], figure: (r) => r.stepsPerSec },
    { key: 'w1Forward', args: ['bench', '--json', '--steps', '30'], figure: (r) => r.samplesPerSec },
    { key: 'siTrain', args: ['si', 'bench', '--preset', 'checkerboard', '--json'], figure: (r) => r.trainStepsPerSec },
    { key: 'siFrames', args: ['si', 'bench', '--preset', 'checkerboard', '--json'], figure: (r) => r.framesPerSec },
    { key: 'hallucChains', args: ['halluc', 'bench', '--preset', '1d-123', '--json'], figure: (r) => r.samples / r.sampleSeconds },
    { key: 'qlaeMlp', args: ['qlae', 'bench', '--preset', 'shapes3d-qlae', '--json'], figure: (r) => r.trainStepsPerSec },
    { key: 'qlaeConv', args: ['qlae', 'bench', '--config', conv, '--json'], figure: (r) => r.trainStepsPerSec },
  ];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-threads-'));
try {
  const rows = [];
  const runs = new Map(); // one run per command and thread count feeds every figure it prints
  for (const w of workloads(await convConfig(dir))) {
    const [workload, unit] = WORKLOADS[w.key];
    const row = { workload, unit };
    for (const threads of THREADS) {
      const key = `${w.args.join(' ')}|${threads}`;
      if (!runs.has(key)) runs.set(key, await runGenlabJson(w.args, { env: { ...process.env, RAYON_NUM_THREADS: String(threads) } }));
      row[threads] = w.figure(runs.get(key));
    }
    rows.push(row);
  }
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  console.log(`native thread scaling (${GENLAB_BIN}; ${os.availableParallelism()} cores)`);
  console.log(`| workload | unit | ${THREADS.map((t) => `${t} thread${t > 1 ? 's' : ''}`).join(' | ')} |`);
  console.log(`|---|---|${THREADS.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const cells = THREADS.map((t) => (t === 1 ? fmt(r[t]) : `${fmt(r[t])} (${(r[t] / r[1]).toFixed(2)}×)`));
    console.log(`| ${r.workload} | ${r.unit} | ${cells.join(' | ')} |`);
  }
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ threads: THREADS, rows }, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

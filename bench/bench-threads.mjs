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

/** Each workload: its command, and the figure compared (higher is faster). */
function workloads(conv) {
  return [
    { name: 'W1 training (MLP 3→256×3→2, batch 1024)', args: ['bench', '--json', '--steps', '30'], unit: 'steps/s', figure: (r) => r.stepsPerSec },
    { name: 'W1 forward over 5,000 points', args: ['bench', '--json', '--steps', '30'], unit: 'samples/s', figure: (r) => r.samplesPerSec },
    { name: 'interpolants checkerboard training', args: ['si', 'bench', '--preset', 'checkerboard', '--json'], unit: 'steps/s', figure: (r) => r.trainStepsPerSec },
    { name: 'interpolants checkerboard sampler', args: ['si', 'bench', '--preset', 'checkerboard', '--json'], unit: 'frames/s', figure: (r) => r.framesPerSec },
    { name: 'hallucination sampling (1d-123, 2,000 chains)', args: ['halluc', 'bench', '--preset', '1d-123', '--json'], unit: 'chains/s', figure: (r) => r.samples / r.sampleSeconds },
    { name: 'QLAE MLP training (shapes3d-qlae)', args: ['qlae', 'bench', '--preset', 'shapes3d-qlae', '--json'], unit: 'steps/s', figure: (r) => r.trainStepsPerSec },
    { name: 'QLAE conv training (sprites, [16, 32])', args: ['qlae', 'bench', '--config', conv, '--json'], unit: 'steps/s', figure: (r) => r.trainStepsPerSec },
  ];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-threads-'));
try {
  const rows = [];
  const runs = new Map(); // one run per command and thread count feeds every figure it prints
  for (const w of workloads(await convConfig(dir))) {
    const row = { workload: w.name, unit: w.unit };
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

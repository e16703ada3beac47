// The marimo example (www/examples/marimo.py) runs headless: `marimo export html` executes every
// cell and exits non-zero when one raises. The widget's own page needs a browser; what runs here
// is the Python side in marimo (`mo.ui.anywidget` over GenLab, and reading its value).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_VENV } from './jupyter.mjs';

describe('marimo', () => {
  it('exports the example notebook with every cell run', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'genlab-marimo-'));
    try {
      // a copy: marimo keeps a session cache (__marimo__/) beside the notebook it runs
      const [notebook, out] = [path.join(dir, 'marimo.py'), path.join(dir, 'marimo.html')];
      copyFileSync('www/examples/marimo.py', notebook);
      // a failed cell makes marimo exit 1, and execFileSync throw with its output
      execFileSync(path.join(DEFAULT_VENV, 'bin/marimo'), ['export', 'html', notebook, '-o', out], { stdio: 'pipe', timeout: 120_000 });
      const html = readFileSync(out, 'utf8');
      // the last cell's output: the widget's preset, step and link (the page has not run)
      assert.ok(html.includes('"application/json": "[\\"checkerboard\\", 0, \\"\\"]"'), 'the last cell shows the widget\'s preset');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

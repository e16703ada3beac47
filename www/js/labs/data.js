// The Data view: pick a density, a sample count and a seed; see the samples and the density.
// State lives in the URL hash, so a link reproduces the exact points.
import { LabView } from './lab-view.js';
import { announce } from '../ui/announce.js';
import { axes, parseCsv, toCsv } from './shared.js';
import { drawCurve, drawHeatmap } from '../render/heatmap.js';
import { drawHistogram, drawScatter, histogram } from '../render/scatter.js';
import { squareView } from '../render/viewport.js';
import { Placeholder } from '../render/placeholder.js';

const GRID = 160;
const CURVE_POINTS = 400;
const BINS = 120;
/** Drawn points live in this fixed box, so the view does not move while you draw. */
const DRAW_VIEW = { x0: -4, x1: 4, y0: -4, y1: 4 };

const $ = (id) => document.getElementById(id);

export class DataView extends LabView {
  constructor(worker, options) {
    super(worker, options);
    this.catalog = [];
    this.config = null;
    this.points = new Float32Array(0);
    this.density = null;
    this.sampleRun = 0; // the latest sampling run's number
    this.form = $('data-controls');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.applyForm(); });
    this.form.addEventListener('change', (e) => { if (e.target.id !== 'dataset') this.applyForm(); });
    $('dataset').addEventListener('change', () => this.switchDataset());
    $('reseed').addEventListener('click', () => {
      $('seed').value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
      this.applyForm();
    });
    $('cancel').addEventListener('click', () => this.worker.cancel());
    const canvas = $('samples-canvas');
    // until the first samples (and the density) paint: the download's progress, not an empty box
    this.placeholders = { samples: new Placeholder(canvas), density: new Placeholder($('density-canvas')) };
    canvas.addEventListener('pointerdown', (e) => this.drawPoint(e));
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  /** Takes the dataset catalog and the default config from a worker's 'catalog' reply. */
  setCatalog({ catalog, defaults }) {
    this.catalog = catalog;
    this.defaultConfig = defaults;
    $('dataset').replaceChildren(...catalog.map((entry) => new Option(entry.label, entry.name)));
  }

  /** The core's default config (checkerboard, 2,000 points, seed 0). */
  defaults() {
    return structuredClone(this.defaultConfig);
  }

  /** Configures the worker with `config`; on success renders and records it in the URL. */
  async apply(config) {
    this.worker.cancel();
    const reply = await this.worker.request({ type: 'configure', lab: 'data', config });
    this.config = reply.config;
    this.dim = reply.dim;
    this.extent = reply.extent;
    this.analytic = reply.analytic;
    this.showMessage(null);
    this.publish();
    this.fillForm();
    await this.run();
  }

  switchDataset() {
    const entry = this.catalog.find((e) => e.name === $('dataset').value);
    this.applyConfigSafely({ ...this.config, dataset: structuredClone(entry.defaults) });
  }

  async applyConfigSafely(config) {
    try { await this.apply(config); } catch (err) { this.showMessage(`That setting cannot be used: ${err.message}.`); }
  }

  /** The catalog entry for the current dataset. */
  entry() {
    const name = this.config.dataset.name;
    const dim = this.config.dataset.dim;
    return this.catalog.find((e) => e.defaults.name === name && (dim === undefined || e.dim === dim))
      ?? this.catalog.find((e) => e.defaults.name === name);
  }

  fillForm() {
    const entry = this.entry();
    $('dataset').value = entry.name;
    $('n').value = String(this.config.n);
    $('seed').value = String(this.config.seed);
    $('info').textContent = entry.description;
    const params = $('dataset-params');
    params.replaceChildren(...Object.entries(this.config.dataset)
      .filter(([key]) => key !== 'name' && !(key === 'dim'))
      .map(([key, value]) => this.paramControl(key, value)));
    this.form.classList.toggle('drawing', this.config.dataset.name === 'points');
    document.querySelector('.figures').classList.toggle('drawing', this.config.dataset.name === 'points');
  }

  /** A labelled input for one dataset parameter, shaped by its value's type. */
  paramControl(key, value) {
    const label = document.createElement('label');
    label.append(key.replace(/([A-Z])/g, ' $1').toLowerCase());
    if (key === 'points') {
      const hint = document.createElement('span');
      hint.textContent = `${value.length} point${value.length === 1 ? '' : 's'}: click the samples plot to add more.`;
      const clear = document.createElement('button');
      clear.type = 'button';
      clear.textContent = 'Keep only the first point';
      clear.addEventListener('click', () => this.applyConfigSafely({ ...this.config, dataset: { ...this.config.dataset, points: value.slice(0, 1) } }));
      label.append(hint, clear);
      return label;
    }
    let input;
    if (typeof value === 'number') {
      input = document.createElement('input');
      input.type = 'number';
      input.step = 'any';
      input.value = String(value);
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
      input = document.createElement('input');
      input.value = value.join(', ');
      input.dataset.kind = 'list';
    } else {
      input = document.createElement('textarea');
      input.value = JSON.stringify(value, null, 1);
      input.dataset.kind = 'json';
    }
    input.name = `dataset.${key}`;
    label.append(input);
    return label;
  }

  readForm() {
    const dataset = { ...this.config.dataset };
    for (const input of $('dataset-params').querySelectorAll('input, textarea')) {
      const key = input.name.slice('dataset.'.length);
      if (input.dataset.kind === 'list') dataset[key] = input.value.split(',').map((s) => Number(s.trim()));
      else if (input.dataset.kind === 'json') {
        try { dataset[key] = JSON.parse(input.value); } catch { throw new Error(`dataset.${key}: not valid JSON`); }
      } else dataset[key] = Number(input.value);
    }
    return { ...this.config, dataset, n: Number($('n').value), seed: Number($('seed').value) };
  }

  exportName() {
    return `genlab-data-${this.config.dataset.name}-seed${this.config.seed}`;
  }

  /** The samples as CSV (the same columns `genlab data sample` writes). */
  exports() {
    return [{ label: 'Samples (CSV)', filename: `${this.exportName()}.csv`, make: async () => toCsv(axes(this.dim), this.points, this.dim) }];
  }

  async samples() {
    return { values: this.points, columns: axes(this.dim) };
  }

  /** Points from a CSV file become the drawn-points density. */
  async importCsv(text) {
    const points = parseCsv(text);
    await this.apply({ ...this.config, dataset: { name: 'points', points, jitter: this.config.dataset.jitter ?? 0.05 } });
  }

  view() {
    if (this.config.dataset.name === 'points') return DRAW_VIEW;
    return squareView(this.extent);
  }

  /** Samples the whole stream (in chunks, cancellable) and the density grid. */
  async run() {
    const token = ++this.sampleRun; // a newer run supersedes this one's drawing and status
    const total = this.config.n;
    const points = new Float32Array(total * this.dim);
    let filled = 0;
    const started = performance.now();
    this.points = points.subarray(0, 0);
    document.body.dataset.state = 'sampling';
    $('cancel').disabled = false;
    $('progress').value = 0;
    const view = this.view();
    const [x0, x1] = this.dim === 1 ? [this.extent[0], this.extent[1]] : [view.x0, view.x1];
    const [y0, y1] = this.dim === 1 ? [0, 1] : [view.y0, view.y1];
    const densityReply = this.worker.request({ type: 'density', extent: [x0, x1, y0, y1], w: this.dim === 1 ? CURVE_POINTS : GRID, h: this.dim === 1 ? 1 : GRID });
    let frame = 0;
    const final = await this.worker.request({ type: 'sample' }, (msg) => {
      if (msg.type !== 'samples' || token !== this.sampleRun) return;
      points.set(msg.points, filled);
      filled += msg.points.length;
      this.points = points.subarray(0, filled);
      $('progress').value = msg.produced / total;
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; this.drawSamples(); });
    });
    const density = await densityReply;
    if (token !== this.sampleRun) return;
    this.density = density;
    $('cancel').disabled = true;
    const ms = performance.now() - started;
    const count = filled / this.dim;
    $('status').textContent = final.type === 'cancelled'
      ? `Cancelled after ${count.toLocaleString('en')} of ${total.toLocaleString('en')} samples.`
      : `${count.toLocaleString('en')} samples in ${ms.toFixed(0)} ms.`;
    announce($('status').textContent);
    $('density-caption').textContent = this.analytic ? 'Density (exact)' : `Density (histogram of 200,000 draws: no closed form)`;
    $('samples-caption').textContent = `Samples (${count.toLocaleString('en')}, seed ${this.config.seed})`;
    document.body.dataset.state = final.type === 'cancelled' ? 'cancelled' : 'ready';
    this.placeholders.samples.stop(); // a run cancelled before its first samples shows the empty axes
    this.redraw();
  }

  drawSamples() {
    const color = getComputedStyle(document.body).getPropertyValue('--point').trim() || '#0072b2';
    const canvas = $('samples-canvas');
    if (this.placeholders.samples.holds(this.points.length > 0)) return;
    if (this.dim === 1) {
      const view = this.view1d();
      drawHistogram(canvas, histogram(this.points, view, BINS), view, color);
    } else {
      const marks = this.config.dataset.name === 'points' ? this.config.dataset.points : [];
      drawScatter(canvas, this.points, this.view(), color, marks);
    }
  }

  /** The 1D view: x over the extent, y up to the taller of the density and the histogram. */
  view1d() {
    const x = { x0: this.extent[0], x1: this.extent[1] };
    const curveMax = this.density ? Math.max(...this.density.values) : 0;
    const histMax = Math.max(0, ...histogram(this.points, { ...x, y0: 0, y1: 1 }, BINS));
    return { ...x, y0: 0, y1: 1.1 * Math.max(curveMax, histMax, 1e-6) };
  }

  drawDensity() {
    if (this.placeholders.density.holds(Boolean(this.density)) || !this.density) return;
    const canvas = $('density-canvas');
    if (this.dim === 1) {
      const color = getComputedStyle(document.body).getPropertyValue('--point').trim() || '#0072b2';
      drawCurve(canvas, this.density.values, this.view1d(), color);
    } else {
      drawHeatmap(canvas, this.density.values, this.density.w, this.density.h, this.view());
    }
  }

  redraw() {
    if (!this.config) return;
    this.drawSamples();
    this.drawDensity();
  }

  /** With the "points" density, a click on the samples plot adds a point there. */
  drawPoint(event) {
    if (this.config?.dataset.name !== 'points') return;
    const canvas = event.currentTarget;
    const rect = canvas.getBoundingClientRect();
    const v = DRAW_VIEW;
    const x = v.x0 + ((event.clientX - rect.left) / rect.width) * (v.x1 - v.x0);
    const y = v.y1 - ((event.clientY - rect.top) / rect.height) * (v.y1 - v.y0);
    const round = (a) => Math.round(a * 1000) / 1000;
    const points = [...this.config.dataset.points, [round(x), round(y)]];
    this.applyConfigSafely({ ...this.config, dataset: { ...this.config.dataset, points } });
  }
}

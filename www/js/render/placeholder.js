// What a plot shows until its first samples paint, never an empty box: which download the first
// picture waits for and how far it is ("Loading the GenLab core… 1.2 of 2.2 MB", then the
// model's weights), a line when the connection is slow, and a thin bar. The text is also the
// canvas's aria-label and its `data-placeholder` (for screen readers, and for the tests).
//
// A view's main plot keeps its placeholder until the view has samples (`holds`); its other
// plots (`coverPlots`) keep theirs until a picture is drawn on them (any renderer's `fitCanvas`)
// or the main plot's first samples paint, whichever comes first: a plot that waits for a click
// (a chosen sample's trajectory) is then left empty as before, not "loading" for ever.
import { downloads, seen, slowness, started } from '../downloads.js';
import { placeholders } from './viewport.js';
import { stage } from '../startup.js';

/** Bytes for a learner: kB below one MB (of the total, when known), else MB with one decimal. */
function amount(received, total) {
  const inKb = (total ?? received) < 1e6;
  const f = (bytes) => (inKb ? `${Math.max(1, Math.round(bytes / 1e3))}` : (bytes / 1e6).toFixed(1));
  const unit = inKb ? 'kB' : 'MB';
  return total ? `${f(received)} of ${f(total)} ${unit}` : `${f(received)} ${unit}`;
}

/** Seconds as a wait: “8 s”, “3 min”. */
function wait(seconds) {
  return seconds < 90 ? `${Math.max(1, Math.ceil(seconds))} s` : `${Math.ceil(seconds / 60)} min`;
}

/** The downloads of `what` under way, summed (two QLAE runs fetch their weights side by side). */
function under(what) {
  const active = seen.filter((d) => d.what === what && !d.done);
  if (!active.length) return null;
  const sum = (key) => active.reduce((s, d) => s + d[key], 0);
  const total = active.every((d) => d.total) ? sum('total') : null;
  const slow = active.map((d) => slowness(d)).filter((s) => s.slow);
  const seconds = slow.length && slow.every((s) => s.seconds !== null) ? Math.max(...slow.map((s) => s.seconds)) : null;
  return { received: sum('received'), total, slow: slow.length > 0, seconds, rate: slow.reduce((s, x) => s + x.rate, 0) };
}

/** The placeholder's lines: what the page waits for, then (on a slow connection) a second line. */
export function placeholderLines() {
  if (document.body.dataset.state === 'error') return ['GenLab could not start: see the message above.'];
  const core = under('core');
  const weights = core ? null : under('weights');
  const d = core ?? weights;
  if (!d) return [started('core') ? 'Drawing the first samples…' : 'Loading the GenLab core…'];
  const lines = [`${core ? 'Loading the GenLab core…' : 'Loading the model’s weights…'} ${amount(d.received, d.total)}`];
  if (d.slow) {
    lines.push(d.seconds !== null
      ? `This is a slow connection: the first picture needs about ${wait(d.seconds)} more.`
      : `This is a slow connection (${Math.round(d.rate / 1e3)} kB/s): the first picture will take a while.`);
  }
  return lines;
}

/**
 * How far the weights' download is, for a line beside a picture already drawn: “1.7 of 6.9 MB
 * loaded”, with the time left on a slow connection; null when none is under way.
 */
export function weightsProgress() {
  const d = under('weights');
  if (!d) return null;
  const slow = d.seconds !== null ? `, about ${wait(d.seconds)} more on this slow connection` : ', on a slow connection';
  return `${amount(d.received, d.total)} loaded${d.slow ? slow : ''}`;
}

/** The fraction of the current download done, or null without a total. */
function fraction() {
  const d = under('core') ?? under('weights');
  return d?.total ? Math.min(1, d.received / d.total) : null;
}

/** Splits `text` into lines at most `width` wide in `ctx`'s font. */
function wrap(ctx, text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

export class Placeholder {
  /**
   * Draws on `canvas` now and at every download's progress until `stop` (or `holds(true)`, or a
   * draw on the canvas); one that `follows` another ends when that one does.
   */
  constructor(canvas, { follows = null } = {}) {
    this.canvas = canvas;
    this.followers = [];
    this.leads = !follows;
    follows?.followers.push(this);
    placeholders.set(canvas, this);
    this.label = canvas.getAttribute('aria-label');
    this.active = true;
    this.frame = 0;
    this.onProgress = () => this.schedule();
    downloads.addEventListener('progress', this.onProgress);
    // a stalled download sends no events: the slow line and the error still come in time
    this.timer = setInterval(this.onProgress, 1000);
    this.resize = new ResizeObserver(this.onProgress);
    this.resize.observe(canvas);
    this.draw();
  }

  /**
   * With `ready` (the view has its first samples to draw), ends the placeholder and returns
   * false: the view draws. Without, keeps the placeholder on the canvas and returns true.
   */
  holds(ready) {
    if (!this.active) return false;
    if (ready) {
      this.stop();
      return false;
    }
    this.schedule();
    return true;
  }

  /** Ends the placeholder; the canvas's next draw replaces it (with `clear`, it is cleared now). */
  stop({ clear = false } = {}) {
    if (!this.active) return;
    this.active = false;
    if (this.leads) stage(`${this.canvas.id}: placeholder ended`);
    placeholders.delete(this.canvas);
    if (clear) this.canvas.getContext('2d').clearRect(0, 0, this.canvas.width, this.canvas.height);
    for (const follower of this.followers) follower.stop({ clear: true });
    downloads.removeEventListener('progress', this.onProgress);
    clearInterval(this.timer);
    this.resize.disconnect();
    cancelAnimationFrame(this.frame);
    delete this.canvas.dataset.placeholder;
    if (this.label === null) this.canvas.removeAttribute('aria-label');
    else this.canvas.setAttribute('aria-label', this.label);
  }

  schedule() {
    if (!this.active || this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      // a hidden view's plot waits: showing it resizes it, which draws it
      if (this.active && this.canvas.clientWidth) this.draw();
    });
  }

  draw() {
    const lines = placeholderLines();
    const text = lines.join(' ');
    this.canvas.dataset.placeholder = text;
    this.canvas.setAttribute('aria-label', this.label ? `${this.label}: ${text}` : text);
    const canvas = this.canvas;
    // sized as `fitCanvas` does (which would end the placeholder: it starts a real draw)
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
    const ctx = canvas.getContext('2d');
    const style = getComputedStyle(canvas);
    const muted = style.getPropertyValue('--muted').trim() || '#5c6370';
    const line = style.getPropertyValue('--line').trim() || '#dde1e8';
    ctx.clearRect(0, 0, w, h);
    // the text scales with the canvas's device pixels, and shrinks on a small canvas
    const size = Math.max(10, Math.min(15, w / dpr / 24)) * dpr;
    const rows = [];
    lines.forEach((l, i) => {
      ctx.font = `${i ? size * 0.9 : size}px system-ui, sans-serif`;
      for (const part of wrap(ctx, l, w * 0.88)) rows.push({ text: part, font: ctx.font });
    });
    const lead = size * 1.45;
    const bar = fraction();
    const barGap = bar === null ? 0 : size;
    let y = h / 2 - ((rows.length - 1) * lead + barGap) / 2;
    ctx.fillStyle = muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const row of rows) {
      ctx.font = row.font;
      ctx.fillText(row.text, w / 2, y);
      y += lead;
    }
    if (bar !== null) {
      const bw = Math.min(w * 0.6, 240 * dpr), bh = Math.max(2, 4 * dpr);
      const x0 = (w - bw) / 2, y0 = y - lead + barGap;
      ctx.fillStyle = line;
      ctx.fillRect(x0, y0, bw, bh);
      ctx.fillStyle = muted;
      ctx.fillRect(x0, y0, bw * bar, bh);
    }
    ctx.textAlign = 'start';
    ctx.textBaseline = 'alphabetic';
  }
}

/** Placeholders on the plots in `root` that have none yet, following the main plot's `leader`. */
export function coverPlots(root, leader) {
  for (const canvas of root.querySelectorAll('canvas')) {
    if (!placeholders.has(canvas)) new Placeholder(canvas, { follows: leader });
  }
}

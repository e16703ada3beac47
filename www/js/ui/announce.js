// The page's one ARIA live region: screen readers hear when long work starts, passes each
// quarter, and ends, not every progress tick the status lines show.
const region = () => document.getElementById('announcer');

/** Says `text` politely (a repeated text is said again). */
export function announce(text) {
  const el = region();
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 30);
}

/** Tracks one long piece of work and announces it at 25%, 50% and 75%. */
export class ProgressAnnouncer {
  constructor(what) {
    this.what = what;
    this.quarter = 0;
  }

  update(fraction) {
    const quarter = Math.min(3, Math.floor(fraction * 4));
    if (quarter > this.quarter) {
      this.quarter = quarter;
      announce(`${this.what}: ${quarter * 25}% done.`);
    }
  }
}

// Helpers the lab views share: comparing configs, fetching a preset's shipped weights, and
// reading and writing points as CSV.
import { current, ended, track } from '../downloads.js';
import { siteFetch } from '../site.js';

/** JSON with object keys sorted, so equal configs give equal strings. */
export function canonical(value) {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/** Fetches a file shipped with the site; a missing one is an error naming `what` and the file. */
async function fetchShipped(url, what) {
  const response = await siteFetch(url);
  if (!response.ok) throw new Error(`${what} (${url}) could not be loaded: HTTP ${response.status}`);
  return response;
}

/** A preset's shipped weights, their bytes counted as they arrive (the plots' placeholders show them). */
export async function fetchWeights(url) {
  const response = track(await fetchShipped(url, "the preset's weights"), 'weights');
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    ended(current('weights'));
    throw err;
  }
}

/** A shipped JSON result, e.g. a recursive-training run. */
export async function fetchJson(url, what) {
  return (await fetchShipped(url, what)).json();
}

/** The column names of points in `dim` dimensions, as the CLI writes them: x (1D) or x, y. */
export const axes = (dim) => (dim === 1 ? ['x'] : ['x', 'y']);

/** Points from CSV text: two numbers per line; a first line that is not numbers is a header. */
export function parseCsv(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const points = [];
  lines.forEach((line, i) => {
    const values = line.split(/[,;\t ]+/).map(Number);
    if (values.length === 2 && values.every(Number.isFinite)) points.push(values);
    else if (i > 0 || values.some(Number.isFinite)) throw new Error(`line ${i + 1} (“${line.slice(0, 40)}”) is not two numbers`);
  });
  if (!points.length) throw new Error('no points found');
  return points;
}

/** CSV text with `header` and one row per `dim` numbers of `values` (plus any `extra` columns). */
export function toCsv(header, values, dim, extra = []) {
  const rows = [header.join(',')];
  for (let i = 0; i * dim < values.length; i++) {
    const row = Array.from(values.subarray(i * dim, (i + 1) * dim));
    for (const column of extra) row.push(column[i]);
    rows.push(row.join(','));
  }
  return new Blob([`${rows.join('\n')}\n`], { type: 'text/csv' });
}

// The URL hash codec. The hash is `#<lab>?` followed by the lab's config flattened into
// dotted keys: `#data?v=1&dataset.name=two-moons&dataset.noise=0.1&n=2000&seed=0`. Beside the
// config a link may hold `preset=NAME` (start from that preset), `at=N` (the steps trained) and
// `view.*` (what is shown: layers, time t, threshold). Values that read as JSON (numbers,
// arrays) are JSON; long lists (drawn points) are deflated (fflate) and base64url-encoded behind
// a `*`; anything else is a string. The config itself is validated by the Rust core, which
// names any bad field; this file only reshapes.
import { Inflate, deflateSync, strFromU8, strToU8 } from '../vendor/fflate.js';

/** Whether `v` is an object of settings (not null, not a list). */
export const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `base` with the values of `over` put in, object by object (a link names only what differs). */
export function mergeLink(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(base[k]) ? mergeLink(base[k], v) : v;
  return out;
}

/** Flattens nested objects into [dottedKey, value] pairs; arrays stay whole. */
function flatten(obj, prefix = '', out = []) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v)) flatten(v, key, out);
    else out.push([key, v]);
  }
  return out;
}

/** Lists whose JSON is longer than this (drawn points) go deflated: `*` + base64url. */
const COMPRESS_OVER = 120;

/**
 * Limits on what a link may hold, checked before the work they bound: a link's length, a
 * deflated value's inflated size (the largest drawn point list, 10,000 points, is ~300 kB),
 * and the nesting of a JSON value. A link past one is refused with the limit named.
 */
export const LINK_LIMITS = { length: 512 * 1024, inflated: 1024 * 1024, depth: 16 };

/** Compressed bytes inflated per step: deflate expands at most ~1,000×, so a step adds ≤ 1 MB. */
const INFLATE_STEP = 1024;

/** Inflates `bytes`, refusing (with the limit named) once the output passes LINK_LIMITS.inflated. */
function inflateCapped(bytes, key) {
  const parts = [];
  let size = 0;
  const inflater = new Inflate((chunk) => {
    size += chunk.length;
    if (size > LINK_LIMITS.inflated) {
      throw new RangeError(`${key}: its compressed value inflates past ${LINK_LIMITS.inflated.toLocaleString('en')} bytes, the most a link may hold`);
    }
    parts.push(chunk);
  });
  for (let i = 0; i < bytes.length; i += INFLATE_STEP) {
    inflater.push(bytes.subarray(i, i + INFLATE_STEP), i + INFLATE_STEP >= bytes.length);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/**
 * Whether `value` nests arrays and objects more than `levels` deep. It looks no deeper than
 * that, so a value nested far deeper than the stack allows is refused, not a stack overflow.
 */
export function tooDeep(value, levels = LINK_LIMITS.depth) {
  if (value === null || typeof value !== 'object') return false;
  return levels === 0 || Object.values(value).some((v) => tooDeep(v, levels - 1));
}

/** `value`, or an Error naming the limit when it nests deeper than LINK_LIMITS.depth. */
function shallow(value, key) {
  if (tooDeep(value)) throw new RangeError(`${key}: its value nests deeper than ${LINK_LIMITS.depth} levels, the most a link may hold`);
  return value;
}

function toBase64Url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}

/** Whether a string, put in a link as it is, would read back as something else. */
const ambiguous = (s) => s.startsWith('*') || readJson(s) !== undefined;

function readJson(s) {
  try { return JSON.parse(s); } catch { return undefined; }
}

/** Long lists go deflated; strings go as they are unless they would read as JSON (then quoted). */
function encodeValue(v) {
  if (typeof v === 'string' && !ambiguous(v)) return v;
  const json = JSON.stringify(v);
  if (Array.isArray(v) && json.length > COMPRESS_OVER) return `*${toBase64Url(deflateSync(strToU8(json), { level: 9 }))}`;
  return json;
}

/** A link value: deflated (`*…`), JSON, or else the string itself. */
function decodeValue(s, key) {
  if (s.startsWith('*')) {
    let text;
    try {
      text = strFromU8(inflateCapped(fromBase64Url(s.slice(1)), key));
    } catch (err) {
      if (err instanceof RangeError) throw err;
      throw new Error(`${key}: its compressed value is damaged (was the link cut short?)`, { cause: err });
    }
    const json = readJson(text);
    if (json === undefined) throw new Error(`${key}: its compressed value is damaged (was the link cut short?)`);
    return shallow(json, key);
  }
  const json = readJson(s);
  return json === undefined ? s : shallow(json, key);
}

/**
 * `#lab?…` for a config object. The version goes first, as `v`; `extras` (the steps trained
 * `at` and the `view` state) follow the config, and undefined values are left out.
 */
export function encodeHash(lab, config, extras = {}) {
  const { version, ...rest } = config;
  const params = new URLSearchParams();
  params.set('v', String(version ?? 1));
  for (const [k, v] of flatten({ ...rest, ...extras })) if (v !== undefined) params.set(k, encodeValue(v));
  return `#${lab}?${params.toString()}`;
}

/**
 * Parses a hash into { lab, config } (config null when the hash holds no settings).
 * Throws an Error with a readable message when the hash is not of the form `#lab?k=v&…`.
 */
export function decodeHash(hash) {
  if (hash.length > LINK_LIMITS.length) {
    throw new RangeError(`the link is ${hash.length.toLocaleString('en')} characters long; a link may hold at most ${LINK_LIMITS.length.toLocaleString('en')}`);
  }
  const text = hash.replace(/^#/, '');
  if (!text) return { lab: null, config: null };
  const q = text.indexOf('?');
  const lab = q < 0 ? text : text.slice(0, q);
  if (!/^[a-z][a-z0-9-]*$/.test(lab)) throw new Error(`the link names no lab (it starts with “${lab.slice(0, 40)}”)`);
  if (q < 0) return { lab, config: null };
  const config = {};
  for (const [key, raw] of new URLSearchParams(text.slice(q + 1))) {
    const path = key === 'v' ? ['version'] : key.split('.');
    if (path.some((p) => !/^[A-Za-z][A-Za-z0-9]*$/.test(p))) continue; // unknown shapes are ignored
    let node = config;
    for (const p of path.slice(0, -1)) {
      if (!isPlainObject(node[p])) node[p] = {};
      node = node[p];
    }
    node[path.at(-1)] = decodeValue(raw, key);
  }
  return { lab, config };
}

// The URL hash codec. The hash is `#<lab>?` followed by the lab's config flattened into
// dotted keys: `#data?v=1&dataset.name=two-moons&dataset.noise=0.1&n=2000&seed=0`. Beside the
// config a link may hold `preset=NAME` (start from that preset), `at=N` (the steps trained) and
// `view.*` (what is shown: layers, time t, threshold).
// Values that read as JSON (numbers, arrays) are JSON; anything else is a string. The config
// itself is validated by the Rust core, which names any bad field; this file only reshapes.

/** Flattens nested objects into [dottedKey, value] pairs; arrays stay whole. */
function flatten(obj, prefix = '', out = []) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out.push([key, v]);
  }
  return out;
}

function encodeValue(v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function decodeValue(s) {
  try { return JSON.parse(s); } catch { return s; }
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
      if (typeof node[p] !== 'object' || node[p] === null || Array.isArray(node[p])) node[p] = {};
      node = node[p];
    }
    node[path.at(-1)] = decodeValue(raw);
  }
  return { lab, config };
}

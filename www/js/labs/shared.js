// Helpers the lab views share: comparing configs, and fetching a preset's shipped weights.

/** JSON with object keys sorted, so equal configs give equal strings. */
export function canonical(value) {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/** Fetches a shipped weights file; a missing one is an error naming the file. */
export async function fetchWeights(url) {
  const response = await fetch(new URL(`../../${url}`, import.meta.url));
  if (!response.ok) throw new Error(`the preset's weights (${url}) could not be loaded: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}


// Where the site's files and options come from. On a static host the files sit beside this
// script and the options are the address's query. Inside the notebook widget (widget/) the page
// is a document made from a blob, with no address to resolve against: the widget sets
// `globalThis.genlabHost` before the page's script runs, and it supplies both.
import { BUNDLED } from './bundled.js';

/** @type {{search?: string, link?: object, fetch?: (path: string) => Promise<Response>, worker?: (path: string) => string} | undefined} */
const host = globalThis.genlabHost;

/** The page's options: `embed`, `controls`, `autoplay` (see ui/embed.js). */
export const siteParams = new URLSearchParams(host?.search ?? globalThis.location?.search ?? '');

/** The URL of the site's file `path` (from the site's root, e.g. `pkg/genlab_bg.wasm`). */
function siteUrl(path) {
  return new URL(`../${path}`, import.meta.url);
}

/** Files asked for before the page needs them (`sitePrefetch`), by path, until taken. */
const prefetched = new Map();
/** Paths fetched so far: one asked for again is not fetched early a second time. */
const fetched = new Set();
/** Set once the page has opened its first link: a prefetch then comes too late to help. */
let prefetching = true;

/**
 * Starts fetching the site's file `path` now, for the `siteFetch` that asks for it later (a
 * link's preset weights while the core still downloads). Does nothing inside a host (the notebook
 * widget hands over files itself) or for a file already asked for.
 */
export function sitePrefetch(path) {
  if (host?.fetch || !prefetching || fetched.has(path)) return;
  fetched.add(path);
  const abort = new AbortController();
  const response = fetch(siteUrl(path), { signal: abort.signal });
  response.catch(() => {}); // an aborted one is never taken
  prefetched.set(path, { response, abort });
}

/** Cancels what was fetched early and not taken (the link's run started from other weights). */
export function endPrefetching() {
  prefetching = false;
  for (const { abort } of prefetched.values()) abort.abort();
  prefetched.clear();
}

/** Fetches the site's file `path`, or takes its early fetch. */
export function siteFetch(path) {
  fetched.add(path);
  const early = prefetched.get(path);
  if (early) {
    prefetched.delete(path);
    return early.response;
  }
  return host?.fetch ? host.fetch(path) : fetch(siteUrl(path));
}

/**
 * Starts the site's module worker `path` (e.g. `js/worker.js?threads=2`): its bundle where
 * `make dist` made one, with the same query.
 */
export function siteWorker(path) {
  if (host?.worker) return new Worker(host.worker(path), { type: 'module' });
  const [file, query] = path.split('?');
  return new Worker(siteUrl(`${BUNDLED[file] ?? file}${query === undefined ? '' : `?${query}`}`), { type: 'module' });
}

/**
 * The address that opens `hash` (a run's link) on this site, without the page's own options
 * (`?embed=…`). A page made from a blob has no address: its link is the hash alone, which opens
 * on any GenLab site.
 */
export function siteAddress(hash) {
  return host ? hash : new URL(hash, new URL('./', location.href)).href;
}

/**
 * The run a host page opens first, as a decoded link ({lab, config}; with `whole`, the config is
 * complete rather than laid over a preset); undefined on a site.
 */
export const siteLink = host?.link;

// The steps of this page's start, each with its time from navigation: the core's download and
// compile, each lab worker's start, its core's arrival and instantiation, its pool of threads,
// the link opened, and each plot's loading placeholder ending (its first picture).
// A start that stalls shows here where it stopped: tests print it when a page never becomes
// ready, and it is `genlabStartup` in the browser's console for a bug report.
export const startup = [];
globalThis.genlabStartup = startup;

/** Records that the start reached `step`. */
export function stage(step) {
  startup.push(`${Math.round(performance.now())} ms: ${step}`);
}

// What the page says when the core's allocator failed: in the lab's worker (worker.js) or, with
// the threaded core, on one of its pool's threads (lab-worker.js hears of it from the watchdog).

/** The message for a core holding `held` bytes that could not get `asked` more. */
export function outOfMemory(held, asked) {
  const mb = (bytes) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;
  return `This tab ran out of memory: the core holds ${mb(held)} and could not get ${mb(asked)} more `
    + '(a tab gives it at most 4,096 MB, often less on phones). Lower train.batch or the network sizes. Restarting…';
}

// What survives a reload: the last trained run of each lab (its config, the steps reached, the
// weights and the loss curves) and the last config each lab was opened with, kept in this
// browser's IndexedDB through idb-keyval. Nothing here leaves the browser. A page opened with
// `store=0` (the notebook widget, whose notebook keeps its state) neither saves nor reads back:
// the same cell gives the same run in any browser.
import { clear, createStore, del, get, set } from '../../vendor/idb-keyval.js';
import { siteParams } from '../site.js';

const store = createStore('genlab', 'saved');
const keeping = siteParams.get('store') !== '0';

/** Runs `op`; storage that is unavailable (private mode, quota) only loses the saving. */
async function quietly(op, fallback = null) {
  if (!keeping) return fallback;
  try {
    return await op();
  } catch {
    return fallback;
  }
}

/**
 * Keeps `run` = { key, trained, weights (bytes), losses } as the last run of `lab`; `key`
 * names the settings the weights depend on, and `slot` tells runs of one lab apart (e.g. the
 * second QLAE model).
 */
export function saveRun(lab, run, slot = '') {
  return quietly(() => set(`run:${lab}${slot}`, { ...run, savedAt: Date.now() }, store));
}

/** The saved run of `lab` when it was made with the settings `key`, else null. */
export async function savedRun(lab, key, slot = '') {
  const run = await quietly(() => get(`run:${lab}${slot}`, store));
  return run && run.key === key ? run : null;
}

/** Forgets the saved run of `lab` (a reset starts again from scratch, also after a reload). */
export function forgetRun(lab, slot = '') {
  return quietly(() => del(`run:${lab}${slot}`, store));
}

/** Remembers the config `lab` last opened with (a bare `#lab` link reopens it). */
export function saveConfig(lab, config) {
  return quietly(() => set(`config:${lab}`, config, store));
}

/** The config `lab` last opened with, or null. */
export function savedConfig(lab) {
  return quietly(() => get(`config:${lab}`, store));
}

/** Forgets everything saved. */
export function clearSaved() {
  return clear(store);
}

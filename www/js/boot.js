// Starts what the first picture waits for as soon as the page opens: the core's download and
// the first lab worker's scripts. index.html loads this script `async` and apart from main.js,
// whose code runs only once its whole module graph (some 30 files) has arrived; main.js then
// finds the download under way and its first lab worker loaded.
import { loadCore } from './core.js';
import { startEarly } from './lab-worker.js';

loadCore().catch(() => {}); // a failure reaches the page through the lab worker's first request
startEarly();

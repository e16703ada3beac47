// Starts what the first picture waits for as soon as the page opens: the core's download, the
// link's preset weights (prefetch.js) and the first lab worker's scripts. index.html loads this
// script `async` and apart from main.js, whose code runs only once its whole module graph (some
// 30 files) has arrived; main.js then finds the downloads under way and its first worker loaded.
import { loadCore } from './core.js';
import { startEarly } from './lab-worker.js';
import { prefetchLinkFile } from './prefetch.js';
import { stage } from './startup.js';

stage('boot.js runs');

loadCore().catch(() => {}); // a failure reaches the page through the lab worker's first request
prefetchLinkFile();
startEarly();

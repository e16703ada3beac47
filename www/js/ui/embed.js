// Embedded mode: the page inside an iframe (`index.html?embed=1`), as the <genlab-widget>
// element (www/embed.js) or a plain iframe makes it. No site chrome; `controls` = full |
// minimal | none; `autoplay` starts the lab's animation; the page reports its height to the
// parent in both common resize protocols (Pym.js, and {context: 'iframe.resize', height});
// and it pauses when the parent says it is off screen ({genlab: 'pause' | 'resume'}) or the
// tab is hidden.

import { siteParams } from '../site.js';

const params = siteParams;
const CONTROLS = ['full', 'minimal', 'none'];

/** How this page was opened: { embedded, controls, autoplay }. */
export const embedding = {
  embedded: params.get('embed') === '1',
  controls: CONTROLS.includes(params.get('controls')) ? params.get('controls') : 'full',
  autoplay: params.has('autoplay') && params.get('autoplay') !== '0',
};

/** Whether the lab may start its animation by itself: always, except embedded without autoplay. */
export function mayAutoplay() {
  return !embedding.embedded || embedding.autoplay;
}

let parentSaysVisible = true;

/** Whether an embedded page can be seen: its tab is shown and the parent has not said the widget
 *  is off screen or on a hidden slide (the site itself always counts as seen). */
export function onScreen() {
  return !embedding.embedded || (parentSaysVisible && document.visibilityState === 'visible');
}

/** Whether the user asked for less motion: animations then jump to their end. */
export function reducedMotion() {
  return matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** Posts the page's height to the parent in the Pym.js and the `iframe.resize` forms. */
function reportHeight() {
  const height = Math.ceil(document.body.getBoundingClientRect().height);
  const childId = params.get('childId');
  if (childId) parent.postMessage(`pymxPYMx${childId}xPYMxheightxPYMx${height}`, '*');
  parent.postMessage({ context: 'iframe.resize', src: location.href, height }, '*');
}

/**
 * Turns embedded mode on when the URL asks for it. `onVisible(visible)` is called when the
 * parent reports the widget scrolled out of (or back into) view, or the tab is hidden or shown.
 */
export function startEmbedding(onVisible) {
  if (!embedding.embedded) return;
  document.body.dataset.embed = '1';
  document.body.dataset.controls = embedding.controls;
  new ResizeObserver(reportHeight).observe(document.body);
  const update = () => onVisible(onScreen());
  window.addEventListener('message', (e) => {
    if (e.source !== parent || !e.data || typeof e.data !== 'object') return;
    if (e.data.genlab === 'pause' || e.data.genlab === 'resume') {
      parentSaysVisible = e.data.genlab === 'resume';
      update();
    }
  });
  document.addEventListener('visibilitychange', update);
}

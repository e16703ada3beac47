// <genlab-widget>: a GenLab lab embedded in any page (course notes, slides, Jupyter Book,
// Quarto). Load this file as a module from a GenLab site and write, for example,
//
//   <genlab-widget lab="interpolants" preset="checkerboard" controls="minimal" autoplay height="420"></genlab-widget>
//   <genlab-widget state="#halluc?v=1&data.name=diamond25&…"></genlab-widget>   (a share link's state)
//
// Attributes: lab (interpolants | hallucinations | qlae | data, or the short si / halluc),
// preset, state (a share link, or just its #… part; it wins over lab and preset), controls
// (full | minimal | none; default minimal), autoplay, height (px before the widget reports its
// own). Each widget is an iframe of the GenLab page, so several on one page are independent.
// It starts when scrolled near the view, pauses when off screen or on a hidden slide, and grows
// to the height its page reports.

const LABS = { interpolants: 'si', si: 'si', hallucinations: 'halluc', halluc: 'halluc', qlae: 'qlae', 'latent-quantization': 'qlae', data: 'data' };
const SITE = new URL('./', import.meta.url);

/** The iframe URL for a widget's attributes. */
export function widgetUrl({ lab, preset, state, controls, autoplay }) {
  const url = new URL('index.html', SITE);
  url.searchParams.set('embed', '1');
  url.searchParams.set('controls', ['full', 'minimal', 'none'].includes(controls) ? controls : 'minimal');
  if (autoplay) url.searchParams.set('autoplay', '1');
  if (state) {
    url.hash = state.slice(state.indexOf('#') + 1);
  } else {
    const name = LABS[lab] ?? 'si';
    url.hash = preset ? `${name}?preset=${encodeURIComponent(preset)}` : name;
  }
  return url.href;
}

/** Whether `el` sits in something hidden: a closed slide (reveal.js marks them), a hidden tab. */
function inHiddenAncestor(el) {
  for (let node = el; node && node !== document.documentElement; node = node.parentElement) {
    if (node.hidden || node.getAttribute('aria-hidden') === 'true') return true;
  }
  return false;
}

class GenLabWidget extends HTMLElement {
  connectedCallback() {
    if (this.frame) return;
    this.style.display = 'block';
    this.style.height = `${Number(this.getAttribute('height')) || 420}px`;
    const placeholder = document.createElement('p');
    placeholder.textContent = 'GenLab loads here when you scroll to it.';
    Object.assign(placeholder.style, { margin: '0', padding: '16px', font: '14px system-ui, sans-serif', opacity: '0.6' });
    this.replaceChildren(placeholder);
    this.onMessage = (e) => {
      if (!this.frame || e.source !== this.frame.contentWindow) return;
      if (e.data?.context === 'iframe.resize' && Number.isFinite(e.data.height)) {
        this.style.height = `${Math.max(80, Math.ceil(e.data.height))}px`;
        this.dataset.reportedHeight = String(e.data.height);
      }
    };
    window.addEventListener('message', this.onMessage);
    this.intersecting = false;
    this.observer = new IntersectionObserver(([entry]) => {
      this.intersecting = entry.isIntersecting;
      this.tell();
    }, { rootMargin: '200px' });
    this.observer.observe(this);
    // a slide deck shows and hides slides by attributes: follow them
    this.mutations = new MutationObserver(() => this.tell());
    this.mutations.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['hidden', 'aria-hidden', 'class'] });
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.onMessage);
    this.observer?.disconnect();
    this.mutations?.disconnect();
  }

  /** Makes the iframe (once, when first near the view and not on a hidden slide). */
  start() {
    const frame = document.createElement('iframe');
    frame.src = widgetUrl({
      lab: this.getAttribute('lab'), preset: this.getAttribute('preset'), state: this.getAttribute('state'),
      controls: this.getAttribute('controls'), autoplay: this.hasAttribute('autoplay'),
    });
    frame.title = this.getAttribute('title') || 'GenLab widget';
    frame.loading = 'lazy';
    // threads, when this page is cross-origin isolated too (docs/sharing.md#threads-what-a-page-needs)
    frame.setAttribute('allow', 'clipboard-write; cross-origin-isolated');
    Object.assign(frame.style, { width: '100%', height: '100%', border: '0', display: 'block' });
    // what was said before the page inside listened is lost: say it again once it has loaded
    frame.addEventListener('load', () => {
      this.visible = undefined;
      this.tell();
    });
    this.frame = frame;
    this.replaceChildren(frame);
  }

  /** Starts the widget when it first shows, then tells the page inside whether it is on screen
   *  (it pauses when not). The intersection entry can predate a slide deck hiding its slides, so
   *  the hidden check is made here, at the time of the call. */
  tell() {
    const visible = this.intersecting && !inHiddenAncestor(this);
    if (visible && !this.frame) this.start();
    if (!this.frame?.contentWindow) return;
    if (visible === this.visible) return;
    this.visible = visible;
    this.dataset.visible = String(visible);
    this.frame.contentWindow.postMessage({ genlab: visible ? 'resume' : 'pause' }, '*');
  }
}

if (!customElements.get('genlab-widget')) customElements.define('genlab-widget', GenLabWidget);

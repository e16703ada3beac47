// A minimal stand-in for reveal.js on the example deck: one <section> at a time, the others
// marked hidden and aria-hidden as reveal.js marks them; ← and → (or the buttons) flip slides.
const slides = [...document.querySelectorAll('.reveal .slides > section')];
let current = 0;

function show(index) {
  current = Math.max(0, Math.min(slides.length - 1, index));
  slides.forEach((slide, i) => {
    slide.hidden = i !== current;
    slide.setAttribute('aria-hidden', String(i !== current));
  });
}

document.getElementById('prev').addEventListener('click', () => show(current - 1));
document.getElementById('next').addEventListener('click', () => show(current + 1));
document.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowRight' || e.key === 'PageDown') show(current + 1);
  if (e.key === 'ArrowLeft' || e.key === 'PageUp') show(current - 1);
});
show(0);

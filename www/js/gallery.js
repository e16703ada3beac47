// The presets gallery: one card per preset, read from gallery/presets.json (made by
// `make gallery`); each card is the share link that opens the preset. Text only, never HTML.

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

async function main() {
  const response = await fetch('gallery/presets.json');
  if (!response.ok) throw new Error(`the preset list could not be loaded (HTTP ${response.status})`);
  const cards = await response.json();
  const labs = [...new Set(cards.map((c) => c.title))];
  document.getElementById('presets').replaceChildren(...labs.map((title) => el('section', { className: 'preset-lab' },
    el('h2', { textContent: title }),
    el('div', { className: 'preset-cards' }, ...cards.filter((c) => c.title === title).map((c) => el('a', { className: 'card live preset-card', href: `./${c.link}` },
      el('img', { src: c.image, alt: `${c.title}: ${c.preset}`, width: 240, height: 240, loading: 'lazy' }),
      el('h3', { textContent: c.preset }),
      el('p', { textContent: c.note.split(/(?<=\.)\s/)[0] }), // the first sentence of what it shows
      el('span', { className: 'badge', textContent: c.shipped ? 'opens trained' : (c.learned ? 'train it' : 'exact: no training') }),
    ))),
  )));
}

main().catch((err) => {
  const box = document.getElementById('message');
  box.hidden = false;
  box.textContent = `The gallery could not be shown: ${err.message}`;
});

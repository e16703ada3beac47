// A preset's note, from its file's `note` ({see, paper, try}): what you see when it opens,
// what the paper found, and a few things to try. Shown as text, never HTML.

const paragraph = (text) => Object.assign(document.createElement('p'), { textContent: text });

/** The note's parts as elements; none for a preset without a note. */
export function noteParts(note) {
  if (!note) return [];
  const parts = [note.see, note.paper].filter(Boolean).map(paragraph);
  if (note.try?.length) {
    const list = document.createElement('ul');
    list.append(...note.try.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
    parts.push(paragraph('Try:'), list);
  }
  return parts;
}

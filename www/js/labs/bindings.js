// A lab's form fields, each bound once to a place in its config (the model: TensorFlow
// Playground's state.ts, one declarative list): the same table reads the form into a config
// and fills the form from one. The link codec (state.js) encodes the config itself.
//
// A binding: { id, path, type, read?, show?, when?, enabled? }
//   path     dotted place in the config ('train.lr')
//   type     'number' (also whole numbers; the core checks the range), 'text', or 'optional'
//            (a number whose blank field leaves the key out: the core's default)
//   read     (text, old, view) → value, for a field that is not one of those types
//   show     (value, view) → text
//   when     (config) → whether the setting applies: when not, reading leaves the key out
//            and filling hides the field's label
//   enabled  (config) → whether the field can be edited

const get = (obj, path) => path.split('.').reduce((node, key) => node?.[key], obj);

function set(obj, path, value) {
  const keys = path.split('.');
  const node = keys.slice(0, -1).reduce((n, key) => n[key], obj);
  if (value === undefined) delete node[keys.at(-1)];
  else node[keys.at(-1)] = value;
}

const $ = (id) => document.getElementById(id);

/** The form's value of one binding, `old` being the config's value before. */
function readField(b, old, view) {
  const text = $(b.id).value;
  if (b.read) return b.read(text, old, view);
  if (b.type === 'text') return text;
  if (b.type === 'optional') return text.trim() ? Number(text.trim()) : undefined;
  return Number(text);
}

/** `config` (not changed) with every bound field's value from the form. */
export function readForm(bindings, config, view) {
  const c = structuredClone(config);
  for (const b of bindings) set(c, b.path, !b.when || b.when(c) ? readField(b, get(c, b.path), view) : undefined);
  return c;
}

/** Shows `config` in the bound fields. */
export function fillForm(bindings, config, view) {
  for (const b of bindings) {
    const input = $(b.id);
    const value = get(config, b.path);
    input.value = b.show ? b.show(value, view) : value === undefined ? '' : String(value);
    if (b.when) input.closest('label').hidden = !b.when(config);
    if (b.enabled) input.disabled = !b.enabled(config);
  }
}

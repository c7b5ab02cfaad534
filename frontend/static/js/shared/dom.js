// Building the page from script without HTML strings: text always goes in with textContent, so
// decrypted words can never become markup. Shared by the portfolio, modules and chat pages.

// An element with attributes (`text` sets textContent, `value` the value; null, undefined and
// false leave an attribute out) and children (nodes or strings).
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'value') node.value = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// A translated text with %(name)s placeholders, filled in.
export function fill(template, params) {
  return String(template ?? '').replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ''));
}

// A count in her language. `forms` is what the template's plural_forms() put in a data attribute:
// JSON with one text per plural category ({"one": "%(num)s reactie", "other": "%(num)s reacties"}).
export function plural(forms, n, params = {}) {
  let table = {};
  try {
    table = JSON.parse(forms ?? '{}');
  } catch {
    table = {};
  }
  const category = new Intl.PluralRules(document.documentElement.lang || undefined).select(n);
  return fill(table[category] ?? table.other ?? '', { num: n, ...params });
}

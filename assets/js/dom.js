// Building the page from data, never from HTML strings, so nothing a user or an AI wrote can
// run as markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function money(value) {
  return typeof value === 'number' ? value.toFixed(2) : '–';
}

export function when(stamp) {
  return stamp ? new Date(stamp).toLocaleString() : '–';
}

/// A form's fields as an object: empty fields left out, numbers as numbers.
export function formData(form) {
  const data = {};
  for (const [key, value] of new FormData(form)) {
    if (value === '') continue;
    const input = form.elements[key];
    data[key] = input?.type === 'number' ? Number(value) : value;
  }
  return data;
}

/// Replaces what `parent` shows; absent parts (null, false) are left out.
export function show(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

// One list: its items with prices and badges, check-off, and a form for a new item.

import { api } from './api.js';
import { h, money, formData, show } from './dom.js';
import { toast } from './toast.js';

function badges(item) {
  const out = [];
  if (item.target_price !== null && item.current_price !== null && item.current_price <= item.target_price) {
    out.push(h('span', { class: 'badge good' }, 'at target'));
  }
  if (item.previous_price !== null && item.current_price !== null && item.current_price < item.previous_price) {
    out.push(h('span', { class: 'badge good' }, 'price dropped'));
  }
  if (item.in_stock === false) out.push(h('span', { class: 'badge bad' }, 'out of stock'));
  if (item.priority === 'high') out.push(h('span', { class: 'badge' }, 'high priority'));
  return out;
}

export async function render(view, id) {
  const [{ list }, { items }] = await Promise.all([
    api(`/api/lists/${id}`),
    api(`/api/lists/${id}/items`),
  ]);
  const refresh = () => render(view, id);
  const row = (item) => h('li', { class: item.is_purchased ? 'item done' : 'item' },
    h('input', { type: 'checkbox', checked: item.is_purchased, 'aria-label': `Bought ${item.product_name}`,
      onchange: async (event) => {
        await api(`/api/items/${item.id}`, { method: 'PATCH', body: { is_purchased: event.target.checked } })
          .catch((error) => toast(error.message, 'bad'));
        refresh();
      } }),
    h('a', { href: `#/items/${item.id}`, class: 'grow' },
      h('span', { class: 'name' }, item.product_name),
      h('span', { class: 'muted small' },
        `now ${money(item.current_price)}${item.current_retailer ? ` at ${item.current_retailer}` : ''}`
        + ` · target ${money(item.target_price)} · lowest ${money(item.lowest_price)}`),
      h('span', {}, badges(item))),
  );
  const form = h('form', { class: 'row', id: 'new-item', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api(`/api/lists/${id}/items`, { method: 'POST', body: formData(event.target) });
      refresh();
    } catch (error) {
      toast(error.message, 'bad');
    }
  } },
    h('input', { name: 'product_name', placeholder: 'Add an item', required: true, maxlength: 200, 'aria-label': 'Item name' }),
    h('input', { name: 'target_price', type: 'number', min: 0, step: '0.01', placeholder: 'Target', 'aria-label': 'Target price' }),
    h('button', { type: 'submit' }, 'Add'));
  show(view, 
    h('p', {}, h('a', { href: '#/' }, '← Lists')),
    h('h1', {}, list.name),
    list.description ? h('p', { class: 'muted' }, list.description) : null,
    form,
    items.length === 0 ? h('p', { class: 'muted' }, 'No items yet.') : h('ul', { class: 'items' }, items.map(row)),
    h('p', {}, h('button', { class: 'quiet', onclick: async () => {
      if (!confirm(`Delete “${list.name}” and its ${items.length} items?`)) return;
      await api(`/api/lists/${id}`, { method: 'DELETE' }).catch((error) => toast(error.message, 'bad'));
      location.hash = '#/';
    } }, 'Delete list')),
  );
}

// The lists page: every list with its counts, and a form for a new one.

import { api } from './api.js';
import { h, formData, show } from './dom.js';
import { toast } from './toast.js';

export async function render(view) {
  const { lists } = await api('/api/lists');
  const form = h('form', { class: 'row', id: 'new-list', onsubmit: async (event) => {
    event.preventDefault();
    try {
      const { list } = await api('/api/lists', { method: 'POST', body: formData(event.target) });
      location.hash = `#/lists/${list.id}`;
    } catch (error) {
      toast(error.message, 'bad');
    }
  } },
    h('input', { name: 'name', placeholder: 'New list, e.g. Groceries', required: true, maxlength: 100, 'aria-label': 'List name' }),
    h('button', { type: 'submit' }, 'Add list'));
  show(view, 
    h('h1', {}, 'Shopping lists'),
    form,
    lists.length === 0
      ? h('p', { class: 'muted' }, 'No lists yet.')
      : h('ul', { class: 'cards' }, lists.map((list) => h('li', {},
        h('a', { href: `#/lists/${list.id}`, class: 'card' },
          h('strong', {}, list.name),
          h('span', { class: 'muted' }, `${list.unpurchased_count} to buy · ${list.item_count} items`),
          list.is_active ? null : h('span', { class: 'badge' }, 'archived'))))),
  );
}

// One list: its items with prices and badges, check-off, and a form for a new item.

import { api, upload } from './api.js';
import { startJob, finished } from './jobs.js';
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

/// Smart add: a photo or a description → a product identification job → pick a candidate.
function smartAdd(listId, refresh) {
  const results = h('div', { id: 'candidates' });
  const form = h('form', { class: 'stack', id: 'smart-add', onsubmit: async (event) => {
    event.preventDefault();
    const photo = event.target.elements.photo.files[0];
    const query = event.target.elements.query.value.trim();
    if (!photo && !query) return;
    const button = event.target.querySelector('button');
    button.disabled = true;
    results.replaceChildren(h('p', { class: 'muted' }, photo ? 'Sending the photo…' : 'Asking the AI…'));
    try {
      const input = {};
      if (photo) input.image_id = await upload(photo);
      if (query) input.query = query;
      const job = await startJob({ type: 'product_identification', input_data: input, related_list_id: Number(listId) });
      results.replaceChildren(h('p', { class: 'muted' }, 'Identifying…'));
      const detail = await finished(job.id);
      if (detail.job.status !== 'completed') {
        results.replaceChildren(h('p', { class: 'bad' }, detail.job.error_message ?? `The job was ${detail.job.status}.`));
        return;
      }
      const candidates = detail.output_data.results;
      results.replaceChildren(candidates.length === 0
        ? h('p', { class: 'muted' }, 'No product recognised; try another photo or words.')
        : h('ul', { class: 'cards' }, candidates.map((c) => h('li', { class: 'card' },
          h('strong', {}, c.product_name),
          h('span', { class: 'muted small' }, [c.brand, c.category, `${Math.round(c.confidence * 100)}% sure`].filter(Boolean).join(' · ')),
          h('button', { class: 'quiet', onclick: async () => {
            const body = { product_name: c.product_name, brand: c.brand, category: c.category, upc: c.upc,
              unit_of_measure: c.unit_of_measure, is_generic: c.is_generic, image: input.image_id };
            for (const key of Object.keys(body)) if (body[key] === null || body[key] === undefined) delete body[key];
            await api(`/api/lists/${listId}/items`, { method: 'POST', body }).catch((error) => toast(error.message, 'bad'));
            refresh();
          } }, 'Add to list')))));
    } catch (error) {
      results.replaceChildren(h('p', { class: 'bad' }, error.message));
    } finally {
      button.disabled = false;
    }
  } },
    h('label', {}, 'Photo ', h('input', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment' })),
    h('label', {}, 'or describe it ', h('input', { name: 'query', placeholder: 'e.g. oat milk barista 1l', maxlength: 300 })),
    h('button', { type: 'submit' }, 'Identify'));
  return h('details', { class: 'smart' }, h('summary', {}, 'Smart add: from a photo or a description'), form, results);
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
    smartAdd(id, refresh),
    items.length === 0 ? h('p', { class: 'muted' }, 'No items yet.') : h('ul', { class: 'items' }, items.map(row)),
    h('p', {}, h('button', { class: 'quiet', onclick: async () => {
      if (!confirm(`Delete “${list.name}” and its ${items.length} items?`)) return;
      await api(`/api/lists/${id}`, { method: 'DELETE' }).catch((error) => toast(error.message, 'bad'));
      location.hash = '#/';
    } }, 'Delete list')),
  );
}

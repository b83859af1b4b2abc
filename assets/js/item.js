// One item: its details and prices, offers per retailer, price history, and the AI jobs that
// work on it, with live progress and cancel.

import { api } from './api.js';
import { h, money, when, show } from './dom.js';
import { onJobs, activeFor, startJob, cancelJob } from './jobs.js';
import { toast } from './toast.js';

function chart(history) {
  const points = history.map((p) => p.price);
  if (points.length < 2) return null;
  const [width, height] = [300, 80];
  const low = Math.min(...points);
  const high = Math.max(...points);
  const span = high - low || 1;
  const path = points.map((price, n) => {
    const x = (n / (points.length - 1)) * width;
    const y = height - ((price - low) / span) * (height - 10) - 5;
    return `${n ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(' ');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Price history from ${money(points[0])} to ${money(points.at(-1))}`);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  line.setAttribute('d', path);
  svg.append(line);
  return svg;
}

export async function render(view, id) {
  const itemId = Number(id);
  const { item, offers, price_history: history } = await api(`/api/items/${id}`);
  const progress = h('div', { id: 'progress' });
  let wasActive = false;
  let stop = null;
  // Redrawn whenever the watched jobs change; once this page is gone it unsubscribes.
  const update = () => {
    if (!progress.isConnected) {
      stop?.();
      return;
    }
    const active = activeFor(itemId);
    progress.replaceChildren(...active.map((job) => h('div', { class: 'job' },
      h('span', {}, `${job.type_label}: ${job.status_message ?? job.status_label}`),
      h('progress', { max: 100, value: job.progress }),
      h('button', { class: 'quiet', onclick: () => cancelJob(job.id).catch((e) => toast(e.message, 'bad')) }, 'Cancel'))));
    if (wasActive && active.length === 0) render(view, id);
    wasActive = active.length > 0;
  };
  const run = (type) => async () => {
    try {
      await startJob({ type, related_item_id: itemId });
    } catch (error) {
      toast(error.message, 'bad');
    }
  };
  const field = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value ?? '–'));
  show(view, 
    h('p', {}, h('a', { href: `#/lists/${item.list_id}` }, '← List')),
    h('h1', {}, item.product_name),
    item.image ? h('img', { src: `/api/uploads/${item.image}`, alt: item.product_name, class: 'photo' }) : null,
    h('div', { class: 'row actions' },
      h('button', { onclick: run('price_search'), id: 'search-prices' }, 'Search prices'),
      h('button', { onclick: run('smart_fill') }, 'Smart fill'),
      h('button', { onclick: run('price_refresh') }, 'Refresh price')),
    progress,
    h('h2', {}, 'Prices'),
    h('dl', { class: 'grid', id: 'prices' },
      field('Current', `${money(item.current_price)}${item.current_retailer ? ` at ${item.current_retailer}` : ''}`),
      field('Previous', money(item.previous_price)),
      field('Lowest', money(item.lowest_price)),
      field('Highest', money(item.highest_price)),
      field('Target', money(item.target_price)),
      field('Checked', when(item.last_checked_at))),
    chart(history),
    h('h2', {}, 'Offers'),
    offers.length === 0 ? h('p', { class: 'muted' }, 'No offers yet: search prices.') : h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Retailer'), h('th', {}, 'Price'), h('th', {}, 'Stock'))),
      h('tbody', {}, offers.map((offer) => h('tr', {},
        h('td', {}, offer.url ? h('a', { href: offer.url, rel: 'noopener noreferrer', target: '_blank' }, offer.retailer) : offer.retailer),
        h('td', {}, money(offer.price)),
        h('td', {}, offer.in_stock === false ? 'out of stock' : offer.in_stock ? 'in stock' : '–'))))),
    h('h2', {}, 'Details'),
    h('dl', { class: 'grid' },
      field('Brand', item.brand), field('Category', item.category), field('SKU', item.sku),
      field('UPC', item.upc), field('Unit', item.unit_of_measure), field('Description', item.description)),
  );
  stop = onJobs(update);
}

// The app shell: routes the location's hash to a view and starts watching jobs.

import { watch } from './jobs.js';
import { render as lists } from './lists.js';
import { render as list } from './list.js';
import { render as item } from './item.js';
import { render as settings } from './settings.js';
import { render as activity } from './activity.js';
import { h, show } from './dom.js';

const routes = [
  [/^#?\/?$/, lists],
  [/^#\/lists\/(\d+)$/, list],
  [/^#\/items\/(\d+)$/, item],
  [/^#\/settings$/, settings],
  [/^#\/activity$/, activity],
];

async function route() {
  const view = document.getElementById('view');
  const hash = location.hash || '#/';
  const match = routes.map(([pattern, render]) => [hash.match(pattern), render]).find(([m]) => m);
  try {
    if (!match) throw new Error('There is no such page.');
    const [found, render] = match;
    await render(view, ...found.slice(1));
  } catch (error) {
    show(view, h('h1', {}, 'Something went wrong'), h('p', { class: 'bad' }, error.message),
      h('p', {}, h('a', { href: '#/' }, 'Back to the lists')));
  }
}

window.addEventListener('hashchange', route);
route();
watch();

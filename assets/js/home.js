// The start page: the server's health and a few figures from the API.

async function json(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body?.error?.message ?? body?.message ?? `HTTP ${response.status}`);
  }
  return body;
}

function show(id, text) {
  document.getElementById(id).textContent = text;
}

async function main() {
  const status = document.getElementById('status');
  try {
    const health = await json('/healthz');
    status.textContent = `cartwise ${health.version} is running and its database is healthy.`;
    status.classList.add('ok');
  } catch (error) {
    status.textContent = `The server has a problem: ${error.message}`;
    status.classList.add('bad');
    return;
  }
  const [lists, active, providers] = await Promise.allSettled([
    json('/api/lists'),
    json('/api/ai-jobs/active'),
    json('/api/ai-providers'),
  ]);
  show('lists', lists.status === 'fulfilled' ? String(lists.value.lists.length) : '–');
  show('jobs', active.status === 'fulfilled' ? String(active.value.count) : '–');
  if (providers.status === 'fulfilled') {
    const used = providers.value.providers.find((p) => p.in_use);
    show('provider', used ? `${used.name} (${used.model})` : 'none yet: add one through /api/ai-providers');
  } else {
    show('provider', '–');
  }
}

main();

// Settings: AI providers (add, test, make primary, remove), price search and the daily refresh.

import { api } from './api.js';
import { h, formData, show } from './dom.js';
import { toast } from './toast.js';

export async function render(view) {
  const [{ providers }, settings] = await Promise.all([api('/api/ai-providers'), api('/api/settings')]);
  const refresh = () => render(view);
  const act = (work) => async () => {
    try {
      await work();
    } catch (error) {
      toast(error.message, 'bad');
    }
    refresh();
  };
  const provider = (p) => h('li', { class: 'card' },
    h('strong', {}, p.name),
    h('span', { class: 'muted' }, `${p.kind} · ${p.model}${p.api_key_masked ? ` · key ${p.api_key_masked}` : ''}`),
    p.in_use ? h('span', { class: 'badge good' }, 'in use') : null,
    p.last_test_message ? h('span', { class: p.last_test_ok ? 'small' : 'small bad' }, p.last_test_message) : null,
    h('div', { class: 'row' },
      h('button', { class: 'quiet', onclick: act(async () => {
        const result = await api(`/api/ai-providers/${p.id}/test`, { method: 'POST' });
        toast(result.message, result.ok ? 'good' : 'bad');
      }) }, 'Test'),
      p.source === 'settings' && !p.is_primary
        ? h('button', { class: 'quiet', onclick: act(() => api(`/api/ai-providers/${p.id}`, { method: 'PATCH', body: { is_primary: true } })) }, 'Make primary')
        : null,
      p.source === 'settings'
        ? h('button', { class: 'quiet', onclick: act(() => api(`/api/ai-providers/${p.id}`, { method: 'DELETE' })) }, 'Remove')
        : null));
  const add = h('form', { class: 'stack', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api('/api/ai-providers', { method: 'POST', body: formData(event.target) });
      refresh();
    } catch (error) {
      toast(error.message, 'bad');
    }
  } },
    h('label', {}, 'Kind ', h('select', { name: 'kind' },
      ['openai', 'anthropic', 'gemini', 'ollama'].map((k) => h('option', { value: k }, k)))),
    h('label', {}, 'Model ', h('input', { name: 'model', required: true, placeholder: 'gpt-4o-mini' })),
    h('label', {}, 'Base URL ', h('input', { name: 'base_url', placeholder: 'the service\'s own (optional)' })),
    h('label', {}, 'API key ', h('input', { name: 'api_key', type: 'password', autocomplete: 'off', placeholder: 'not needed for local servers' })),
    h('button', { type: 'submit' }, 'Add provider'));
  const serp = settings.serpapi;
  const search = h('form', { class: 'row', onsubmit: async (event) => {
    event.preventDefault();
    const data = formData(event.target);
    if (!data.serpapi_api_key) return;
    await api('/api/settings', { method: 'PUT', body: data }).catch((error) => toast(error.message, 'bad'));
    refresh();
  } },
    h('input', { name: 'serpapi_api_key', type: 'password', autocomplete: 'off', placeholder: serp.has_api_key ? `key ${serp.api_key_masked}` : 'SerpApi key', 'aria-label': 'SerpApi key' }),
    h('button', { type: 'submit' }, 'Save'));
  const daily = settings.daily_refresh;
  const schedule = h('form', { class: 'row', onsubmit: async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { daily_refresh: { enabled: form.elements.enabled.checked, time: form.elements.time.value } };
    await api('/api/settings', { method: 'PUT', body }).catch((error) => toast(error.message, 'bad'));
    refresh();
  } },
    h('label', {}, h('input', { type: 'checkbox', name: 'enabled', checked: daily.enabled }), ' Refresh every open item daily at '),
    h('input', { type: 'time', name: 'time', value: daily.time, 'aria-label': 'Time' }),
    h('button', { type: 'submit' }, 'Save'));
  show(view, 
    h('h1', {}, 'Settings'),
    h('h2', {}, 'AI providers'),
    providers.length ? h('ul', { class: 'cards' }, providers.map(provider)) : h('p', { class: 'muted' }, 'No AI provider yet.'),
    add,
    h('h2', {}, 'Price search (SerpApi)'),
    h('p', { class: 'muted' }, serp.has_api_key ? `A key is set (${serp.source}).` : 'No key: price search is off.'),
    search,
    h('h2', {}, 'Daily price refresh'),
    schedule,
    daily.next_run_at ? h('p', { class: 'muted small' }, `Next run: ${new Date(daily.next_run_at).toLocaleString()}`) : null,
  );
}

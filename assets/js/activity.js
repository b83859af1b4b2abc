// Activity: job figures and the recent jobs (with cancel), then the AI request log and its cost.

import { api } from './api.js';
import { h, money, when, show } from './dom.js';
import { cancelJob } from './jobs.js';
import { toast } from './toast.js';

export async function render(view) {
  const [stats, { jobs }, logStats, { logs }] = await Promise.all([
    api('/api/ai-jobs/stats'),
    api('/api/ai-jobs?per_page=20'),
    api('/api/ai-logs/stats'),
    api('/api/ai-logs?per_page=20'),
  ]);
  const figure = (label, value) => h('div', { class: 'figure' }, h('strong', {}, value ?? '–'), h('span', {}, label));
  show(view, 
    h('h1', {}, 'Activity'),
    h('h2', {}, 'Jobs, last 30 days'),
    h('div', { class: 'figures' },
      figure('jobs', stats.total), figure('completed', stats.completed), figure('failed', stats.failed),
      figure('active', stats.active), figure('success', stats.success_rate === null ? null : `${stats.success_rate}%`)),
    h('table', { id: 'jobs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Status'), h('th', {}, 'When'), h('th', {}))),
      h('tbody', {}, jobs.map((job) => h('tr', {},
        h('td', {}, `${job.type_label}${job.input_summary ? `: ${job.input_summary}` : ''}`),
        h('td', {}, job.error_message ? `${job.status_label}: ${job.error_message}` : `${job.status_label} ${job.can_cancel ? `${job.progress}%` : ''}`),
        h('td', {}, when(job.created_at)),
        h('td', {}, job.can_cancel ? h('button', { class: 'quiet', onclick: async () => {
          await cancelJob(job.id).catch((error) => toast(error.message, 'bad'));
          render(view);
        } }, 'Cancel') : null))))),
    h('h2', {}, 'AI requests, last 30 days'),
    h('div', { class: 'figures' },
      figure('requests', logStats.total), figure('failed', logStats.failed),
      figure('tokens in', logStats.tokens_input), figure('tokens out', logStats.tokens_output),
      figure('cost, $', logStats.cost_usd === null ? null : money(logStats.cost_usd)),
      figure('p95 ms', logStats.p95_duration_ms)),
    h('table', { id: 'logs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Request'), h('th', {}, 'Status'), h('th', {}, 'Tokens'), h('th', {}, 'ms'))),
      h('tbody', {}, logs.map((log) => h('tr', {},
        h('td', {}, `${log.provider} ${log.request_type}${log.model ? ` (${log.model})` : ''}`),
        h('td', {}, log.error_message ? `${log.status}: ${log.error_message}` : log.status),
        h('td', {}, log.tokens_input === null ? '–' : `${log.tokens_input} / ${log.tokens_output}${log.tokens_estimated ? ' (est.)' : ''}`),
        h('td', {}, log.duration_ms))))),
  );
}

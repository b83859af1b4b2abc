// Watching background jobs: polls /api/ai-jobs/active every 3 s while anything is active (and
// not at all otherwise), tells subscribers, and shows a toast when a job starts and ends.

import { api } from './api.js';
import { toast } from './toast.js';

const seen = new Map();
const listeners = new Set();
let etag = null;
let timer = null;
let jobs = [];

export function onJobs(listener) {
  listeners.add(listener);
  listener(jobs);
  return () => listeners.delete(listener);
}

export function activeFor(itemId) {
  return jobs.filter((j) => j.related_item_id === itemId && j.can_cancel);
}

function announce(job) {
  const before = seen.get(job.id);
  if (before === job.status) return;
  seen.set(job.id, job.status);
  const name = `${job.type_label}${job.input_summary ? ` “${job.input_summary}”` : ''}`;
  if (before === undefined && job.can_cancel) toast(`${name} started`);
  if (before === undefined && !job.can_cancel) return;
  if (job.status === 'completed') toast(`${name} completed`, 'good');
  if (job.status === 'failed') toast(`${name} failed: ${job.error_message ?? ''}`, 'bad');
  if (job.status === 'cancelled') toast(`${name} cancelled`);
}

async function poll() {
  timer = null;
  try {
    const response = await fetch('/api/ai-jobs/active', {
      headers: etag ? { 'if-none-match': etag } : {},
    });
    if (response.status === 200) {
      etag = response.headers.get('etag');
      const body = await response.json();
      jobs = body.jobs;
      jobs.forEach(announce);
      listeners.forEach((listener) => listener(jobs));
    }
  } catch {
    // The next poll tries again.
  }
  if (jobs.some((j) => j.can_cancel)) timer = setTimeout(poll, 3000);
}

/// Starts watching at once (after queueing a job, or on page load).
export function watch() {
  if (timer) clearTimeout(timer);
  poll();
}

export async function startJob(body) {
  const { job } = await api('/api/ai-jobs', { method: 'POST', body });
  seen.delete(job.id);
  watch();
  return job;
}

export async function cancelJob(id) {
  await api(`/api/ai-jobs/${id}/cancel`, { method: 'POST' });
  watch();
}

/// Resolves with the job's detail once it has ended.
export function finished(id) {
  return new Promise((resolve) => {
    let stop = null;
    let done = false;
    const check = async (current) => {
      const job = current.find((j) => j.id === id);
      if (done || !job || job.can_cancel) return;
      done = true;
      stop?.();
      resolve(await api(`/api/ai-jobs/${id}`));
    };
    stop = onJobs(check);
  });
}

// The one way the UI talks to the server: JSON in, JSON out, and errors as plain messages.

export class ApiError extends Error {}

export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const options = { method, headers: { accept: 'application/json', ...headers } };
  if (body !== undefined) {
    options.headers['content-type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError('The server cannot be reached. Is cartwise running?');
  }
  if (response.status === 204 || response.status === 304) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(data?.error?.message ?? `The server answered ${response.status}.`);
  }
  return data;
}

/// Sends a photo as the raw body; returns its image_id.
export async function upload(file) {
  let response;
  try {
    response = await fetch('/api/uploads', {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    });
  } catch {
    throw new ApiError('The photo could not be sent. Is cartwise running?');
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(data?.error?.message ?? `The server answered ${response.status}.`);
  return data.image_id;
}

// The daemon's REST API as the dashboard uses it: the token (kept for this browser session only) goes
// as a bearer token on every request, live streams included.
const KEY = 'minix-analysis-token';

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t) { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || `http_${status}`;
    this.field = error?.field || null;
  }
}

function headers(extra = {}) {
  const t = token();
  return t ? { Authorization: `Bearer ${t}`, ...extra } : extra;
}

async function request(path, { method = 'GET', body, etag } = {}) {
  const h = headers(body !== undefined ? { 'Content-Type': 'application/json' } : {});
  if (etag) h['If-None-Match'] = etag;
  const resp = await fetch(path, { method, headers: h, body: body !== undefined ? JSON.stringify(body) : undefined });
  if (resp.status === 304) return { resp, notModified: true };
  if (!resp.ok) {
    let error = null;
    try { error = (await resp.json()).error; } catch { /* not JSON */ }
    throw new ApiError(resp.status, error);
  }
  return { resp };
}

export async function get(path) { return (await request(path)).resp.json(); }
export async function send(method, path, body) { return (await request(path, { method, body })).resp.json(); }
export async function text(path) { return (await request(path)).resp.text(); }
export async function blob(path) { return (await request(path)).resp.blob(); }

// GET with If-None-Match: null while nothing changed since the last answer's ETag.
export async function getIfChanged(path, state) {
  const r = await request(path, { etag: state.etag });
  if (r.notModified) return null;
  state.etag = r.resp.headers.get('ETag');
  return r.resp.json();
}

// A server-sent event stream read with fetch, so that it carries the bearer token (EventSource
// cannot send headers). onEvent(name, data) for each event, onOpen() once the daemon has answered
// (it follows the run from then on); done resolves when the stream ends and rejects when it fails.
// close() stops it.
export function stream(path, onEvent, onOpen = () => {}) {
  const abort = new AbortController();
  const done = (async () => {
    const resp = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal: abort.signal });
    if (!resp.ok) {
      let error = null;
      try { error = (await resp.json()).error; } catch { /* not JSON */ }
      throw new ApiError(resp.status, error);
    }
    onOpen();
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buf += value;
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let name = 'message';
        const data = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) onEvent(name, JSON.parse(data.join('\n')));
      }
    }
  })();
  return { done, close: () => abort.abort() };
}

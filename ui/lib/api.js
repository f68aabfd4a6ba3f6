// api.js - the REST API as the dashboard uses it.
//
// The key lives in sessionStorage only (gone when the tab closes) and travels
// in the Authorization header, never in a URL.  That is also why the event
// streams are read with fetch() rather than EventSource, which cannot send a
// header.

const KEY = 'innominatus.key';

export function getKey() {
	try { return sessionStorage.getItem(KEY); } catch { return null; }
}

export function setKey(k) {
	sessionStorage.setItem(KEY, k);
}

export function clearKey() {
	try { sessionStorage.removeItem(KEY); } catch { /* storage disabled */ }
}

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

function headers(extra) {
	const hd = {Accept: 'application/json', ...extra};
	const k = getKey();
	if (k) hd.Authorization = 'Bearer ' + k;
	return hd;
}

// Reads an error reply ({"error":{"code","message"}}) into an ApiError.
async function failure(res) {
	let code = 'http_' + res.status, msg = `${res.status} ${res.statusText}`;
	try {
		const j = await res.json();
		if (j && j.error) { code = j.error.code || code; msg = j.error.message || msg; }
	} catch { /* not JSON */ }
	if (res.status === 401) window.dispatchEvent(new CustomEvent('inn:unauthorized', {detail: msg}));
	return new ApiError(res.status, code, msg);
}

// api('/api/workflows', {method: 'POST', body: {...}, query: {page: 2}})
// resolves to the parsed JSON (null for an empty body) or throws ApiError.
export async function api(path, opts = {}) {
	const init = {method: opts.method || 'GET', headers: headers(), signal: opts.signal,
		cache: 'no-store', credentials: 'omit'};
	if (opts.body !== undefined) {
		init.body = JSON.stringify(opts.body);
		init.headers['Content-Type'] = 'application/json';
	}
	let res;
	try {
		res = await fetch(path + query(opts.query), init);
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError(0, 'unreachable', 'The server cannot be reached: ' + e.message);
	}
	if (!res.ok) throw await failure(res);
	const text = await res.text();
	return text ? JSON.parse(text) : null;
}

export function query(q) {
	if (!q) return '';
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
	const s = p.toString();
	return s ? '?' + s : '';
}

// Follows a Server-Sent Events stream: onEvent(type, data, id) for each event
// (data parsed as JSON when it is JSON).  Reconnects after a dropped
// connection, resuming after the last id seen (Last-Event-ID), until
// signal aborts or onEvent returns the string 'stop'.  onState(s) hears
// 'open', 'retrying' and 'closed'.  path may be a function of the last id
// seen (null at first), called at each (re)connection: for the streams
// whose cursor is a query parameter (after=) rather than Last-Event-ID.
// A hidden tab holds no stream: a browser opens at most 6 HTTP/1.1
// connections to a server, and each page of the dashboard follows one or
// two streams, so tabs left open in the background would keep the next
// tab from loading.  A stream is closed once its tab has been hidden for
// HIDDEN_GRACE_MS and opened again (resuming after the last id; the pages
// refetch on 'open') when the tab is shown.
const HIDDEN_GRACE_MS = 3000;

function hidden() {
	return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}

// Resolves when the tab is shown, or signal aborts.
function whenShown(signal) {
	return new Promise(resolve => {
		if (!hidden()) { resolve(); return; }
		const done = () => {
			if (hidden() && !(signal && signal.aborted)) return;
			document.removeEventListener('visibilitychange', done);
			if (signal) signal.removeEventListener('abort', done);
			resolve();
		};
		document.addEventListener('visibilitychange', done);
		if (signal) signal.addEventListener('abort', done);
	});
}

// An AbortController for one connection: aborted with signal, or once the
// tab has stayed hidden HIDDEN_GRACE_MS (then .paused is true).
function connection(signal) {
	const c = new AbortController();
	let timer = null;
	const onAbort = () => c.abort();
	const onVisibility = () => {
		clearTimeout(timer);
		if (hidden()) timer = setTimeout(() => { c.paused = true; c.abort(); }, HIDDEN_GRACE_MS);
	};
	if (signal) signal.addEventListener('abort', onAbort);
	document.addEventListener('visibilitychange', onVisibility);
	onVisibility();
	c.release = () => {
		clearTimeout(timer);
		if (signal) signal.removeEventListener('abort', onAbort);
		document.removeEventListener('visibilitychange', onVisibility);
	};
	return c;
}

export async function sse(path, {onEvent, onState = () => {}, signal, lastId = null, reconnect = true}) {
	let delay = 500;
	for (;;) {
		if (signal && signal.aborted) return;
		if (hidden()) {
			onState('paused');
			await whenShown(signal);
			if (signal && signal.aborted) return;
		}
		const hd = headers({Accept: 'text/event-stream'});
		if (lastId !== null) hd['Last-Event-ID'] = String(lastId);
		let stop = false;
		const conn = connection(signal);
		try {
			const url = typeof path === 'function' ? path(lastId) : path;
			const res = await fetch(url, {headers: hd, signal: conn.signal, cache: 'no-store', credentials: 'omit'});
			if (!res.ok) throw await failure(res);
			onState('open');
			delay = 500;
			const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
			let buf = '', ev = {type: 'message', data: [], id: null};
			for (;;) {
				const {value, done} = await reader.read();
				if (done) break;
				buf += value;
				let nl;
				while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
					const line = buf.slice(0, nl);
					buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
					if (line === '') {
						if (ev.data.length) {
							if (ev.id !== null) lastId = ev.id;
							const raw = ev.data.join('\n');
							let data = raw;
							try { data = JSON.parse(raw); } catch { /* plain text */ }
							if (onEvent(ev.type, data, ev.id) === 'stop') stop = true;
						}
						ev = {type: 'message', data: [], id: null};
						if (stop) break;
						continue;
					}
					if (line.startsWith(':')) continue;
					const c = line.indexOf(':');
					const field = c < 0 ? line : line.slice(0, c);
					let val = c < 0 ? '' : line.slice(c + 1);
					if (val.startsWith(' ')) val = val.slice(1);
					if (field === 'event') ev.type = val;
					else if (field === 'data') ev.data.push(val);
					else if (field === 'id') ev.id = val;
				}
				if (stop) { reader.cancel().catch(() => {}); break; }
			}
		} catch (e) {
			if (conn.paused && !(signal && signal.aborted)) continue;   // hidden: see above
			if (e.name === 'AbortError') return;
			if (e instanceof ApiError && e.status >= 400 && e.status < 500) { onState('closed', e); return; }
		} finally {
			conn.release();
		}
		if (stop || !reconnect || (signal && signal.aborted)) { onState('closed'); return; }
		onState('retrying');
		await new Promise(r => setTimeout(r, delay));
		delay = Math.min(delay * 2, 10000);
	}
}

// The events of every execution the key may see (execution.started,
// step.succeeded, execution.finished, ...; data {execution, status, ...}),
// from now on: what the executions pages follow to stay live.
export function followEvents({onEvent, onState, signal}) {
	return sse('/api/events/stream', {onEvent, onState, signal});
}

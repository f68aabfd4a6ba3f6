// dom.js - building the page from data without ever parsing data as HTML.
//
// h('button', {class: 'primary', onclick: f, 'aria-label': 'Cancel'}, 'Cancel')
// makes an element; attributes starting with "on" become listeners, false and
// null attributes are left out, true ones are set empty.  Children are nodes,
// strings (always text nodes), numbers, arrays of those, or null (skipped).

export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === false || v === null || v === undefined) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (k === 'value' && 'value' in el) el.value = v;
		else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : textNode(String(c)));
	}
	return el;
}

// Bidirectional controls (U+202A-202E, U+2066-2069, U+200E/200F, U+061C)
// in data would reorder the text around them (a file name "x<RLO>txt.exe"
// reads "xexe.txt"): every string becomes text through textNode(), which
// shows each as a marked ⟨U+202E⟩.  Our own strings hold none.
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
const BIDI_ALL = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

export function textNode(s) {
	if (!BIDI.test(s)) return document.createTextNode(s);
	const frag = document.createDocumentFragment();
	let at = 0;
	for (const m of s.matchAll(BIDI_ALL)) {
		if (m.index > at) frag.append(s.slice(at, m.index));
		const code = 'U+' + m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
		const mark = document.createElement('span');
		mark.className = 'bidi';
		mark.title = 'hidden bidirectional control character';
		mark.textContent = '⟨' + code + '⟩';
		frag.append(mark);
		at = m.index + m[0].length;
	}
	if (at < s.length) frag.append(s.slice(at));
	return frag;
}

// el.textContent = s, for a string that may hold data.
export function setText(el, s) {
	el.replaceChildren(textNode(String(s)));
	return el;
}

// Empties el and fills it with children.
export function fill(el, ...children) {
	el.replaceChildren();
	return append(el, children);
}

// The status words of executions, steps, applications and resources, each
// shown with a word as well as a colour (never colour alone).
const STATUS_CLASS = {
	succeeded: 'ok', ready: 'ok', active: 'ok', deployed: 'ok', loaded: 'ok',
	failed: 'bad', error: 'bad', refused: 'bad', crashed: 'bad', timed_out: 'bad',
	running: 'run', pending: 'wait', queued: 'wait', provisioning: 'run', deleting: 'run',
	updating: 'run', cancelling: 'run', cancelled: 'off', skipped: 'off', deleted: 'off',
};

export function badge(status) {
	const s = status || 'unknown';
	return h('span', {class: 'badge ' + (STATUS_CLASS[s] || 'off'), 'data-status': s}, s.replace(/_/g, ' '));
}

export function fmtTime(ms) {
	if (!ms) return '–';
	const d = new Date(ms);
	const pad = n => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
		`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function timeEl(ms) {
	if (!ms) return h('span', {class: 'muted'}, '–');
	return h('time', {datetime: new Date(ms).toISOString(), title: new Date(ms).toISOString()}, fmtTime(ms));
}

export function fmtDuration(ms) {
	if (ms === null || ms === undefined || ms < 0) return '–';
	if (ms < 1000) return ms + ' ms';
	const s = ms / 1000;
	if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
	const m = Math.floor(s / 60), r = Math.round(s % 60);
	if (m < 60) return `${m} min ${r} s`;
	return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// A value of any JSON type as text for a table cell or a <pre>.
export function show(v) {
	if (v === null || v === undefined) return '–';
	if (typeof v === 'string') return v;
	return JSON.stringify(v, null, typeof v === 'object' ? 2 : 0);
}

// A definition list of an object's members: [[term, value node or text]...].
export function dl(pairs) {
	return h('dl', {class: 'kv'}, pairs.filter(p => p).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// A table: cols = [{label, cell(row) -> node|string, class?}], rows = array.
// opts.rowAttrs(row) gives each <tr> its attributes (e.g. a data-id that a
// live page finds the row by).
export function table(caption, cols, rows, empty, opts = {}) {
	if (!rows.length) return h('p', {class: 'empty'}, empty || 'Nothing here yet.');
	return h('div', {class: 'table-wrap'},
		h('table', {},
			h('caption', {class: 'sr-only'}, caption),
			h('thead', {}, h('tr', {}, cols.map(c => h('th', {scope: 'col', class: c.class}, c.label)))),
			h('tbody', {}, rows.map(r => tableRow(cols, r, opts.rowAttrs ? opts.rowAttrs(r) : {})))));
}

// One <tr> of table()'s, for a page that replaces rows in place.
export function tableRow(cols, row, attrs = {}) {
	return h('tr', attrs, cols.map(c => h('td', {class: c.class, 'data-label': c.label}, c.cell(row))));
}

// A page heading; the router moves focus to it after navigation.
export function title(text, ...extra) {
	return h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, text), extra);
}

// An error shown in the page (role=alert so screen readers hear it).
export function errorBox(err) {
	return h('div', {class: 'error', role: 'alert'}, err && err.message ? err.message : String(err));
}

// The "live" indicator of a page that follows an event stream: says in
// words whether updates arrive, and when the stream is down that it is
// retrying.  set(state) takes sse()'s onState words ('open', 'retrying',
// 'closed') plus 'connecting'; data-state is what the stylesheet colours.
const LIVE_TEXT = {
	connecting: 'Connecting…', open: 'Live', retrying: 'Connection lost, retrying…', closed: 'Not live: reload the page',
	paused: 'Paused while the tab is hidden',
};

export function liveIndicator() {
	const text = h('span', {class: 'live-text'});
	const el = h('span', {class: 'live', role: 'status'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), text);
	el.set = state => {
		el.dataset.state = state;
		setText(text, LIVE_TEXT[state] || state);
		el.title = state === 'open' ? 'Updates arrive as they happen' : '';
	};
	el.set('connecting');
	return el;
}

// Calls fn once wait ms after the last of a burst of calls (a burst of
// events makes one refetch), and at the latest maxWait ms after the
// burst's first call (a stream that never pauses still gets its refetch).
export function debounce(fn, wait, maxWait = wait * 5) {
	let timer = null, first = 0;
	const fire = () => { clearTimeout(timer); timer = null; first = 0; fn(); };
	const d = () => {
		const now = Date.now();
		if (!first) first = now;
		clearTimeout(timer);
		timer = setTimeout(fire, Math.max(0, Math.min(wait, first + maxWait - now)));
	};
	d.cancel = () => { clearTimeout(timer); timer = null; first = 0; };
	return d;
}

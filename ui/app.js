// app.js - the dashboard's frame: signing in, the navigation, and a hash
// router that hands each page its part of the address.
//
// Addresses are fragments, so nothing after '#' ever reaches the server:
//   #/executions?status=failed   a page, with its filters
//   #/executions/42              one execution
//   #key=KEY                     signs in with KEY (stored in sessionStorage,
//                                then wiped from the address bar and history)
//   #execution=42                opens execution 42 (with key=, after signing in)
//
// A page module default-exports {render(ctx)}: ctx.root is the element to
// fill, ctx.params the address' path segments after the page's name,
// ctx.query its URLSearchParams, ctx.me the signed-in key ({name, role,
// team}), ctx.signal aborts when the user leaves the page (streams and
// timers stop with it), ctx.go(hash) navigates, ctx.setQuery(obj) rewrites
// the query without a new history entry.

import {api, getKey, setKey, clearKey, ApiError} from './lib/api.js';
import {h, fill, errorBox, setText} from './lib/dom.js';
import executions from './pages/executions.js';
import execution from './pages/execution.js';
import providers from './pages/providers.js';
import goldenpaths from './pages/goldenpaths.js';
import apps from './pages/apps.js';
import plugins from './pages/plugins.js';
import admin from './pages/admin.js';

const PAGES = {
	// #/executions/ID is another module's page (one execution)
	executions: {label: 'Executions', page: executions, detail: execution},
	'golden-paths': {label: 'Golden paths', page: goldenpaths},
	apps: {label: 'Applications', page: apps},
	resources: {label: null, page: apps},
	providers: {label: 'Providers', page: providers},
	plugins: {label: 'Plugins', page: plugins},
	admin: {label: 'Admin', page: admin, admin: true},
};
const HOME = '#/executions';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const banner = document.getElementById('banner');
let me = null;
let leave = null;       // AbortController of the page shown
let checking = null;    // the check of the key in flight (signIn)

// ---- the fragment: #key=..., #execution=... --------------------------------

// A key in the query (/?key=K) has reached the server (and its logs): it
// is wiped from the address at once and not used; the user is told.
const QUERY_KEY = 'A key in the address\' query (?key=) is sent to the server, so it was not used and has been removed ' +
	'from the address. Put it after # instead (#key=…), which stays in the browser.';
let queryKey = false;

function takeQueryKey() {
	const q = new URLSearchParams(location.search);
	if (!q.has('key')) return;
	q.delete('key');
	const s = q.toString();
	history.replaceState(null, '', location.pathname + (s ? '?' + s : '') + location.hash);
	queryKey = true;
}

// A key put after a page's address (#/x?key=K, #/executions&key=K) is
// taken as #key=K would be, then wiped.
function takePageKey(raw) {
	const q = raw.indexOf('?');
	let path = q < 0 ? raw : raw.slice(0, q);
	const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
	const amp = path.indexOf('&');
	const extra = new URLSearchParams(amp < 0 ? '' : path.slice(amp + 1));
	const key = query.has('key') ? query.get('key') : extra.get('key');
	if (key === null) return;
	if (key !== '') setKey(key);
	query.delete('key');
	if (amp >= 0) path = path.slice(0, amp);
	const s = query.toString();
	history.replaceState(null, '', location.pathname + location.search + '#' + path + (s ? '?' + s : ''));
}

function takeFragment() {
	takeQueryKey();
	const raw = location.hash.slice(1);
	if (raw.startsWith('/')) { takePageKey(raw); return; }
	if (raw === '') return;
	const p = new URLSearchParams(raw);
	const key = p.get('key'), ex = p.get('execution');
	if (key !== null && key !== '') setKey(key);
	const to = ex && /^\d+$/.test(ex) ? '#/executions/' + ex : HOME;
	// replaceState: the key leaves the address bar and the history entry
	history.replaceState(null, '', location.pathname + location.search + to);
}

// ---- signing in ---------------------------------------------------------------

// message: why the sign-in is shown (a refused key: an error; kind
// 'notice': news, such as having signed out).
function showLogin(message, kind = 'error') {
	me = null;
	nav.hidden = true;
	who.hidden = true;
	if (leave) leave.abort();
	const input = h('input', {id: 'key', name: 'key', type: 'password', autocomplete: 'off',
		spellcheck: 'false', required: true, 'aria-describedby': 'key-help'});
	const msg = h('p', {id: 'login-error', class: kind, role: 'alert', hidden: !message}, message || '');
	const form = h('form', {class: 'login card', 'aria-labelledby': 'login-title', onsubmit: async e => {
		e.preventDefault();
		const k = input.value.trim();
		if (!k) return;
		setKey(k);
		input.value = '';
		const err = await signIn();
		if (err && !me) {
			setText(msg, err);
			msg.className = 'error';
			msg.hidden = false;
			input.focus();
		}
	}},
		h('h1', {id: 'login-title'}, 'Sign in'),
		h('label', {for: 'key'}, 'API key'),
		input,
		h('p', {id: 'key-help', class: 'muted'}, 'An administrator makes keys with ',
			h('code', {}, 'innominatus --create-admin-key NAME'), ' or ', h('code', {}, 'innominatus-ctl admin create-key'),
			'. The key is kept in this tab only.'),
		msg,
		h('button', {type: 'submit', class: 'primary'}, 'Sign in'));
	fill(main, form);
	input.focus();
}

// Checks the stored key with the server; on success shows the page the
// address names (the one asked for, or where the user has gone meanwhile).
// Returns an error message, or null.  One check at a time: navigating
// while it runs waits for the same answer.
function signIn() {
	if (!checking) checking = checkKey().finally(() => { checking = null; });
	return checking;
}

async function checkKey() {
	// a header carries printable ASCII only: the browser would refuse to
	// send any other key, which would read as "the server cannot be reached"
	if (!/^[\x21-\x7e]+$/.test(getKey() || '')) {
		clearKey();
		return 'That key has characters an API key never has (keys are letters, digits and punctuation, no spaces).';
	}
	try {
		me = await api('/api/me');
	} catch (e) {
		clearKey();
		if (e instanceof ApiError && e.status === 401) return 'That key was not accepted: ' + e.message;
		return e.message;
	}
	drawFrame();
	route();
	return null;
}

function signOut() {
	clearKey();
	showLogin('Signed out. The key is no longer kept in this tab.', 'notice');
}

window.addEventListener('inn:unauthorized', e => {
	if (!me) return;
	clearKey();
	showLogin('Your key is no longer accepted (' + e.detail + '). Sign in again.');
});

// ---- the frame ----------------------------------------------------------------

function drawFrame() {
	const links = Object.entries(PAGES).filter(([, p]) => p.label && (!p.admin || me.role === 'admin'))
		.map(([name, p]) => h('a', {href: '#/' + name, 'data-page': name}, p.label));
	fill(nav, h('ul', {}, links.map(a => h('li', {}, a))));
	nav.hidden = false;
	fill(who, h('span', {class: 'muted'}, me.name, me.team ? ' · ' + me.team : '', ' (' + me.role + ')'),
		themeButton(),
		h('button', {type: 'button', class: 'link', onclick: signOut}, 'Sign out'));
	who.hidden = false;
}

// The theme button names the theme it switches to: the other one than
// shown, which is the user's choice or else the system's (which may change
// while the page is open).
function themeButton() {
	const system = matchMedia('(prefers-color-scheme: dark)');
	const cur = () => document.documentElement.dataset.theme || (system.matches ? 'dark' : 'light');
	const b = h('button', {type: 'button', class: 'link'});
	const label = () => {
		const other = cur() === 'dark' ? 'light' : 'dark';
		b.textContent = other === 'dark' ? 'Dark theme' : 'Light theme';
		b.setAttribute('aria-label', 'Switch to the ' + other + ' theme');
	};
	b.addEventListener('click', () => {
		const next = cur() === 'dark' ? 'light' : 'dark';
		document.documentElement.dataset.theme = next;
		try { localStorage.setItem('innominatus.theme', next); } catch { /* storage disabled */ }
		label();
	});
	system.addEventListener('change', label);
	label();
	return b;
}

// ---- the router ---------------------------------------------------------------

function parse() {
	const raw = location.hash.replace(/^#\/?/, '');
	const q = raw.indexOf('?');
	const path = q < 0 ? raw : raw.slice(0, q);
	const segs = path.split('/').filter(Boolean).map(s => {
		try { return decodeURIComponent(s); } catch { return s; }
	});
	return {segs, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))};
}

async function route() {
	takeFragment();
	if (!me) {
		if (!getKey()) { showLogin(queryKey ? QUERY_KEY : undefined); queryKey = false; return; }
		const err = await signIn();
		if (err && !me) showLogin(err);
		return;
	}
	const {segs, query} = parse();
	const name = segs[0] || 'executions';
	const entry = PAGES[name];
	if (leave) leave.abort();
	leave = new AbortController();
	for (const a of nav.querySelectorAll('a')) {
		if (a.dataset.page === (name === 'resources' ? 'apps' : name)) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	banner.hidden = !queryKey;
	if (queryKey) fill(banner, QUERY_KEY);
	queryKey = false;
	// an admin page opened by a user is still routed: admin.js says why it is refused
	if (!entry) {
		fill(main, h('h1', {tabindex: '-1'}, 'Not found'),
			h('p', {}, 'No page is called ', h('code', {}, '#/' + segs.join('/')), '. ',
				h('a', {href: HOME}, 'Back to the executions')));
		return;
	}
	document.title = (entry.label || 'Resources') + ' · innominatus';
	const root = h('div', {class: 'page', 'data-page': name});
	fill(main, root);
	const ctx = {
		root, me, name, params: segs.slice(1), query, signal: leave.signal,
		go: hash => { if (!ctx.signal.aborted) location.hash = hash; },
		setQuery: obj => {
			// a page left (still finishing a request) no longer owns the address
			if (ctx.signal.aborted) return;
			const q = new URLSearchParams();
			for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
			const s = q.toString();
			history.replaceState(null, '', '#/' + segs.join('/') + (s ? '?' + s : ''));
		},
		setTitle: t => { document.title = t + ' · innominatus'; },
	};
	const page = entry.detail && ctx.params.length ? entry.detail : entry.page;
	try {
		await page.render(ctx);
	} catch (e) {
		if (e.name === 'AbortError') return;
		if (e instanceof ApiError && e.status === 401) return;
		// the page's placeholders give way to what went wrong, and a way on
		for (const n of root.querySelectorAll('.loading')) n.remove();
		root.append(errorBox(e), h('p', {}, h('button', {type: 'button', class: 'retry', onclick: () => route()}, 'Try again')));
		// the server out of reach: tried again by itself when the network
		// comes back or the tab is shown again
		if (e instanceof ApiError && e.status === 0) {
			const again = () => { if (document.visibilityState !== 'hidden') route(); };
			window.addEventListener('online', again, {signal: ctx.signal});
			document.addEventListener('visibilitychange', again, {signal: ctx.signal});
		}
	}
	const h1 = main.querySelector('h1');
	if (h1 && document.activeElement === document.body) h1.focus({preventScroll: true});
}

// ---- start --------------------------------------------------------------------

(function start() {
	let t = null;
	try { t = localStorage.getItem('innominatus.theme'); } catch { /* storage disabled */ }
	if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
	window.addEventListener('hashchange', route);
	// the skip link moves the focus; following its href would change the
	// address, which is the router's
	document.querySelector('.skip').addEventListener('click', e => { e.preventDefault(); main.focus(); });
	route();
})();

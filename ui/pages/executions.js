// executions.js - the list of executions (#/executions?app=&workflow=&status=&team=&page=).
//
// The filters and the page live in the address, so a filtered list can be
// shared.  The events stream keeps the list current: an event about a row
// shown changes its status at once (then a quiet refetch brings its times),
// and a run started meanwhile appears when page 1 is shown, the server
// deciding whether it matches the filters.

import {api, followEvents} from '../lib/api.js';
import {h, fill, badge, table, tableRow, timeEl, fmtDuration, title, errorBox, liveIndicator, debounce} from '../lib/dom.js';

// The states an execution can be listed in (the server's State, less the
// ones only steps have).
export const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'];
const TEXT_FILTERS = [
	{name: 'app', label: 'Application'},
	{name: 'workflow', label: 'Workflow'},
	{name: 'team', label: 'Team'},
];
const PAGE_SIZE = 20;
// events arrive in bursts (a step ends, the next starts): one refetch each
const REFETCH_MS = 300;

const COLS = [
	{label: 'ID', class: 'num', cell: e => h('a', {href: '#/executions/' + e.id}, '#' + e.id)},
	{label: 'Workflow', cell: e => [e.workflow || '–', e.dry_run ? h('span', {class: 'muted'}, ' (dry run)') : null]},
	{label: 'Kind', cell: e => e.kind || '–'},
	{label: 'Application', cell: e => e.app || none()},
	{label: 'Team', cell: e => e.team || none()},
	{label: 'Status', cell: e => badge(e.status)},
	{label: 'Created by', cell: e => e.created_by || '–'},
	{label: 'Started', cell: e => timeEl(e.started_ms || e.created_ms)},
	{label: 'Duration', class: 'num', cell: e => fmtDuration(elapsed(e))},
];

const none = () => h('span', {class: 'muted none'}, '–');

// The duration of an ended run, or how long a running one has run so far.
export function elapsed(e) {
	if (e.duration_ms !== null && e.duration_ms !== undefined) return e.duration_ms;
	return e.started_ms && !e.ended_ms ? Math.max(0, Date.now() - e.started_ms) : null;
}

function readFilters(query) {
	const f = {};
	for (const {name} of TEXT_FILTERS) f[name] = query.get(name) || '';
	f.status = STATUSES.includes(query.get('status')) ? query.get('status') : '';
	// a status no execution has: said, not silently dropped
	if (query.get('status') && !f.status) f.badStatus = query.get('status');
	const p = Number(query.get('page'));
	f.page = Number.isInteger(p) && p > 1 ? p : 1;
	return f;
}

const anyFilter = f => TEXT_FILTERS.some(({name}) => f[name]) || !!f.status;

// ---- the filter form ---------------------------------------------------------------

function filterForm(f, apply) {
	const inputs = TEXT_FILTERS.map(({name, label}) => h('div', {class: 'field'},
		h('label', {for: 'f-' + name}, label),
		h('input', {id: 'f-' + name, name, type: 'search', value: f[name], autocomplete: 'off', spellcheck: 'false', size: 14})));
	const status = h('select', {id: 'f-status', name: 'status'},
		h('option', {value: ''}, 'Any status'),
		STATUSES.map(s => h('option', {value: s, selected: s === f.status}, s.replace(/_/g, ' '))));
	const form = h('form', {class: 'filters exec-filters', role: 'search', 'aria-label': 'Filter the executions'},
		inputs.slice(0, 2),
		h('div', {class: 'field'}, h('label', {for: 'f-status'}, 'Status'), status),
		inputs.slice(2),
		h('div', {class: 'field buttons'},
			h('button', {type: 'submit'}, 'Filter'),
			h('button', {type: 'reset', class: 'link', hidden: !anyFilter(f)}, 'Clear filters')));
	const values = () => Object.fromEntries(new FormData(form).entries());
	form.addEventListener('submit', e => { e.preventDefault(); apply(values()); });
	// a status is a choice, not typing: it applies at once
	status.addEventListener('change', () => apply(values()));
	// (the fields hold their defaults only after the reset event)
	form.addEventListener('reset', () => setTimeout(() => { apply(values()); form.querySelector('input').focus(); }));
	return form;
}

// ---- the list ------------------------------------------------------------------------

const rowAttrs = e => ({'data-id': e.id, 'data-status': e.status});

// Brings the row of an execution up to date without replacing what did
// not change (a focused link keeps its focus).
function patchRow(tr, e) {
	tr.dataset.status = e.status;
	const fresh = tableRow(COLS, e);
	[...tr.cells].forEach((td, i) => {
		const now = fresh.cells[i];
		if (td.textContent !== now.textContent) td.replaceChildren(...now.childNodes);
	});
}

function emptyState(f, clear) {
	if (anyFilter(f))
		return h('div', {class: 'empty-state'},
			h('p', {}, 'No execution matches these filters.'),
			h('button', {type: 'button', onclick: clear}, 'Clear the filters'));
	return h('div', {class: 'empty-state'},
		h('p', {}, 'No executions yet.'),
		h('p', {}, 'Start one by launching a golden path: ', h('a', {href: '#/golden-paths'}, 'the golden paths'), '.'));
}

function pager(res, to) {
	const last = Math.max(1, res.total_pages);
	const prev = h('button', {type: 'button', disabled: res.page <= 1, onclick: () => to(res.page - 1, 'prev')}, '‹ Previous');
	const next = h('button', {type: 'button', disabled: res.page >= last, onclick: () => to(res.page + 1, 'next')}, 'Next ›');
	prev.dataset.dir = 'prev';
	next.dataset.dir = 'next';
	return [prev, h('span', {class: 'where'}, `Page ${res.page} of ${last}`, h('span', {class: 'muted'},
		` · ${res.total} execution${res.total === 1 ? '' : 's'}`)), next];
}

// ---- the page --------------------------------------------------------------------------

export default {
	async render(ctx) {
		let f = readFilters(ctx.query);
		let shown = null;          // the last page drawn
		const live = liveIndicator();
		const listEl = h('div', {class: 'exec-list', 'aria-live': 'off'}, h('p', {class: 'muted loading'}, 'Loading…'));
		const pagerEl = h('nav', {class: 'pager', 'aria-label': 'Pages of executions', hidden: true});
		const newer = h('p', {class: 'notice', role: 'status', hidden: true},
			'New executions started. ', h('button', {type: 'button', class: 'link', onclick: () => toPage(1)}, 'Show page 1'));

		const load = async () => {
			const res = await api('/api/workflows', {signal: ctx.signal,
				query: {app: f.app, workflow: f.workflow, status: f.status, team: f.team, page: f.page, page_size: PAGE_SIZE}});
			if (res.page > Math.max(1, res.total_pages)) { toPage(Math.max(1, res.total_pages)); return; }
			draw(res);
		};
		const reload = debounce(() => load().catch(showError), REFETCH_MS);
		const showError = e => { if (e.name !== 'AbortError') fill(listEl, errorBox(e)); };

		const draw = res => {
			const rows = listEl.querySelector('tbody');
			const sameIds = shown && rows && res.data.length === rows.rows.length &&
				res.data.every((e, i) => String(e.id) === rows.rows[i].dataset.id);
			if (sameIds) res.data.forEach((e, i) => patchRow(rows.rows[i], e));
			else fill(listEl, res.total ? table('Executions', COLS, res.data, null, {rowAttrs}) : emptyState(f, clear));
			shown = res;
			pagerEl.hidden = res.total === 0;
			const focused = document.activeElement && document.activeElement.dataset.dir;
			fill(pagerEl, pager(res, toPage));
			// the pager was redrawn: the button pressed keeps the focus
			if (focused) {
				const b = pagerEl.querySelector(`[data-dir="${focused}"]`);
				(b.disabled ? pagerEl.querySelector('button:not(:disabled)') || b : b).focus();
			}
		};

		const show = () => {
			ctx.setQuery({app: f.app, workflow: f.workflow, status: f.status, team: f.team, page: f.page > 1 ? f.page : ''});
			newer.hidden = true;
			load().catch(showError);
		};
		const toPage = p => { f = {...f, page: p}; show(); };
		const apply = values => {
			f = {...readFilters(new URLSearchParams(values)), page: 1};
			form.querySelector('[type="reset"]').hidden = !anyFilter(f);
			show();
		};
		const form = filterForm(f, apply);
		const clear = () => form.reset();

		const onEvent = (type, d) => {
			if (!d || typeof d !== 'object' || !d.execution) return;
			const tr = listEl.querySelector(`tr[data-id="${d.execution}"]`);
			if (tr) {
				const status = type.startsWith('execution.') ? d.status : tr.dataset.status === 'pending' ? 'running' : null;
				if (status && status !== tr.dataset.status) patchRow(tr, {...rowOf(d.execution), status});
				reload();
			} else if (type.startsWith('execution.')) {
				// one not shown (started, or changed on another page): the
				// server knows whether it belongs on page 1 of this filter
				if (f.page === 1) reload();
				else if (type === 'execution.started') newer.hidden = false;
			}
		};
		const rowOf = id => shown.data.find(e => e.id === id) || {id};

		const bad = f.badStatus ? h('p', {class: 'notice', role: 'status'}, 'No execution has the status “', f.badStatus,
			'”: every status is shown. The statuses are ', STATUSES.join(', '), '.') : null;
		ctx.root.append(title('Executions', live), form, bad, newer, listEl, pagerEl);
		followEvents({signal: ctx.signal, onEvent, onState: s => {
			live.set(s);
			// (re)connected: what happened while the stream was down is fetched
			if (s === 'open' && shown) reload();
		}});
		await load();
	},
};

// admin.js - what administrators manage (#/admin, #/admin/keys: the API
// keys, created and revoked here; #/admin/audit: the audit trail).
// A new key is shown once, in the page only: it is never stored, and the
// server cannot show it again.

import {api, ApiError} from '../lib/api.js';
import {h, append, fill, table, title, badge, timeEl, errorBox, setText} from '../lib/dom.js';
import {field, checkFields, copyButton, confirmDialog} from '../lib/forms.js';

const PARTS = {keys: {label: 'API keys', render: renderKeys}, audit: {label: 'Audit log', render: renderAudit}};

export default {
	async render(ctx) {
		const part = ctx.params[0] || 'keys';
		if (ctx.me.role !== 'admin') return notAdmin(ctx);
		if (!PARTS[part]) {
			append(ctx.root, [title('Admin'), errorBox(`There is no admin page “${part}”.`)]);
			return;
		}
		ctx.setTitle(PARTS[part].label + ' · Admin');
		let body;
		try {
			body = await PARTS[part].render(ctx);
		} catch (e) {
			// the server's word is final (a key made admin, then demoted)
			if (e instanceof ApiError && e.status === 403) return notAdmin(ctx);
			throw e;
		}
		// all at once, the data in: the heading never shows over an empty page
		append(ctx.root, [title('Admin: ' + PARTS[part].label), subnav(part), body]);
	},
};

function notAdmin(ctx) {
	append(ctx.root, [title('Admin'),
		h('div', {class: 'notice', role: 'status'},
			h('p', {}, `Only administrators can manage keys and read the audit log. You are signed in as `,
				h('strong', {}, ctx.me.name), ` with the role “${ctx.me.role}”.`),
			h('p', {}, 'Ask an administrator if you need a key, or ', h('a', {href: '#/executions'}, 'go back to the executions'), '.'))]);
}

function subnav(current) {
	return h('nav', {class: 'subnav', 'aria-label': 'Admin'}, h('ul', {},
		Object.entries(PARTS).map(([name, p]) => h('li', {},
			h('a', {href: '#/admin/' + name, 'aria-current': name === current ? 'page' : false}, p.label)))));
}

// ---- keys ---------------------------------------------------------------------------

// Each part resolves to its nodes once its data is in.
async function renderKeys(ctx) {
	const fresh = h('div', {class: 'fresh-key', hidden: true});
	const list = h('div', {});
	const notice = h('p', {class: 'notice', role: 'status', hidden: true});
	// redraws the table; after a change, a failure to list is said, not thrown
	const draw = async () => {
		const {data} = await api('/api/admin/keys', {signal: ctx.signal});
		fill(list, keyTable(ctx, data, redraw, notice));
	};
	const redraw = () => draw().catch(e => {
		if (e.name !== 'AbortError' && e.status !== 401) say(notice, 'error', 'The keys could not be listed again: ' + e.message);
	});
	await draw();
	return [fresh, createForm(ctx, fresh, redraw), h('h2', {}, 'Keys'), notice, list];
}

// The form that makes a key: name, role, team.
function createForm(ctx, fresh, redraw) {
	const name = field({id: 'key-name', name: 'name', label: 'Name', required: true,
		control: h('input', {type: 'text', autocomplete: 'off', spellcheck: 'false'}),
		hint: 'Who or what uses the key, e.g. a person or a CI job (ci-deploy).',
		check: () => name.control.value.trim() ? null : 'This is required.'});
	const role = field({id: 'key-role', name: 'role', label: 'Role', required: true,
		control: h('select', {}, h('option', {value: 'user'}, 'user'), h('option', {value: 'admin'}, 'admin')),
		hint: 'A user runs golden paths and deploys apps (of their team); an admin also manages keys.'});
	const team = field({id: 'key-team', name: 'team', label: 'Team',
		control: h('input', {type: 'text', autocomplete: 'off', spellcheck: 'false'}),
		hint: 'Optional: a user with a team sees only that team\'s applications and runs.'});
	const problem = h('p', {class: 'error', role: 'alert', tabindex: '-1', hidden: true});
	const form = h('form', {class: 'card key-form', novalidate: true, 'aria-labelledby': 'new-key-title'},
		h('h2', {id: 'new-key-title'}, 'New key'), problem, name.el, role.el, team.el,
		h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create key')));
	form.addEventListener('submit', async e => {
		e.preventDefault();
		problem.hidden = true;
		if (!checkFields([name, role, team])) return;
		const body = {name: name.control.value.trim(), role: role.control.value};
		if (team.control.value.trim()) body.team = team.control.value.trim();
		let r;
		try {
			r = await api('/api/admin/keys', {method: 'POST', body, signal: ctx.signal});
		} catch (err) {
			if (err.name === 'AbortError') return;
			setText(problem, 'The key was not created: ' + err.message);
			problem.hidden = false;
			problem.focus();
			return;
		}
		form.reset();
		showOnce(fresh, r);
		await redraw();
	});
	return form;
}

// The new key, once: in a read-only field to copy, with the warning that
// it cannot be shown again.  "I have copied it" takes it off the page.
function showOnce(box, r) {
	const input = h('input', {id: 'fresh-key-value', type: 'text', readonly: true, class: 'mono',
		value: r.key, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'fresh-key-warning'});
	const done = h('button', {type: 'button'}, 'I have copied it');
	done.addEventListener('click', () => {
		input.value = '';
		box.replaceChildren();
		box.hidden = true;
	});
	fill(box,
		h('h2', {id: 'fresh-key-title', tabindex: '-1'}, `Key “${r.name}” created`),
		h('p', {id: 'fresh-key-warning', class: 'warning'}, 'Copy this key now: it is shown only this once. ' +
			'The server keeps only its hash, and this page forgets it when you leave.'),
		h('div', {class: 'field'}, h('label', {for: 'fresh-key-value'}, `API key for ${r.name} (${r.role}${r.team ? ', team ' + r.team : ''})`),
			h('div', {class: 'copy-row'}, input, copyButton(r.key, 'Copy the key', input))),
		h('div', {class: 'actions'}, done));
	box.hidden = false;
	box.querySelector('h2').focus();
}

function keyTable(ctx, keys, redraw, notice) {
	return table('API keys', [
		{label: 'Name', cell: k => h('strong', {}, k.name)},
		{label: 'Role', cell: k => k.role},
		{label: 'Team', cell: k => k.team || '–'},
		{label: 'Created', cell: k => timeEl(k.created_ms)},
		{label: 'State', cell: k => k.revoked ? badge('revoked') : h('span', {class: 'badge ok'}, 'active')},
		{label: 'Actions', cell: k => k.revoked ? '–' : h('button', {type: 'button', class: 'danger',
			'aria-label': 'Revoke the key ' + k.name, onclick: () => revoke(ctx, k, redraw, notice)}, 'Revoke…')},
	], keys, 'No keys.');
}

async function revoke(ctx, k, redraw, notice) {
	const self = k.name === ctx.me.name;
	const yes = await confirmDialog({
		heading: `Revoke the key “${k.name}”?`,
		text: (self ? 'This is the key you are signed in with: this page will sign you out. ' : '') +
			`Whoever uses it (${k.role}${k.team ? ', team ' + k.team : ''}) is refused from now on. A revoked key cannot be restored.`,
		yes: 'Revoke ' + k.name,
	});
	if (!yes) return;
	try {
		await api('/api/admin/keys/' + encodeURIComponent(k.name), {method: 'DELETE', signal: ctx.signal});
	} catch (e) {
		if (e.name === 'AbortError') return;
		say(notice, 'error', `The key “${k.name}” was not revoked: ${e.message}`);
		return;
	}
	say(notice, 'notice', `The key “${k.name}” is revoked.`);
	// (one's own key: the frame signs out at the next answer, a 401)
	await redraw();
}

function say(el, cls, text) {
	el.className = cls;
	setText(el, text);
	el.hidden = false;
}

// ---- audit --------------------------------------------------------------------------

// The API gives the newest entries first, ?limit= at a time, and with
// ?before=ID those older than ID: "Show older entries" asks for the page
// after the last entry shown and adds it below.
const AUDIT_STEP = 50;

async function renderAudit(ctx) {
	const list = h('div', {});
	const more = h('button', {type: 'button'}, 'Show older entries');
	const status = h('p', {class: 'muted', role: 'status'});
	const rows = [];
	const load = async () => {
		const before = rows.length ? rows[rows.length - 1].id : undefined;
		const page = await api('/api/admin/audit', {query: {limit: AUDIT_STEP, before}, signal: ctx.signal});
		rows.push(...page);
		fill(list, auditTable(rows));
		const all = page.length < AUDIT_STEP;
		more.hidden = all;
		status.textContent = all ? `All ${rows.length} entries.` : `The newest ${rows.length} entries.`;
	};
	more.addEventListener('click', () => {
		more.disabled = true;   // one page at a time: a second click would ask for the same
		load().catch(e => { if (e.name !== 'AbortError') list.append(errorBox(e)); })
			.finally(() => { more.disabled = false; });
	});
	await load();
	return [h('p', {class: 'muted'}, 'Who did what, newest first. Listing the keys is recorded too.'),
		list, status, h('div', {class: 'actions'}, more)];
}

function auditTable(rows) {
	return table('Audit log', [
		{label: 'Time', cell: a => timeEl(a.ts)},
		{label: 'Who', cell: a => a.who || '–'},
		{label: 'Action', cell: a => h('code', {}, a.action)},
		{label: 'Target', cell: a => target(a.target)},
		{label: 'Detail', cell: a => detail(a.detail)},
	], rows, 'Nothing recorded yet.');
}

// "execution/12" links to the execution; other targets are text.
function target(t) {
	if (!t) return '–';
	const m = /^execution\/(\d+)$/.exec(t);
	return m ? h('a', {href: '#/executions/' + m[1]}, t) : t;
}

function detail(d) {
	if (d === null || d === undefined) return '–';
	if (typeof d !== 'object') return String(d);
	return h('span', {class: 'detail'}, Object.entries(d).map(([k, v], i) =>
		[i ? ', ' : '', k + ': ', typeof v === 'object' ? JSON.stringify(v) : String(v)]));
}

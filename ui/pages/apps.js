// apps.js - the applications (#/apps), one application (#/apps/NAME:
// its containers with their placeholders resolved, its resources and
// executions, and the Delete button) and the resources of every
// application (#/resources, filtered by app).  Secret outputs stay as the
// API masks them.

import {api} from '../lib/api.js';
import {h, append, fill, table, dl, title, badge, timeEl, show, errorBox} from '../lib/dom.js';
import {confirmDialog} from '../lib/forms.js';

export default {
	render(ctx) {
		if (ctx.name === 'resources') return renderResources(ctx);
		return ctx.params.length ? renderApp(ctx, ctx.params[0]) : renderApps(ctx);
	},
};

const appLink = name => h('a', {href: '#/apps/' + encodeURIComponent(name)}, name);

// An execution as a link with its kind and status: "#12 deploy succeeded".
function execLink(e) {
	if (!e) return '–';
	return h('span', {class: 'exec-ref'}, h('a', {href: '#/executions/' + e.id}, '#' + e.id),
		e.kind ? ' ' + e.kind + ' ' : ' ', badge(e.status));
}

// ---- the applications ------------------------------------------------------------

async function renderApps(ctx) {
	const {data} = await api('/api/applications', {signal: ctx.signal});
	append(ctx.root, [title('Applications', h('a', {href: '#/resources'}, 'All resources')),
		table('Applications', [
			{label: 'Name', cell: a => appLink(a.name)},
			{label: 'Team', cell: a => a.team || '–'},
			{label: 'Status', cell: a => badge(a.status)},
			{label: 'Resources', class: 'num', cell: a => String(a.resources)},
			{label: 'Last execution', cell: a => execLink(a.last_execution)},
			{label: 'Expires', cell: a => a.expires_ms ? timeEl(a.expires_ms) : 'never'},
		], data, 'No applications yet: deploy a Score spec (innominatus-ctl deploy, or POST /api/applications).')]);
}

// ---- one application ----------------------------------------------------------------

async function renderApp(ctx, name) {
	const app = await api('/api/applications/' + encodeURIComponent(name), {signal: ctx.signal});
	ctx.setTitle(app.name + ' · Applications');
	const notice = h('div', {class: 'notice', role: 'status', tabindex: '-1', hidden: true});
	const del = h('button', {type: 'button', class: 'danger', disabled: app.status === 'deleting'}, 'Delete…');
	const status = h('span', {}, badge(app.status));
	del.addEventListener('click', () => deleteApp(ctx, app, {button: del, notice, status}));
	append(ctx.root, [
		h('p', {class: 'crumbs'}, h('a', {href: '#/apps'}, 'Applications'), ' / '),
		title(app.name, del),
		notice,
		dl([
			['Status', status],
			['Team', app.team || '–'],
			['Deployed by', app.created_by || '–'],
			['Created', timeEl(app.created_ms)],
			['Updated', timeEl(app.updated_ms)],
			['Expires', app.expires_ms ? timeEl(app.expires_ms) : 'never'],
		]),
		h('h2', {}, 'Containers'),
		containers(app),
		h('h2', {}, 'Resources'),
		resourceTable('Resources of ' + app.name, app.resources || [], false),
		h('h2', {}, 'Executions'),
		table('Executions of ' + app.name, [
			{label: 'Execution', cell: e => h('a', {href: '#/executions/' + e.id}, '#' + e.id)},
			{label: 'Kind', cell: e => e.kind || '–'},
			{label: 'Workflow', cell: e => e.workflow || '–'},
			{label: 'Status', cell: e => badge(e.status)},
			{label: 'Started', cell: e => timeEl(e.created_ms)},
		], app.executions || [], 'No executions.')]);
}

// Asks first (naming the app), then starts the teardown and links to it.
async function deleteApp(ctx, app, {button, notice, status}) {
	const yes = await confirmDialog({
		heading: `Delete the application “${app.name}”?`,
		text: teardownText((app.resources || []).length),
		yes: 'Delete ' + app.name,
	});
	if (!yes) return;
	button.disabled = true;
	try {
		const r = await api('/api/applications/' + encodeURIComponent(app.name), {method: 'DELETE', signal: ctx.signal});
		fill(notice, 'Deleting ', h('strong', {}, app.name), ': ',
			h('a', {href: '#/executions/' + r.id}, 'follow the teardown, execution #' + r.id), '.');
		notice.className = 'notice';
		fill(status, badge('deleting'));
	} catch (e) {
		if (e.name === 'AbortError') return;
		fill(notice, 'The application was not deleted: ' + e.message);
		notice.className = 'error';
		button.disabled = false;
	}
	notice.hidden = false;
	notice.focus();
}

function teardownText(n) {
	const what = n === 0 ? 'It has no resources to tear down; ' :
		n === 1 ? 'Its resource is torn down by its provider\'s delete workflow, then ' :
		`Its ${n} resources are torn down by their providers' delete workflows, then `;
	return what + 'the application is gone. This cannot be undone.';
}

// Each container's image and its variables, with ${resources...}
// resolved by the server (secrets masked); what stayed unresolved is
// listed.
function containers(app) {
	const cs = Object.entries(app.containers || {});
	const unresolved = app.unresolved || [];
	return [
		cs.length ? cs.map(([name, c]) => h('section', {class: 'container card', 'aria-label': 'Container ' + name},
			h('h3', {}, name),
			dl([
				['Image', h('code', {}, c.image || '–')],
				c.command ? ['Command', h('code', {}, show(c.command))] : null,
				c.args ? ['Arguments', h('code', {}, show(c.args))] : null,
			]),
			c.variables && Object.keys(c.variables).length ? table('Variables of ' + name, [
				{label: 'Variable', cell: ([k]) => h('code', {}, k)},
				{label: 'Value', cell: ([, v]) => h('code', {}, show(v))},
			], Object.entries(c.variables)) : null)) : h('p', {class: 'empty'}, 'No containers.'),
		unresolved.length ? h('div', {class: 'notice'}, 'Not resolved yet: ',
			unresolved.map(show).join(', ')) : null,
	];
}

// The resources table of the app page and of #/resources (withApp adds
// the app column).
function resourceTable(caption, rows, withApp) {
	return table(caption, [
		withApp ? {label: 'Application', cell: r => appLink(r.app)} : null,
		{label: 'Resource', cell: r => h('code', {}, r.name)},
		{label: 'Type', cell: r => r.type},
		{label: 'Provider', cell: r => r.provider ? h('a', {href: '#/providers/' + encodeURIComponent(r.provider)}, r.provider) : '–'},
		// one node: a narrow screen's card lays a cell's nodes out in a row
		{label: 'State', cell: r => h('div', {}, badge(r.status), r.message ? h('div', {class: 'muted small'}, r.message) : null)},
		{label: 'Outputs', cell: r => outputs(r.outputs)},
		{label: 'Last execution', cell: r => execLink(r.last_execution)},
	].filter(Boolean), rows, 'No resources.');
}

function outputs(o) {
	const entries = Object.entries(o || {});
	if (!entries.length) return '–';
	return h('dl', {class: 'outputs'}, entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, show(v)))]));
}

// ---- every resource -----------------------------------------------------------------

async function renderResources(ctx) {
	const {data: apps} = await api('/api/applications', {signal: ctx.signal});
	const want = ctx.query.get('app') || '';
	// an app the address names but the list lacks (deleted, mistyped) is
	// still the filter: its resources are none, not everyone's
	const gone = want && !apps.some(a => a.name === want) ? [{name: want, label: want + ' (no such application)'}] : [];
	const pick = h('select', {id: 'res-app', 'aria-controls': 'res-list'}, h('option', {value: ''}, 'All applications'),
		[...apps, ...gone].map(a => h('option', {value: a.name, selected: a.name === want}, a.label || a.name)));
	const list = h('div', {id: 'res-list'});
	// the list is redrawn in place, so focus stays on the filter
	const redraw = async () => {
		const app = pick.value;
		ctx.setQuery({app});
		const rows = await api('/api/resources', {query: {app}, signal: ctx.signal});
		fill(list, resourceTable(app ? 'Resources of ' + app : 'Resources', rows, true));
	};
	pick.addEventListener('change', () => redraw().catch(e => {
		if (e.name !== 'AbortError') fill(list, errorBox(e));
	}));
	await redraw();
	append(ctx.root, [title('Resources', h('a', {href: '#/apps'}, 'Applications')),
		h('form', {class: 'filters', role: 'search', onsubmit: e => e.preventDefault()},
			h('div', {class: 'field'}, h('label', {for: 'res-app'}, 'Application'), pick)),
		list]);
}

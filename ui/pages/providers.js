// providers.js - the providers (#/providers): who publishes which
// resource types and workflows, and where each provider comes from (a
// folder, or a git repository at the commit the server resolved); one
// provider's workflows with their parameters (#/providers/NAME).

import {api} from '../lib/api.js';
import {h, append, table, dl, title, show} from '../lib/dom.js';
import {copyButton, tagList} from '../lib/forms.js';

export default {
	render(ctx) {
		return ctx.params.length ? renderOne(ctx, ctx.params[0]) : renderList(ctx);
	},
};

async function renderList(ctx) {
	const list = await api('/api/providers', {signal: ctx.signal});
	append(ctx.root, [title('Providers'),
		h('p', {class: 'muted'}, 'The platform teams\' providers: the resource types they provision and their workflows.'),
		table('Providers', [
			{label: 'Name', cell: p => h('a', {href: '#/providers/' + encodeURIComponent(p.name)}, p.name)},
			{label: 'Version', cell: p => p.version || '–'},
			{label: 'Category', cell: p => p.category || '–'},
			{label: 'Owner', cell: p => p.owner || '–'},
			{label: 'Description', cell: p => p.description || '–'},
			{label: 'Resource types', cell: p => tagList((p.resource_types || []).map(t => t.type))},
			{label: 'Workflows', class: 'num', cell: p => String((p.workflows || []).length)},
			{label: 'Source', cell: p => sourceCell(p.source)},
		], list, 'The server has no providers (the config\'s providers list).')]);
}

// Where a provider comes from, in a line: the folder, or the repository,
// its ref and the commit (short, the full hash in its title and copyable).
function sourceCell(src) {
	if (!src) return '–';
	// the server shows its own folders to admins only
	if (src.type !== 'git') return src.path ? h('code', {}, src.path) : 'a folder of the server';
	return h('span', {class: 'source'},
		h('code', {}, src.git_url), src.ref ? [' @ ', h('code', {}, src.ref)] : null,
		src.path ? [' in ', h('code', {}, src.path)] : null,
		src.commit ? [' ', commitRef(src.commit)] : null);
}

function commitRef(commit) {
	return h('span', {class: 'commit'},
		h('code', {title: commit, 'data-commit': commit}, 'commit ' + commit.slice(0, 12)),
		copyButton(commit, 'Copy the full commit hash ' + commit));
}

// ---- one provider ---------------------------------------------------------------

async function renderOne(ctx, name) {
	const p = await api('/api/providers/' + encodeURIComponent(name), {signal: ctx.signal});
	ctx.setTitle(p.name + ' · Providers');
	const wfs = p.workflows || [];
	append(ctx.root, [
		h('p', {class: 'crumbs'}, h('a', {href: '#/providers'}, 'Providers'), ' / '),
		title(p.name),
		p.description ? h('p', {class: 'lead'}, p.description) : null,
		dl([
			['Version', p.version || '–'],
			['Category', p.category || '–'],
			['Owner', p.owner || '–'],
			['Source', sourceDetail(p.source)],
		]),
		h('h2', {}, 'Resource types'),
		table('Resource types', [
			{label: 'Type', cell: t => h('code', {}, t.type)},
			{label: 'Alias for', cell: t => t.alias_for || '–'},
			{label: 'Create', cell: t => t.create || '–'},
			{label: 'Read', cell: t => t.read || '–'},
			{label: 'Update', cell: t => t.update || '–'},
			{label: 'Delete', cell: t => t.delete || '–'},
		], p.resource_types || [], 'This provider provisions no resource type (its workflows run on their own).'),
		h('h2', {}, `Workflows (${wfs.length})`),
		wfs.length ? wfs.map(workflowSection) : h('p', {class: 'empty'}, 'No workflows.')]);
}

function sourceDetail(src) {
	if (!src) return '–';
	if (src.type !== 'git') return src.path ? h('span', {}, 'folder ', h('code', {}, src.path)) : 'a folder of the server';
	return dl([
		['Repository', h('code', {}, src.git_url)],
		['Ref', src.ref ? h('code', {}, src.ref) : '–'],
		src.path ? ['Folder', h('code', {}, src.path)] : null,
		['Commit', src.commit ? h('span', {class: 'commit'}, h('code', {'data-commit': src.commit}, src.commit),
			copyButton(src.commit, 'Copy the commit hash')) : 'not resolved yet'],
	]);
}

function workflowSection(w, i) {
	const id = 'wf-' + i;
	const params = w.parameters || [];
	return h('section', {class: 'workflow card', 'aria-labelledby': id},
		h('h3', {id}, w.name),
		w.description ? h('p', {}, w.description) : null,
		dl([
			['Operation', w.operation || '–'],
			['Steps', String(w.steps)],
		]),
		params.length ? table('Parameters of ' + w.name, [
			{label: 'Parameter', cell: p => h('code', {}, p.name)},
			{label: 'Type', cell: p => p.type || 'string'},
			{label: 'Required', cell: p => p.required ? 'yes' : 'no'},
			{label: 'Default', cell: p => p.default === null || p.default === undefined ? '–' : h('code', {}, show(p.default))},
			{label: 'Allowed', cell: p => p.allowed ? p.allowed.map(show).join(', ') : '–'},
			{label: 'Pattern', cell: p => p.pattern ? h('code', {}, p.pattern) : '–'},
			{label: 'Description', cell: p => p.description || '–'},
		], params) : h('p', {class: 'muted'}, 'No parameters.'));
}

// plugins.js - the step plugins (#/plugins): those loaded, with what they
// declare, and those the server refused to load, each with the reason as
// the server gives it (a policy, a wrong ABI, a file that is not a plugin).

import {api, ApiError} from '../lib/api.js';
import {h, append, table, title, errorBox, show} from '../lib/dom.js';
import {tagList} from '../lib/forms.js';

export default {
	async render(ctx) {
		const [loaded, refused] = await Promise.all([
			api('/api/plugins', {signal: ctx.signal}),
			api('/api/plugins/refused', {signal: ctx.signal}).catch(e => e),
		]);
		append(ctx.root, [title('Plugins'),
			h('p', {class: 'muted'}, 'The step types this server can run, and the plugin files it would not load.'),
			h('h2', {id: 'refused-title'}, 'Refused' + (refused instanceof Error ? '' : ` (${(refused.data || []).length})`)),
			refusedPart(refused),
			h('h2', {}, `Loaded (${loaded.length})`),
			table('Loaded plugins', [
				{label: 'Name', cell: p => h('strong', {}, p.name)},
				{label: 'Version', cell: p => p.version},
				{label: 'ABI', cell: p => p.abi},
				{label: 'Step types', cell: p => tagList(p.step_types)},
				{label: 'Flags', cell: p => tagList(p.flags)},
				{label: 'Settings', cell: settings},
			], loaded, 'No plugins are loaded: no step can run.')]);
	},
};

// The refused plugins, or why they cannot be listed (an older server).
function refusedPart(r) {
	if (r instanceof ApiError && r.status === 404)
		return h('p', {class: 'muted'}, 'This server does not list refused plugins (no /api/plugins/refused).');
	if (r instanceof Error) return errorBox(r);
	const rows = r.data || [];
	return table('Refused plugins', [
		{label: 'File', cell: x => h('code', {}, x.file)},
		{label: 'Step type', cell: x => x.step_type ? h('code', {}, x.step_type) : '–'},
		{label: 'Reason', cell: x => h('span', {class: 'reason'}, x.reason)},
	], rows, 'No plugin was refused.');
}

// The config schema (and the admin's defaults and policies for the type),
// folded: they are long.
function settings(p) {
	const parts = [
		['Config schema', p.config_schema],
		['Outputs schema', p.outputs_schema],
		['Step defaults', p.step_defaults],
		['Step policies', p.step_policies],
	].filter(([, v]) => v !== null && v !== undefined);
	if (!parts.length) return '–';
	return parts.map(([label, v]) => h('details', {class: 'schema'},
		h('summary', {}, label), h('pre', {tabindex: '0'}, show(v))));
}

// goldenpaths.js - the golden paths (#/golden-paths) and one golden path's
// launch form (#/golden-paths/NAME), generated from its typed parameters.
//
// The form checks what it can in the page (required, pattern, integer,
// number, allowed values, JSON) and the server checks again: a 400 that
// names a parameter is shown next to that parameter's field.  A launch
// opens the new execution's page; a dry run shows the plan here.

import {api, ApiError} from '../lib/api.js';
import {h, append, fill, table, dl, title, badge, show} from '../lib/dom.js';
import {field, checkFields, tagList} from '../lib/forms.js';

export default {
	render(ctx) {
		return ctx.params.length ? renderOne(ctx, ctx.params[0]) : renderList(ctx);
	},
};

// ---- the list ---------------------------------------------------------------

async function renderList(ctx) {
	// one request: the list has all the table shows (estimated_duration too)
	const details = await api('/api/golden-paths', {signal: ctx.signal});
	const categories = [...new Set(details.map(g => g.category).filter(Boolean))].sort();
	const text = h('input', {id: 'gp-q', type: 'search', value: ctx.query.get('q') || '',
		'aria-controls': 'gp-results', autocomplete: 'off'});
	const cat = h('select', {id: 'gp-cat', 'aria-controls': 'gp-results'},
		h('option', {value: ''}, 'All categories'),
		categories.map(c => h('option', {value: c, selected: c === ctx.query.get('category')}, c)));
	const results = h('div', {id: 'gp-results'});
	const count = h('p', {class: 'muted', role: 'status'});
	const redraw = () => {
		const q = text.value.trim().toLowerCase();
		const shown = details.filter(g => (!cat.value || g.category === cat.value) && matches(g, q));
		count.textContent = `${shown.length} of ${details.length} golden paths`;
		fill(results, goldenPathTable(shown, details.length));
		ctx.setQuery({q: text.value.trim(), category: cat.value});
	};
	text.addEventListener('input', redraw);
	cat.addEventListener('change', redraw);
	append(ctx.root, [title('Golden paths'),
		h('p', {class: 'muted'}, 'Ready-made workflows: pick one, fill in its form, and launch it.'),
		h('form', {class: 'filters', role: 'search', onsubmit: e => e.preventDefault()},
			h('div', {class: 'field'}, h('label', {for: 'gp-q'}, 'Search'), text),
			h('div', {class: 'field'}, h('label', {for: 'gp-cat'}, 'Category'), cat)),
		count, results]);
	redraw();
}

function matches(g, q) {
	if (!q) return true;
	return [g.name, g.description, g.category, ...(g.tags || [])]
		.some(s => s && s.toLowerCase().includes(q));
}

function goldenPathTable(rows, total) {
	return table('Golden paths', [
		{label: 'Name', cell: g => h('a', {href: '#/golden-paths/' + encodeURIComponent(g.name)}, g.name)},
		{label: 'Description', cell: g => g.description || '–'},
		{label: 'Category', cell: g => g.category || '–'},
		{label: 'Tags', cell: g => tagList(g.tags)},
		{label: 'Estimated duration', cell: g => g.estimated_duration || '–'},
	], rows, total ? 'No golden path matches the search.' : 'The server has no golden paths (the config\'s server.goldenpaths file).');
}

// ---- one golden path: what it runs, and its form -----------------------------

async function renderOne(ctx, name) {
	const g = await api('/api/golden-paths/' + encodeURIComponent(name), {signal: ctx.signal});
	ctx.setTitle(g.name + ' · Golden paths');
	const plan = h('section', {class: 'plan', 'aria-labelledby': 'plan-title', hidden: true});
	append(ctx.root, [
		h('p', {class: 'crumbs'}, h('a', {href: '#/golden-paths'}, 'Golden paths'), ' / '),
		title(g.name),
		g.description ? h('p', {class: 'lead'}, g.description) : null,
		dl([
			['Workflow', h('span', {}, h('code', {}, g.workflow_name || '–'),
				` (${g.steps} step${g.steps === 1 ? '' : 's'}, `, h('code', {}, g.workflow_file || g.workflow || '–'), ')')],
			['Category', g.category || '–'],
			['Tags', tagList(g.tags)],
			['Estimated duration', g.estimated_duration || '–'],
		]),
		launchForm(ctx, g, plan),
		plan]);
}

// The launch form: one field per parameter, an optional Score spec, and
// the Launch and Dry run buttons.
function launchForm(ctx, g, plan) {
	const fields = (g.parameters || []).map((p, i) => paramField(p, 'gp-p' + i));
	const spec = specField();
	const top = h('div', {class: 'form-problem', role: 'alert', tabindex: '-1', hidden: true});
	const launch = h('button', {type: 'submit', class: 'primary', value: 'launch'}, 'Launch');
	const dry = h('button', {type: 'submit', value: 'dry'}, 'Dry run');
	const form = h('form', {class: 'launch card', novalidate: true, 'aria-labelledby': 'launch-title'},
		h('h2', {id: 'launch-title'}, 'Launch ' + g.name),
		top,
		fields.length ? fields.map(f => f.el) : h('p', {class: 'muted'}, 'This golden path takes no parameters.'),
		h('details', {class: 'spec'}, h('summary', {}, 'Score spec (optional)'), spec.el),
		h('div', {class: 'actions'}, launch, dry));
	form.addEventListener('submit', async e => {
		e.preventDefault();
		const dryRun = e.submitter === dry;
		top.hidden = true;
		if (!checkFields([...fields, spec])) return;
		const body = {parameters: collect(fields)};
		if (spec.control.value.trim()) body.spec = spec.control.value;
		if (dryRun) body.dry_run = true;
		launch.disabled = dry.disabled = true;
		try {
			const r = await api(`/api/golden-paths/${encodeURIComponent(g.name)}/run`, {method: 'POST', body, signal: ctx.signal});
			if (!dryRun) { ctx.go('#/executions/' + r.id); return; }
			await showPlan(ctx, plan, r.id);
		} catch (err) {
			if (err.name === 'AbortError') return;
			serverProblem(err, fields, spec, top);
		} finally {
			launch.disabled = dry.disabled = false;
		}
	});
	return form;
}

// A 400 naming a parameter (`parameter "who": ...`) goes next to that
// field, a spec's next to the spec; anything else above the form.
function serverProblem(err, fields, spec, top) {
	const named = /parameter "([^"]+)":/.exec(err.message);
	const f = named && fields.find(x => x.name === named[1]);
	const target = f || (err instanceof ApiError && err.code === 'invalid_spec' ? spec : null);
	if (target) {
		if (target === spec) spec.el.closest('details').open = true;
		target.setProblem('The server refused it: ' + err.message);
		target.control.focus();
		return;
	}
	fill(top, err instanceof ApiError && err.status === 400 ? 'The server refused the launch: ' + err.message : err.message);
	top.hidden = false;
	top.focus();
}

// A dry run records an execution that ends at once with its steps in
// "would-run": wait for it, then show its plan.
async function showPlan(ctx, plan, id) {
	fill(plan, h('h2', {id: 'plan-title'}, 'Dry run'), h('p', {class: 'muted', role: 'status'}, 'Planning…'));
	plan.hidden = false;
	let ex;
	for (let i = 0; ; i++) {
		ex = await api('/api/workflows/' + id, {signal: ctx.signal});
		if (!['pending', 'queued', 'running'].includes(ex.status) || i >= 100) break;
		await new Promise(r => setTimeout(r, Math.min(100 * (i + 1), 1000)));
	}
	fill(plan,
		h('h2', {id: 'plan-title', tabindex: '-1'}, 'Dry run: what would run'),
		h('p', {role: 'status'}, 'Nothing was changed. ', badge(ex.status), ' ',
			h('a', {href: '#/executions/' + ex.id}, 'Dry run execution #' + ex.id)),
		h('h3', {}, 'Parameters, with the defaults filled in'),
		dl(Object.entries(ex.parameters || {}).map(([k, v]) => [k, h('code', {}, show(v))])),
		h('h3', {}, 'Steps'),
		table('Steps of the dry run', [
			{label: 'Step', cell: s => s.name},
			{label: 'Type', cell: s => s.type},
			{label: 'Would', cell: s => badge(s.status)},
			{label: 'Note', cell: s => s.message || '–'},
		], ex.steps || [], 'No steps.'));
	plan.querySelector('h2').focus();
}

// ---- parameters as fields -------------------------------------------------------

const JSON_TYPES = {map: 'object', object: 'object', array: 'array'};

// One parameter's field: its control chosen by type (allowed values: a
// select; boolean: a checkbox; integer, number: a number input; map,
// object, array: JSON in a textarea; secret: a password input; the rest
// text), its default filled in, its constraints on the control (where the
// check reads them).
function paramField(p, id) {
	const type = p.type || 'string';
	const hints = [sentence(p.description)];
	let control;
	if (p.allowed && p.allowed.length) {
		control = h('select', {},
			p.default === null || p.default === undefined ? h('option', {value: ''}, p.required ? 'Choose…' : '(none)') : null,
			p.allowed.map(v => h('option', {value: show(v), selected: show(v) === show(p.default)}, show(v))));
		control.dataset.allowed = JSON.stringify(p.allowed.map(show));
		hints.push('One of: ' + p.allowed.map(show).join(', ') + '.');
	} else if (type === 'boolean') {
		control = h('input', {type: 'checkbox', checked: p.default === true || p.default === 'true'});
	} else if (type === 'integer' || type === 'number') {
		control = h('input', {type: 'number', step: type === 'integer' ? '1' : 'any', inputmode: type === 'integer' ? 'numeric' : 'decimal',
			value: p.default === null || p.default === undefined ? '' : String(p.default)});
		hints.push(type === 'integer' ? 'A whole number.' : 'A number.');
	} else if (JSON_TYPES[type]) {
		control = h('textarea', {rows: 4, spellcheck: 'false', class: 'mono',
			value: p.default === null || p.default === undefined ? '' : JSON.stringify(p.default, null, 2)});
		hints.push(type === 'array' ? 'A JSON list, e.g. ["a", "b"].' : 'A JSON object, e.g. {"key": "value"}.');
	} else {
		control = h('input', {type: type === 'secret' ? 'password' : 'text', autocomplete: 'off', spellcheck: 'false',
			value: p.default === null || p.default === undefined || type === 'secret' ? '' : show(p.default)});
		if (type === 'duration') hints.push('A duration, e.g. 90s, 30m or 2h.');
	}
	if (p.pattern) {
		control.dataset.pattern = p.pattern;
		hints.push(h('span', {}, 'Must match ', h('code', {}, p.pattern), '.',
			regexp(p.pattern) ? null : ' The server checks it.'));
	}
	if (p.default !== null && p.default !== undefined && type !== 'boolean')
		hints.push(type === 'secret' ? 'Has a default.' : h('span', {}, 'Default: ', h('code', {}, show(p.default)), '.'));
	control.dataset.type = type;
	const f = field({id, name: p.name, label: p.name, control, required: p.required,
		hint: hints.filter(Boolean), check: () => checkParam(control, p.required)});
	f.read = () => readParam(control);
	return f;
}

// A description as a sentence, so the rules after it read apart.
function sentence(text) {
	if (!text) return null;
	return /[.!?)]$/.test(text) ? text : text + '.';
}

// Why the control's value would be refused, or null.  Reads the
// constraints from the control itself.
function checkParam(control, required) {
	const type = control.dataset.type;
	if (control.type === 'checkbox') return null;
	if (control.validity && control.validity.badInput) return `Enter ${type === 'integer' ? 'a whole number' : 'a number'}.`;
	const v = control.value.trim();
	if (v === '') return required ? 'This is required.' : null;
	if (type === 'integer' && !/^[-+]?\d+$/.test(v)) return `“${v}” is not a whole number.`;
	if (type === 'number' && !Number.isFinite(Number(v))) return `“${v}” is not a number.`;
	if (JSON_TYPES[type]) return checkJson(v, JSON_TYPES[type]);
	if (control.dataset.allowed && !JSON.parse(control.dataset.allowed).includes(control.value))
		return `“${control.value}” is not one of the allowed values.`;
	const re = control.dataset.pattern ? regexp(control.dataset.pattern) : null;
	if (re && !re.test(control.value)) return `“${control.value}” does not match the pattern ${control.dataset.pattern}.`;
	return null;
}

// The server's pattern (PCRE2, searched: unanchored unless it anchors)
// as a JavaScript RegExp, or null when the page must leave the check to
// the server: JavaScript cannot compile it (with the u flag), or it uses a
// construct the two read differently (POSIX classes, \pL, \A \Z \z \G
// \Q \E \h \H \R \K \X, inline flags and other (? groups, possessive
// quantifiers, atomic groups).  Never the input's pattern attribute: the
// browser anchors that and reads it with the v flag.
const PCRE_ONLY_ESCAPES = 'AZzGQEhHRKX';

export function regexp(pattern) {
	let inClass = false;
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i], next = pattern[i + 1];
		if (c === '\\') {
			if (PCRE_ONLY_ESCAPES.includes(next)) return null;
			if (next === 'p' || next === 'P') {
				// \p{...}: its closing brace is no quantifier's
				const end = pattern.indexOf('}', i);
				if (pattern[i + 2] !== '{' || end < 0) return null;
				i = end;
				continue;
			}
			i++;
			continue;
		}
		if (inClass) {
			if (c === '[' && next === ':') return null;
			if (c === ']') inClass = false;
			continue;
		}
		if (c === '[') {
			inClass = true;
			if (next === '^') i++;
			// a ] first in a class is a ] to PCRE2, an empty class to JavaScript
			if (pattern[i + 1] === ']') return null;
			continue;
		}
		if (c === '(' && next === '?') {
			const rest = pattern.slice(i + 2);
			if (!/^(?::|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.test(rest)) return null;
			continue;
		}
		if ('*+?}'.includes(c) && next === '+') return null;
	}
	try { return new RegExp(pattern, 'u'); } catch { return null; }
}

function checkJson(text, want) {
	let v;
	try {
		v = JSON.parse(text);
	} catch (e) {
		return 'Not valid JSON: ' + e.message;
	}
	const got = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
	if (got !== want) return want === 'array' ? 'Must be a JSON list ([...]), not ' + got + '.' : 'Must be a JSON object ({...}), not ' + got + '.';
	const dup = duplicateName(text);
	// (JSON.parse keeps the last; the server refuses such an object)
	if (dup !== null) return `Not valid here: an object names the member “${dup}” twice.`;
	return null;
}

// The first member name an object of the JSON text (valid JSON) repeats,
// or null.
export function duplicateName(text) {
	const stack = [];           // per open bracket: {names: Set} for an object, null for a list
	let wantName = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '"') {
			let j = i + 1;
			while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
			const top = stack[stack.length - 1];
			if (wantName && top) {
				const name = JSON.parse(text.slice(i, j + 1));
				if (top.names.has(name)) return name;
				top.names.add(name);
			}
			wantName = false;
			i = j;
		} else if (c === '{') {
			stack.push({names: new Set()});
			wantName = true;
		} else if (c === '[') {
			stack.push(null);
			wantName = false;
		} else if (c === '}' || c === ']') {
			stack.pop();
		} else if (c === ',') {
			wantName = !!stack[stack.length - 1];
		}
	}
	return null;
}

// The control's value as the API takes it; undefined leaves the parameter
// out (the server fills in its default).
function readParam(control) {
	const type = control.dataset.type;
	if (control.type === 'checkbox') return control.checked;
	const v = control.value.trim();
	if (v === '') return undefined;
	if (JSON_TYPES[type]) return JSON.parse(v);
	if (type === 'integer') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
	if (type === 'number') return Number(v);
	return control.value;
}

function collect(fields) {
	const out = {};
	for (const f of fields) {
		const v = f.read();
		if (v !== undefined) out[f.name] = v;
	}
	return out;
}

function specField() {
	const control = h('textarea', {rows: 8, spellcheck: 'false', class: 'mono',
		placeholder: 'apiVersion: score.dev/v1b1\nmetadata:\n  name: my-app\ncontainers: {}'});
	return field({id: 'gp-spec', name: 'spec', label: 'Score spec', control,
		hint: 'YAML or JSON. The workflow sees it as .spec; leave it empty when the golden path needs none.'});
}

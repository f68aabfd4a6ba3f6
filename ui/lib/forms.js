// forms.js - what the pages' forms and lists share: a labelled field with
// its hint and problem, checking a form's fields, a copy button, a
// confirmation dialog and a list of tags.

import {h, setText} from './dom.js';

// A list of tags (or a dash for none).
export function tagList(tags) {
	if (!tags || !tags.length) return '–';
	return h('ul', {class: 'tags'}, tags.map(t => h('li', {}, t)));
}

// field({id, name, label, control, required, hint, check}) -> {el, name,
// control, check(), setProblem(msg)}: a labelled control with its hint
// and its problem, both tied to it by aria-describedby; "required" is a
// word in the label.  check() runs the field's check (a function
// returning a message or null), shows the answer and returns whether the
// value passes; it also runs when the control loses focus.
export function field({id, name, label, control, required = false, hint = null, check = () => null}) {
	const hintId = id + '-hint', problemId = id + '-problem';
	const hints = [].concat(hint || []);
	control.id = id;
	if (name) control.name = name;
	if (required) control.setAttribute('aria-required', 'true');
	control.setAttribute('aria-describedby', (hints.length ? hintId + ' ' : '') + problemId);
	const problem = h('p', {id: problemId, class: 'problem', hidden: true});
	const lab = h('label', {for: id}, label, required ? h('span', {class: 'req'}, ' (required)') : null);
	const hintEl = hints.length ? h('p', {id: hintId, class: 'hint'}, hints.map((x, i) => [i ? ' ' : '', x])) : null;
	const isCheck = control.type === 'checkbox';
	const el = h('div', {class: 'field' + (isCheck ? ' checkfield' : '')},
		isCheck ? h('div', {class: 'checkrow'}, control, lab) : [lab, control], hintEl, problem);
	const f = {
		el, name, control,
		setProblem(msg) {
			setText(problem, msg || '');
			problem.hidden = !msg;
			if (msg) control.setAttribute('aria-invalid', 'true');
			else control.removeAttribute('aria-invalid');
		},
		check() {
			const msg = check();
			f.setProblem(msg);
			return !msg;
		},
	};
	// Checked on leaving a field the user changed (not on merely tabbing
	// through an empty one).  A message must not come or go on the blur
	// of a press on a submit button: the form would shift under the
	// pointer and the click land beside the button.  So a field shown
	// wrong is checked again as it is typed in, and leaving it for a
	// submit button leaves the check to the submit.
	let touched = false;
	const edited = () => {
		touched = true;
		if (control.hasAttribute('aria-invalid')) f.check();
	};
	control.addEventListener('input', edited);
	control.addEventListener('change', edited);
	control.addEventListener('blur', e => {
		const to = e.relatedTarget;
		if (touched && !(to && to.type === 'submit' && to.form === control.form)) f.check();
	});
	return f;
}

// Checks every field; focus goes to the first that fails.  Returns
// whether all pass.
export function checkFields(fields) {
	const bad = fields.filter(f => !f.check());
	if (bad.length) bad[0].control.focus();
	return bad.length === 0;
}

// A button that copies text to the clipboard, saying so in a status
// next to it.  Where the clipboard is not allowed, it selects `select`
// (an input showing the text) for the user to copy by hand.
export function copyButton(text, label, select = null) {
	const said = h('span', {class: 'copy-status', role: 'status'});
	const b = h('button', {type: 'button', class: 'copy', 'aria-label': label}, 'Copy');
	b.addEventListener('click', async () => {
		try {
			await navigator.clipboard.writeText(text);
			said.textContent = 'Copied.';
		} catch {
			if (select) select.select();
			said.textContent = select ? 'Selected: press Ctrl+C to copy.' : 'The browser did not allow copying.';
		}
	});
	return h('span', {class: 'copy-wrap'}, b, said);
}

// A modal question ("Delete shop?") answered by its buttons or Escape
// (no).  Focus starts on Cancel, the harmless answer.  Resolves to true
// for yes.
export function confirmDialog({heading, text, yes, danger = true}) {
	return new Promise(resolve => {
		const no = h('button', {type: 'button', value: 'no'}, 'Cancel');
		const ok = h('button', {type: 'button', value: 'yes', class: danger ? 'danger' : 'primary'}, yes);
		const dlg = h('dialog', {class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text'},
			h('h2', {id: 'confirm-title'}, heading),
			h('p', {id: 'confirm-text'}, text),
			h('div', {class: 'actions'}, no, ok));
		const back = document.activeElement;
		const done = answer => {
			dlg.close();
			dlg.remove();
			if (back && back.isConnected) back.focus();
			resolve(answer);
		};
		no.addEventListener('click', () => done(false));
		ok.addEventListener('click', () => done(true));
		dlg.addEventListener('cancel', e => { e.preventDefault(); done(false); });
		document.body.append(dlg);
		dlg.showModal();
		no.focus();
	});
}

// execution.js - one execution (#/executions/ID?step=NAME&line=N): what
// it is, why it failed, its steps as a graph, its live log, its parameters
// and outputs, and the cancel and retry buttons.
//
// Live: the events stream says when the execution or one of its steps
// changes; the step's box changes at once and a quiet refetch of the
// execution brings the times and messages.  The log is read as a backlog
// (GET .../logs?after=N, pages of 10000) and then followed (SSE) until the
// run ends.  The address keeps the log's step filter (step=) and the line
// shown (line=), so a link to "the line that explains it" can be shared.

import {api, sse, followEvents} from '../lib/api.js';
import {h, fill, badge, dl, show, timeEl, fmtTime, fmtDuration, title, errorBox, liveIndicator, debounce} from '../lib/dom.js';
import {elapsed} from './executions.js';

const REFETCH_MS = 200;
const LOG_PAGE = 10000;        // lines per GET of the backlog (the server's most)
const DOM_LINES = 3000;        // at most this many log lines in the page at once
const MORE_LINES = 2000;       // how many "show earlier/later" adds
const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted', 'skipped'];
const CANCELLABLE = ['pending', 'running'];
const RETRYABLE = ['failed', 'cancelled', 'timed_out', 'interrupted'];
const FAILED = ['failed', 'timed_out'];
const STREAM_STDERR = 2;
const LEVEL_WARN = 2, LEVEL_ERROR = 3;

// ---- the step graph ------------------------------------------------------------------

// Each step's column: 0 for a step that needs none, else one more than the
// furthest step it needs.  An execution recorded before steps told what they
// need (depends_on null) ran its steps in order: a chain.
export function stepLevels(steps) {
	if (steps.some(s => !Array.isArray(s.depends_on))) return steps.map((_, i) => i);
	const byName = new Map(steps.map((s, i) => [s.name, i]));
	const level = new Array(steps.length).fill(null);
	const visit = (i, seen) => {
		if (level[i] !== null) return level[i];
		if (seen.has(i)) return 0;          // a cycle (the server refuses them): flat
		seen.add(i);
		const deps = steps[i].depends_on.filter(d => byName.has(d)).map(d => visit(byName.get(d), seen));
		level[i] = deps.length ? 1 + Math.max(...deps) : 0;
		return level[i];
	};
	steps.forEach((_, i) => visit(i, new Set()));
	return level;
}

function stepDuration(s) {
	if (s.duration_ms !== null && s.duration_ms !== undefined) return s.duration_ms;
	return s.status === 'running' && s.started_ms ? Math.max(0, Date.now() - s.started_ms) : null;
}

// The parts of a step's box that change while it runs.
function stepBody(s) {
	// (a step seen running through an event may not have counted its try yet)
	const n = s.status === 'running' ? Math.max(s.attempts || 0, 1) : s.attempts || 0;
	const tries = n > 1 ? `${n} attempts` : n === 1 ? '1 attempt' : 'not run';
	return [
		h('span', {class: 'name'}, s.name),
		h('span', {class: 'type muted'}, s.type || ''),
		h('span', {class: 'state'}, badge(s.status)),
		h('span', {class: 'meta'}, tries, ' · ', h('span', {class: 'dur'}, fmtDuration(stepDuration(s)))),
		s.message ? h('span', {class: 'msg'}, s.message) : null,
		s.depends_on && s.depends_on.length ? h('span', {class: 'needs'}, 'after ' + s.depends_on.join(', ')) : null,
	];
}

function stepBox(s, onPick) {
	const b = h('button', {type: 'button', class: 'step', 'data-step': s.name, 'data-status': s.status,
		'aria-pressed': 'false', title: 'Show only this step\'s log lines'}, stepBody(s));
	b.addEventListener('click', () => onPick(s.name));
	return b;
}

function drawGraph(el, steps, onPick) {
	const levels = stepLevels(steps);
	const cols = [];
	steps.forEach((s, i) => { (cols[levels[i]] = cols[levels[i]] || []).push(stepBox(s, onPick)); });
	fill(el, cols.filter(Boolean).map((boxes, i) => h('li', {class: 'level', 'aria-label': `Stage ${i + 1}`},
		h('ul', {}, boxes.map(b => h('li', {}, b))))));
}

// Updates the boxes in place (the focused one keeps its focus); false when
// the steps are not those drawn, and the graph must be drawn again.
function patchGraph(el, steps) {
	// (the boxes are in the order of the columns: compared as sets)
	const drawn = new Set([...el.querySelectorAll('.step')].map(b => b.dataset.step));
	if (drawn.size !== steps.length || steps.some(s => !drawn.has(s.name))) return false;
	for (const s of steps) {
		const b = el.querySelector(`.step[data-step="${CSS.escape(s.name)}"]`);
		b.dataset.status = s.status;
		fill(b, stepBody(s));
	}
	return true;
}

// ---- the log ------------------------------------------------------------------------------

// A log of any length: every line is kept in memory, but only a window of
// at most DOM_LINES of the lines that pass the step filter is in the page.
// Lines arriving are queued and drawn once per animation frame, so a
// backlog of 100k lines or a chatty step never blocks the page.
class LogView {
	constructor(execId, {onLine}) {
		this.execId = execId;
		this.onLine = onLine;       // a line's number was clicked: onLine(seq)
		this.all = [];
		this.view = [];             // the lines the filter lets through, by seq
		this.start = 0;             // the window: view[start..end) is in the page
		this.end = 0;
		this.step = null;
		this.lastSeq = -1;
		this.queue = [];
		this.frame = null;
		this.follow = true;
		this.hit = null;            // the highlighted line's seq
		this.ended = false;
		this.lines = h('div', {class: 'lines'});
		this.before = h('div', {class: 'log-more', hidden: true});
		this.after = h('div', {class: 'log-more', hidden: true});
		this.box = h('div', {class: 'log', tabindex: '0', role: 'region', 'aria-label': `Log of execution ${execId}`},
			this.before, this.lines, this.after);
		this.count = h('span', {class: 'muted log-count'});
		this.box.addEventListener('scroll', () => this.scrolled());
		this.box.addEventListener('click', e => this.clicked(e));
		this.box.addEventListener('keydown', e => this.key(e));
	}

	add(lines) {
		for (const l of lines) {
			// a reconnected stream may repeat what it sent
			if (l.seq <= this.lastSeq) continue;
			this.lastSeq = l.seq;
			// (a live line may come without its time: it is about now)
			this.queue.push(l.ts ? l : {...l, ts: Date.now()});
		}
		if (this.queue.length && this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
	}

	passes(l) { return this.step === null || l.step === this.step; }

	flush() {
		this.frame = null;
		const atEnd = this.end === this.view.length;
		const q = this.queue;
		this.queue = [];
		for (const l of q) {
			// seq counts the lines of every execution: n is this log's line number
			l.n = this.all.length + 1;
			this.all.push(l);
			if (this.passes(l)) this.view.push(l);
		}
		if (atEnd) this.grow();
		this.notes();
		if (this.follow) this.toBottom();
	}

	// The window reached the end: it takes the new lines, dropping its
	// oldest while following (or stopping at DOM_LINES while the reader is
	// looking elsewhere).
	grow() {
		const room = this.follow ? this.view.length : Math.min(this.view.length, this.start + DOM_LINES);
		if (room <= this.end) return;
		const from = Math.max(this.end, room - DOM_LINES);
		if (from > this.end) { this.lines.replaceChildren(); this.start = from; }
		this.lines.append(this.nodes(from, room));
		this.end = room;
		const over = this.end - this.start - DOM_LINES;
		if (over > 0) {
			for (let i = 0; i < over; i++) this.lines.firstChild.remove();
			this.start += over;
		}
	}

	nodes(from, to) {
		const frag = document.createDocumentFragment();
		for (let i = from; i < to; i++) frag.append(this.lineEl(this.view[i]));
		return frag;
	}

	lineEl(l) {
		const cls = ['line'];
		if (l.stream === STREAM_STDERR) cls.push('stderr');
		if (l.level >= LEVEL_ERROR) cls.push('lvl-error');
		else if (l.level === LEVEL_WARN) cls.push('lvl-warn');
		if (l.seq === this.hit) cls.push('hit');
		const kind = l.stream === STREAM_STDERR ? ' (stderr)' : l.level >= LEVEL_ERROR ? ' (error)' : '';
		return h('div', {class: cls.join(' '), 'data-seq': l.seq, 'data-n': l.n, 'data-step': l.step || ''},
			h('a', {class: 'seq', href: this.permalink(l.n), tabindex: '-1', title: 'Link to this line' + kind}, String(l.n)),
			h('span', {class: 'ts'}, fmtTime(l.ts).slice(11)),
			h('span', {class: 'step'}, l.step || 'run'),
			h('span', {class: 'text'}, kind ? h('span', {class: 'sr-only'}, kind.trim() + ' ') : null, l.line === null ? '' : l.line));
	}

	// A link to the line numbered n (the number shown: this log's, not the
	// store's seq).
	permalink(n) {
		const q = new URLSearchParams();
		if (this.step !== null) q.set('step', this.step);
		q.set('line', n);
		return `#/executions/${this.execId}?${q}`;
	}

	// Draws view[from..to) afresh.
	redraw(from, to) {
		this.start = from;
		this.end = to;
		this.lines.replaceChildren(this.nodes(from, to));
		this.notes();
	}

	notes() {
		const earlier = this.start, later = this.view.length - this.end;
		const btn = (text, f) => h('button', {type: 'button', class: 'link', onclick: f}, text);
		this.before.hidden = earlier === 0;
		if (earlier) fill(this.before, `${earlier} earlier line${earlier === 1 ? '' : 's'} not shown. `,
			btn(`Show ${Math.min(earlier, MORE_LINES)} more`, () => this.showEarlier()), ' ',
			btn('Go to the start', () => { this.setFollow(false); this.redraw(0, Math.min(this.view.length, DOM_LINES)); this.box.scrollTop = 0; }));
		this.after.hidden = later === 0;
		if (later) fill(this.after, `${later} later line${later === 1 ? '' : 's'} not shown. `,
			btn(`Show ${Math.min(later, MORE_LINES)} more`, () => this.showLater()), ' ',
			btn('Go to the end', () => this.setFollow(true)));
		const n = this.view.length;
		this.count.textContent = `${n} line${n === 1 ? '' : 's'}` + (this.step !== null ? ` of step ${this.step}` : '') +
			(this.ended ? '' : ' so far');
	}

	showEarlier() {
		const from = Math.max(0, this.start - MORE_LINES);
		const height = this.box.scrollHeight;
		this.lines.prepend(this.nodes(from, this.start));
		this.start = from;
		// the lines read stay where they were
		this.box.scrollTop += this.box.scrollHeight - height;
		this.notes();
	}

	showLater() {
		const to = Math.min(this.view.length, this.end + MORE_LINES);
		this.lines.append(this.nodes(this.end, to));
		this.end = to;
		this.notes();
	}

	setFilter(step) {
		this.step = step;
		this.view = step === null ? this.all.slice() : this.all.filter(l => this.passes(l));
		const to = this.view.length;
		this.redraw(Math.max(0, to - DOM_LINES), to);
		for (const a of this.lines.querySelectorAll('a.seq')) a.href = this.permalink(Number(a.parentNode.dataset.n));
		if (this.follow) this.toBottom();
	}

	setFollow(on) {
		this.follow = on;
		this.followBox.checked = on;
		if (on) {
			const to = this.view.length;
			if (this.end !== to) this.redraw(Math.max(0, to - DOM_LINES), to);
			this.toBottom();
		}
	}

	toBottom() {
		this.box.scrollTop = this.box.scrollHeight;
	}

	// A reader scrolling up stops the following (the box checked again
	// starts it); the page's own scrolling keeps to the bottom or stops it
	// first.
	scrolled() {
		if (!this.follow) return;
		if (this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight > 8) this.setFollow(false);
	}

	clicked(e) {
		const a = e.target.closest('a.seq');
		if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
		e.preventDefault();
		this.onLine(Number(a.parentNode.dataset.seq));
	}

	// Enter on the log goes to its lines (the highlighted one, else the
	// first in sight); Up and Down move between the lines' links.
	key(e) {
		if (e.key === 'Enter' && e.target === this.box) {
			const top = this.box.getBoundingClientRect().top;
			const to = this.lines.querySelector('.line.hit') ||
				[...this.lines.children].find(l => l.getBoundingClientRect().bottom > top);
			if (to) { e.preventDefault(); to.querySelector('a.seq').focus(); }
			return;
		}
		if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
		const line = e.target.closest && e.target.closest('.line');
		if (!line) return;
		const next = e.key === 'ArrowDown' ? line.nextElementSibling : line.previousElementSibling;
		if (next) { e.preventDefault(); next.querySelector('a.seq').focus(); }
	}

	// Shows, highlights and focuses the line seq (drawing the window around
	// it when it is not in the page); false when no such line passes the
	// filter.
	reveal(seq, {focus = true} = {}) {
		const i = this.indexOf(seq);
		if (i < 0) return false;
		this.setFollow(false);
		this.hit = seq;
		for (const el of this.lines.querySelectorAll('.line.hit')) el.classList.remove('hit');
		if (i < this.start || i >= this.end) {
			const from = Math.max(0, i - DOM_LINES / 2);
			this.redraw(from, Math.min(this.view.length, from + DOM_LINES));
		}
		const el = this.lines.querySelector(`.line[data-seq="${seq}"]`);
		el.classList.add('hit');
		this.box.scrollTop = el.offsetTop - this.box.clientHeight / 3;
		if (focus) el.querySelector('a.seq').focus({preventScroll: true});
		return true;
	}

	// The seq of the line numbered n, or -1.
	seqOf(n) {
		const l = Number.isSafeInteger(n) && n >= 1 ? this.all[n - 1] : undefined;
		return l ? l.seq : -1;
	}

	// The number shown of the line seq.
	numberOf(seq) {
		const i = this.indexOf(seq);
		return i < 0 ? null : this.view[i].n;
	}

	// view is in seq order: a binary search
	indexOf(seq) {
		let lo = 0, hi = this.view.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1, s = this.view[mid].seq;
			if (s === seq) return mid;
			if (s < seq) lo = mid + 1; else hi = mid - 1;
		}
		return -1;
	}

	// The last line of step (null: of any) that pred accepts, or null.
	findLast(step, pred) {
		for (let i = this.all.length - 1; i >= 0; i--) {
			const l = this.all[i];
			if ((step === null || l.step === step) && pred(l)) return l;
		}
		return null;
	}

	// The line that most often says why a step failed: its last one on
	// stderr, else its last error, else its last line.
	explaining(step) {
		return this.findLast(step, l => l.stream === STREAM_STDERR) || this.findLast(step, l => l.level >= LEVEL_ERROR) ||
			this.findLast(step, () => true);
	}

	// Draws what is queued now (the backlog was read), not at the next frame.
	settle() {
		if (this.frame !== null) { cancelAnimationFrame(this.frame); this.flush(); }
	}

	finish() {
		this.ended = true;
		this.notes();
	}

	// The controls above the log: the step filter (onFilter(name or null))
	// and "Follow the end".
	toolbar(steps, onFilter) {
		this.stepSelect = h('select', {id: 'log-step'},
			h('option', {value: ''}, 'All steps'),
			steps.map(s => h('option', {value: s.name, selected: s.name === this.step}, s.name)));
		this.stepSelect.addEventListener('change', () => onFilter(this.stepSelect.value || null));
		this.followBox = h('input', {type: 'checkbox', id: 'log-follow', checked: this.follow});
		this.followBox.addEventListener('change', () => this.setFollow(this.followBox.checked));
		return h('div', {class: 'log-tools'},
			h('div', {class: 'field'}, h('label', {for: 'log-step'}, 'Step'), this.stepSelect),
			h('div', {class: 'field check'}, this.followBox, h('label', {for: 'log-follow'}, 'Follow the end')),
			this.count);
	}
}

// Reads the backlog of the log into view, then follows it while the run
// goes on.  Resolves when the backlog is in (the follower runs on).
async function readLog(execId, view, {signal, onEnd}) {
	let after = 0, res;
	do {
		res = await api(`/api/workflows/${execId}/logs`, {query: {after, limit: LOG_PAGE}, signal});
		view.add(res.lines);
		after = res.next_after;
	} while (res.lines.length === LOG_PAGE);
	view.settle();
	if (FINAL.includes(res.status)) { view.finish(); return; }
	sse(last => `/api/workflows/${execId}/logs?follow=1&after=${last === null ? after : last}`, {signal,
		onEvent: (type, d) => {
			if (type === 'log' && d && typeof d === 'object') view.add([d]);
			if (type === 'end') { view.finish(); onEnd(); return 'stop'; }
			return undefined;
		}});
}

// ---- the parts of the page ------------------------------------------------------------

function values(obj, none) {
	const pairs = obj && typeof obj === 'object' ? Object.entries(obj) : [];
	if (!pairs.length) return h('p', {class: 'muted'}, none);
	return dl(pairs.map(([k, v]) => [k, v !== null && typeof v === 'object' ? h('pre', {}, show(v)) : h('code', {}, show(v))]));
}

function summary(e) {
	return dl([
		['Workflow', e.workflow || '–'],
		['Kind', e.kind || '–'],
		['Application', e.app || '–'],
		['Team', e.team || '–'],
		['Created by', e.created_by || '–'],
		['Created', timeEl(e.created_ms)],
		['Started', timeEl(e.started_ms)],
		['Ended', timeEl(e.ended_ms)],
		['Duration', h('span', {class: 'exec-dur'}, fmtDuration(elapsed(e)))],
		e.message ? ['Message', h('span', {class: 'msg'}, e.message)] : null,
		e.retry_of ? ['Retry of', h('a', {href: '#/executions/' + e.retry_of}, 'execution #' + e.retry_of)] : null,
		e.dry_run ? ['Dry run', 'yes: nothing was changed'] : null,
	]);
}

// The step that made the run fail, if one did.
const failedStep = e => (e.steps || []).find(s => FAILED.includes(s.status)) || null;

// s: the failed step (or null); line: the line of its log that explains
// it, once the log is read (or null).
function failureBox(e, s, line, onShow) {
	const q = new URLSearchParams();
	if (s) q.set('step', s.name);
	if (line) q.set('line', line.n);
	const link = h('a', {href: `#/executions/${e.id}${q.size ? '?' + q : ''}`, class: 'show-failure'},
		s ? 'Show the failing step\'s log' : 'Show the log');
	link.addEventListener('click', ev => { ev.preventDefault(); onShow(s); });
	return h('section', {class: 'failure', 'aria-labelledby': 'why-title'},
		h('h2', {id: 'why-title'}, s ? `Step “${s.name}” ${s.status === 'timed_out' ? 'timed out' : 'failed'}` : 'The run failed'),
		s && s.message ? h('p', {class: 'msg'}, s.message) : null,
		e.message && (!s || !s.message || !e.message.includes(s.message)) ? h('p', {class: 'msg'}, e.message) : null,
		line && line.line ? [h('p', {class: 'said'}, 'From its log:'), h('pre', {class: 'said-line'}, line.line)] : null,
		h('p', {}, link));
}

// ---- the page ------------------------------------------------------------------------------

export default {
	async render(ctx) {
		const id = ctx.params[0];
		if (!/^\d+$/.test(id || '')) {
			ctx.root.append(title('Execution'), errorBox(`“${id}” is no execution id.`));
			return;
		}
		ctx.setTitle('Execution ' + id);
		const loading = h('p', {class: 'muted loading'}, 'Loading…');
		ctx.root.append(loading);
		let e;
		try {
			e = await api('/api/workflows/' + id, {signal: ctx.signal});
		} catch (err) {
			if (err.name === 'AbortError' || err.status !== 404) throw err;
			loading.replaceWith(title('Execution ' + id), errorBox(err), h('p', {}, h('a', {href: '#/executions'}, 'All executions')));
			return;
		}
		ctx.setTitle(`Execution ${id} · ${e.workflow}`);
		await new ExecutionPage(ctx, e, loading).start();
	},
};

class ExecutionPage {
	constructor(ctx, e, placeholder) {
		this.ctx = ctx;
		this.e = e;
		const want = ctx.query.get('step');
		this.log = new LogView(e.id, {onLine: seq => this.pickLine(seq)});
		this.log.step = (e.steps || []).some(s => s.name === want) ? want : null;
		this.live = liveIndicator();
		this.badge = h('span', {class: 'head-status'}, badge(e.status));
		this.actions = h('div', {class: 'actions exec-actions'});
		this.problem = h('div', {class: 'action-problem', role: 'alert'});
		this.why = h('div', {class: 'why'});
		this.summary = h('div', {class: 'summary'}, summary(e));
		this.graph = h('ol', {class: 'graph', 'aria-label': 'Steps, in the order they can run'});
		this.params = h('div', {}, values(e.parameters, 'No parameters.'));
		this.outputs = h('div', {}, values(e.outputs, FINAL.includes(e.status) ? 'No outputs.' : 'No outputs yet.'));
		this.logSection = h('section', {class: 'log-section', 'aria-labelledby': 'log-title'},
			h('h2', {id: 'log-title'}, 'Log'), this.log.toolbar(e.steps || [], s => this.filter(s)), this.log.box,
			h('p', {class: 'muted hint'}, 'A line\'s number is a link to it. By keyboard: Enter in the log goes to its lines, ↑ and ↓ move between them.'));
		this.refetch = debounce(() => this.refresh(), REFETCH_MS);
		placeholder.replaceWith(
			title(`Execution #${e.id}: ${e.workflow}`, this.badge, this.live),
			this.actions, this.problem, this.why,
			h('section', {'aria-labelledby': 'sum-title'}, h('h2', {id: 'sum-title', class: 'sr-only'}, 'Summary'), this.summary),
			h('section', {'aria-labelledby': 'steps-title'}, h('h2', {id: 'steps-title'}, 'Steps'),
				(e.steps || []).length ? this.graph : h('p', {class: 'muted'}, 'No steps recorded.')),
			this.logSection,
			h('div', {class: 'two'},
				h('section', {'aria-labelledby': 'par-title'}, h('h2', {id: 'par-title'}, 'Parameters'), this.params),
				h('section', {'aria-labelledby': 'out-title'}, h('h2', {id: 'out-title'}, 'Outputs'), this.outputs)));
		drawGraph(this.graph, e.steps || [], name => this.pickStep(name));
		this.markPicked();
		this.drawState();
	}

	async start() {
		const {signal} = this.ctx;
		// an execution that has ended changes no more (a retry is another one)
		if (!FINAL.includes(this.e.status)) {
			followEvents({signal, onEvent: (type, d) => this.onEvent(type, d), onState: s => {
				this.live.set(s);
				if (s === 'open') this.refetch();
			}});
			this.tick(signal);
		}
		this.logReady = readLog(this.e.id, this.log, {signal, onEnd: () => this.refetch()});
		await this.logReady;
		this.logRead = true;
		this.drawWhy();
		const line = Number(this.ctx.query.get('line'));
		if (line && !this.log.reveal(this.log.seqOf(line))) this.problem.append(h('p', {class: 'notice'}, `Line ${line} is not in this log` +
			(this.log.step ? ` of step ${this.log.step}.` : '.')));
	}

	// Durations of what runs go on counting between refetches.
	tick(signal) {
		const t = setInterval(() => {
			if (FINAL.includes(this.e.status)) return;
			for (const s of this.e.steps || []) {
				if (s.status !== 'running') continue;
				const b = this.graph.querySelector(`.step[data-step="${CSS.escape(s.name)}"] .dur`);
				if (b) b.textContent = fmtDuration(stepDuration(s));
			}
			const d = this.summary.querySelector('.exec-dur');
			if (d) d.textContent = fmtDuration(elapsed(this.e));
		}, 1000);
		signal.addEventListener('abort', () => clearInterval(t));
	}

	onEvent(type, d) {
		if (!d || typeof d !== 'object' || String(d.execution) !== String(this.e.id)) return;
		// what the event says is shown at once; the refetch brings the rest
		if (type.startsWith('step.') && d.step) {
			const s = (this.e.steps || []).find(x => x.name === d.step);
			if (s && d.status) {
				s.status = d.status;
				if (d.attempt) s.attempts = d.attempt;
				if (d.status === 'running' && !s.started_ms) s.started_ms = Date.now();
			}
			if (s) patchGraph(this.graph, this.e.steps);
		} else if (type.startsWith('execution.') && d.status) {
			this.e.status = d.status;
			fill(this.badge, badge(d.status));
			this.drawState();
		}
		this.refetch();
	}

	async refresh() {
		let e;
		try {
			e = await api('/api/workflows/' + this.e.id, {signal: this.ctx.signal});
		} catch (err) {
			if (err.name !== 'AbortError') this.live.set('retrying');
			return;
		}
		this.e = e;
		fill(this.badge, badge(e.status));
		fill(this.summary, summary(e));
		if (!patchGraph(this.graph, e.steps || [])) drawGraph(this.graph, e.steps || [], name => this.pickStep(name));
		this.markPicked();
		fill(this.params, values(e.parameters, 'No parameters.'));
		fill(this.outputs, values(e.outputs, FINAL.includes(e.status) ? 'No outputs.' : 'No outputs yet.'));
		if (this.drawn !== e.status) this.drawState();
		else this.drawWhy();
	}

	// What depends on the status: the buttons and the live indicator (a
	// run that ended has nothing more to say).
	drawState() {
		const e = this.e;
		this.drawn = e.status;
		const hadFocus = this.actions.contains(document.activeElement);
		const buttons = [];
		if (CANCELLABLE.includes(e.status)) buttons.push(h('button', {type: 'button', class: 'danger', onclick: () => this.confirmCancel()}, 'Cancel run…'));
		if (e.status === 'cancelling') buttons.push(h('button', {type: 'button', disabled: true}, 'Cancelling…'));
		if (RETRYABLE.includes(e.status) && !e.dry_run) buttons.push(h('button', {type: 'button', class: 'primary', onclick: ev => this.retry(ev.target)}, 'Retry'));
		fill(this.actions, buttons);
		this.actions.hidden = buttons.length === 0;
		if (hadFocus) (this.actions.querySelector('button:not(:disabled)') || document.querySelector('main h1')).focus();
		this.live.hidden = FINAL.includes(e.status);
		this.drawWhy();
	}

	// The failure's box, drawn again only when what it says changed (its
	// link may have the focus).
	drawWhy() {
		let box = null;
		if (FAILED.includes(this.e.status)) {
			const s = failedStep(this.e);
			const line = this.logRead ? this.log.explaining(s ? s.name : null) : null;
			box = failureBox(this.e, s, line, step => this.showFailure(step));
		}
		if ((box ? box.textContent : '') !== this.why.textContent) fill(this.why, box);
	}

	confirmCancel() {
		const no = h('button', {type: 'button', onclick: () => this.drawState()}, 'No, keep it running');
		const yes = h('button', {type: 'button', class: 'danger', onclick: () => this.cancel(yes)}, 'Yes, cancel it');
		fill(this.actions, h('div', {class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-q'},
			h('span', {id: 'confirm-q'}, `Cancel execution #${this.e.id}? The step running now is stopped and the rest do not run.`),
			yes, no));
		no.focus();
	}

	async cancel(button) {
		await this.act(button, async () => {
			const r = await api(`/api/workflows/${this.e.id}/cancel`, {method: 'POST', signal: this.ctx.signal});
			this.e.status = r && r.status ? r.status : 'cancelling';
			fill(this.badge, badge(this.e.status));
			this.drawState();
			this.refetch();
		});
	}

	async retry(button) {
		await this.act(button, async () => {
			const r = await api(`/api/workflows/${this.e.id}/retry`, {method: 'POST', body: {}, signal: this.ctx.signal});
			this.ctx.go('#/executions/' + r.id);
		});
	}

	// Runs a button's request; the server's refusal is shown as it says it.
	async act(button, fn) {
		fill(this.problem);
		button.disabled = true;
		try {
			await fn();
		} catch (err) {
			if (err.name === 'AbortError') return;
			fill(this.problem, errorBox(err));
			button.disabled = false;
			this.refetch();
		}
	}

	// ---- the log's filter and lines ----

	filter(step) {
		this.log.setFilter(step);
		if (this.log.stepSelect.value !== (step || '')) this.log.stepSelect.value = step || '';
		this.markPicked();
		this.ctx.setQuery({step});
	}

	pickStep(name) {
		this.filter(this.log.step === name ? null : name);
		this.logSection.scrollIntoView({block: 'nearest'});
	}

	markPicked() {
		for (const b of this.graph.querySelectorAll('.step')) b.setAttribute('aria-pressed', String(b.dataset.step === this.log.step));
	}

	pickLine(seq) {
		this.log.reveal(seq);
		this.ctx.setQuery({step: this.log.step, line: this.log.numberOf(seq)});
	}

	// The failing step's log, at its last line on stderr (else its last
	// error, else its last line): most often the line that says why.
	async showFailure(s) {
		await this.logReady;
		this.filter(s ? s.name : null);
		const l = this.log.explaining(s ? s.name : null);
		this.logSection.scrollIntoView({block: 'start'});
		if (l) this.pickLine(l.seq);
	}
}

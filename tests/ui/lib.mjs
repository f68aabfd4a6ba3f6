// lib.mjs - what the dashboard's browser tests share: a real innominatus
// server of this build (SQLite store, shell.so and a plugin its policy
// refuses), Debian's Chromium driven headless through playwright-core, TAP
// output, screenshots kept as artefacts, an axe-core accessibility check
// and the watch that no key reaches a URL or the server's log.
//
// Every test file: const t = await start('name', {files: {...}}); ...
// t.ok(cond, 'what a user would notice', detail); ... await t.end();

import {spawn, execFileSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync, copyFileSync, existsSync, openSync, closeSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, dirname} from 'node:path';
import {createRequire} from 'node:module';

const require = createRequire(join(process.env.INN_UI_MODULES || process.cwd(), 'package.json'));
const {chromium} = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const BUILD = process.env.INN_TOP_BUILDDIR;
export const SRC = process.env.INN_TOP_SRCDIR;
export const ARTEFACTS = join(BUILD, 'tests', 'ui', 'artefacts');
const CHROMIUM = process.env.INN_CHROMIUM || '/usr/bin/chromium';

// The platform every test starts from: a provider "demo" whose workflows
// greet (typed parameters), run slowly (to be cancelled), fail (with the
// line that says why among others) and print a secret (masked); golden
// paths over them; shell allowed, the hello plugin refused by the policy.
export const BASE_FILES = {
	'providers/demo/provider.yaml': `name: demo
version: 1.2.0
description: The dashboard tests' provider
owner: demo-team@example.org
category: testing
workflows_dir: workflows
`,
	'providers/demo/workflows/greet.yaml': `name: greet
description: Greets someone a few times
parameters:
  - {name: who, type: string, required: true, pattern: '^[a-z][a-z0-9-]*$', description: "Who to greet (lower case letters, digits, -)"}
  - {name: times, type: integer, default: 2, description: How many greetings}
  - {name: loud, type: boolean, default: false, description: Shout}
  - {name: colour, type: string, default: red, allowed_values: [red, green, blue], description: The colour of the greeting}
steps:
  - name: prepare
    type: shell
    config: {script: 'echo "preparing a greeting for $WHO"; sleep 0.5', env: {WHO: "{{ .parameters.who }}"}}
  - name: greet
    type: shell
    depends_on: [prepare]
    config:
      script: 'for i in $(seq "$N"); do echo "hello $WHO ($COLOUR)"; sleep 0.4; done; echo "greeting=hello $WHO" >> "$INNOMINATUS_OUTPUT"'
      env: {WHO: "{{ .parameters.who }}", N: "{{ .parameters.times }}", COLOUR: "{{ .parameters.colour }}"}
  - name: sign
    type: shell
    depends_on: [prepare]
    config: {script: 'echo "signed"; sleep 0.3'}
  - name: report
    type: shell
    depends_on: [greet, sign]
    config: {script: 'echo "all done"'}
outputs:
  greeting: "\${steps.greet.outputs.greeting}"
`,
	'providers/demo/workflows/slow.yaml': `name: slow
description: Takes minutes, printing a line a second
parameters:
  - {name: seconds, type: integer, default: 300, description: How long}
steps:
  - name: wait
    type: shell
    config: {script: 'i=0; while [ $i -lt "$S" ]; do i=$((i+1)); echo "tick $i"; sleep 1; done', env: {S: "{{ .parameters.seconds }}"}}
`,
	'providers/demo/workflows/broken.yaml': `name: broken
description: Fails in its second step, saying why
steps:
  - name: fetch
    type: shell
    config: {script: 'echo "fetching the schema"; echo "schema version 7"'}
  - name: migrate
    type: shell
    depends_on: [fetch]
    config: {script: 'echo "applying migration 0001"; echo "applying migration 0002"; echo "ERROR: migration 0003 needs column owner_id, which table orders does not have" >&2; exit 3'}
  - name: notify
    type: shell
    depends_on: [migrate]
    config: {script: 'echo "never printed"'}
`,
	'goldenpaths.yaml': `goldenpaths:
  greet:
    workflow: ./providers/demo/workflows/greet.yaml
    description: Greet someone, with a colour
    category: demo
    tags: [demo, hello]
    estimated_duration: a few seconds
  slow:
    workflow: ./providers/demo/workflows/slow.yaml
    description: A slow run, for cancelling
    category: demo
    estimated_duration: 5 minutes
  broken:
    workflow: ./providers/demo/workflows/broken.yaml
    description: A run that fails, with the reason in its log
    category: demo
    estimated_duration: seconds
`,
	'innominatus.yaml': `server:
  db: data/innominatus.db
  stateDir: data/state
  goldenpaths: goldenpaths.yaml
  accessLog: true
providers:
  - {name: demo, type: filesystem, path: providers/demo}
workflowPolicies:
  allowedStepTypes: [shell]
`,
};

// ---- TAP ------------------------------------------------------------------------

class Tap {
	constructor() { this.n = 0; this.failed = 0; }
	ok(cond, desc, detail) {
		this.n++;
		if (!cond) this.failed++;
		console.log(`${cond ? 'ok' : 'not ok'} ${this.n} - ${desc}`);
		if (!cond && detail !== undefined)
			for (const l of String(typeof detail === 'string' ? detail : JSON.stringify(detail)).split('\n').slice(0, 40))
				console.log('# ' + l);
		return !!cond;
	}
	note(s) { for (const l of String(s).split('\n')) console.log('# ' + l); }
}

// ---- the server -----------------------------------------------------------------

function serverCmd(dir) {
	return [join(BUILD, 'innominatus'), '--config', join(dir, 'innominatus.yaml'), '--plugin-dir', join(dir, 'plugins')];
}

function serverEnv() {
	const env = {...process.env};
	for (const k of Object.keys(env)) if (k.startsWith('INNOMINATUS_')) delete env[k];
	return env;
}

// Starts the server on listen (127.0.0.1:0: a free port) and waits for the
// line that says where it listens (after the lines of an earlier start).
async function spawnServer(dir, listen) {
	const [bin, ...args] = serverCmd(dir);
	const logPath = join(dir, 'server.log');
	const seen = existsSync(logPath) ? readFileSync(logPath, 'utf8').length : 0;
	const out = openSync(logPath, 'a');
	const proc = spawn(bin, [...args, '--listen', listen], {env: serverEnv(), stdio: ['ignore', out, out]});
	closeSync(out);
	let url = null;
	for (let i = 0; i < 400 && !url; i++) {
		await new Promise(r => setTimeout(r, 50));
		const m = /listening on (http:\S+)/.exec(readFileSync(logPath, 'utf8').slice(seen));
		if (m) url = m[1];
		if (proc.exitCode !== null) break;
	}
	if (!url) throw new Error('the server did not start:\n' + readFileSync(logPath, 'utf8'));
	return {proc, url};
}

async function startServer(dir) {
	const [bin, ...args] = serverCmd(dir);
	const adminKey = execFileSync(bin, [...args, '--create-admin-key', 'admin'], {env: serverEnv(), encoding: 'utf8'}).trim();
	const logPath = join(dir, 'server.log');
	const srv = {adminKey, logPath, log: () => readFileSync(logPath, 'utf8'), ...await spawnServer(dir, '127.0.0.1:0')};
	// stops the server (SIGTERM) and starts it again on the same address
	srv.restart = async () => {
		await stopProc(srv.proc);
		srv.proc = (await spawnServer(dir, new URL(srv.url).host)).proc;
	};
	return srv;
}

async function stopProc(proc) {
	if (proc.exitCode !== null || proc.signalCode !== null) return;
	const gone = new Promise(r => proc.on('exit', r));
	proc.kill('SIGTERM');
	await gone;
}

// ---- what pages look like -------------------------------------------------------

// Whether the page's background is dark (relative luminance below 0.2).
export async function isDark(page) {
	const rgb = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	const [r, g, b] = (rgb.match(/[\d.]+/g) || []).slice(0, 3).map(Number).map(c => {
		const v = c / 255;
		return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
	});
	return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.2;
}

// ---- the test ------------------------------------------------------------------

// start(name, {files}) -> t: t.ok/t.note, t.url, t.adminKey, t.dir, t.api(path,
// {method, body, key}), t.page({width, colorScheme}) -> a Playwright page,
// t.login(page, key, hash), t.shot(page, name), t.axe(page, label),
// t.runExec(goldenPath, params) -> id, t.waitExec(id, statuses),
// t.watch(secret), t.expectConsole(re), t.restart(), t.end().
export async function start(name, {files = {}} = {}) {
	const t = new Tap();
	const dir = mkdtempSync(join(tmpdir(), `inn-ui-${name}-`));
	chmodSync(dir, 0o755);
	const all = {...BASE_FILES, ...files};
	for (const [p, text] of Object.entries(all)) {
		if (text === null) continue;
		mkdirSync(dirname(join(dir, p)), {recursive: true});
		writeFileSync(join(dir, p), text);
	}
	mkdirSync(join(dir, 'plugins'), {recursive: true});
	mkdirSync(join(dir, 'data'), {recursive: true});
	chmodSync(join(dir, 'plugins'), 0o755);
	copyFileSync(process.env.INN_SHELL_SO, join(dir, 'plugins', 'shell.so'));
	chmodSync(join(dir, 'plugins', 'shell.so'), 0o755);
	if (process.env.INN_HELLO_SO) {
		copyFileSync(process.env.INN_HELLO_SO, join(dir, 'plugins', 'hello.so'));
		chmodSync(join(dir, 'plugins', 'hello.so'), 0o755);
	}
	mkdirSync(ARTEFACTS, {recursive: true});

	const srv = await startServer(dir);
	const browser = await chromium.launch({
		executablePath: CHROMIUM, headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
	});
	const keys = new Set([srv.adminKey]);
	const urls = [];          // every URL any page asked for
	const problems = [];      // console errors, CSP violations, page errors
	const expected = [];      // console errors a test causes on purpose (t.expectConsole)

	Object.assign(t, {
		name, dir, url: srv.url, adminKey: srv.adminKey, server: srv, browser, urls, problems,

		async api(path, {method = 'GET', body, key = srv.adminKey} = {}) {
			const res = await fetch(srv.url + path, {method, headers: {Authorization: 'Bearer ' + key,
				'Content-Type': 'application/json'}, body: body === undefined ? undefined : JSON.stringify(body)});
			const text = await res.text();
			let json = null;
			try { json = JSON.parse(text); } catch { /* not JSON */ }
			return {status: res.status, json, text, headers: res.headers};
		},

		// a key of another role or team (remembered: the no-leak check looks for it)
		async key(name, role = 'user', team = null) {
			const r = await t.api('/api/admin/keys', {method: 'POST', body: {name, role, ...(team ? {team} : {})}});
			if (r.status !== 201 && r.status !== 200) throw new Error('key: ' + r.text);
			keys.add(r.json.key);
			return r.json.key;
		},

		async page({width = 1280, height = 900, colorScheme = 'light'} = {}) {
			const ctx = await browser.newContext({viewport: {width, height}, colorScheme});
			const page = await ctx.newPage();
			page.on('request', r => urls.push(r.url()));
			page.on('console', m => {
				if (m.type() === 'error' && !expected.some(re => re.test(m.text())))
					problems.push(`${m.text()} (${page.url().replace(/#.*/, '')})`);
			});
			page.on('pageerror', e => problems.push('page error: ' + e.message));
			return page;
		},

		// signs in through the fragment and waits for the page asked for
		async login(page, key = srv.adminKey, hash = '#/executions') {
			const frag = hash.startsWith('#/') ? `#key=${encodeURIComponent(key)}` : `#key=${encodeURIComponent(key)}&${hash.slice(1)}`;
			await page.goto(srv.url + '/' + frag);
			if (hash.startsWith('#/') && hash !== '#/executions') await page.evaluate(h => { location.hash = h; }, hash);
			await page.waitForSelector('#nav:not([hidden])');
			await page.waitForSelector('main h1');
		},

		// a string that must never reach a URL or the server's log (a
		// wrong key typed, a secret)
		watch(secret) { keys.add(secret); },

		// console errors the test causes on purpose and expects (Chromium
		// logs every failed request: the 401 of a wrong key, a refused
		// connection while the server restarts); each is matched by re
		expectConsole(re) { expected.push(re); },

		restart: () => srv.restart(),

		async shot(page, label) {
			const f = join(ARTEFACTS, `${name}-${label}.png`);
			await page.screenshot({path: f, fullPage: true});
			return f;
		},

		// axe-core on the page as it is: labels, names, contrast (WCAG 2 A/AA)
		async axe(page, label) {
			await page.evaluate(AXE);
			const res = await page.evaluate(async () => {
				// eslint-disable-next-line no-undef
				const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
				return r.violations.map(v => `${v.id} (${v.impact}): ${v.help} -- ` +
					v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\n/g, ' ')).join(' | '));
			});
			return t.ok(res.length === 0, `accessibility (axe-core, WCAG 2 AA): ${label}`, res.join('\n'));
		},

		// What every page is checked for as it stands: axe in the light and
		// the dark theme, no sideways scrolling at 360 px, and screenshots
		// of the four (NAME-label-light, -dark, -360-light, -360-dark).
		async inspect(page, label) {
			const size = page.viewportSize();
			for (const scheme of ['light', 'dark']) {
				await page.emulateMedia({colorScheme: scheme});
				t.ok(await isDark(page) === (scheme === 'dark'), `${label}: the ${scheme} theme is shown when the system asks for it`);
				await t.axe(page, `${label} (${scheme})`);
				await t.shot(page, `${label}-${scheme}`);
			}
			await page.setViewportSize({width: 360, height: 740});
			const wide = await page.evaluate(() => document.documentElement.scrollWidth);
			t.ok(wide <= 360, `${label}: nothing scrolls sideways at 360 px wide`, `scrollWidth ${wide}`);
			for (const scheme of ['light', 'dark']) {
				await page.emulateMedia({colorScheme: scheme});
				await t.shot(page, `${label}-360-${scheme}`);
			}
			await page.emulateMedia({colorScheme: 'light'});
			await page.setViewportSize(size);
		},

		// a run started over the API (for pages that show runs)
		async runExec(gp, parameters = {}) {
			const r = await t.api(`/api/golden-paths/${gp}/run`, {method: 'POST', body: {parameters}});
			if (r.status !== 202) throw new Error(`run ${gp}: ${r.status} ${r.text}`);
			return r.json.id;
		},

		async waitExec(id, statuses = ['succeeded', 'failed', 'cancelled'], ms = 60000) {
			const until = Date.now() + ms;
			for (;;) {
				const r = await t.api(`/api/workflows/${id}`);
				if (statuses.includes(r.json.status)) return r.json;
				if (Date.now() > until) throw new Error(`execution ${id} still ${r.json.status}`);
				await new Promise(res => setTimeout(res, 100));
			}
		},

		async end() {
			// what every test checks at its end: no key in any URL a page asked
			// for, none in the server's log; no console error or CSP violation
			const leaked = urls.filter(u => [...keys].some(k => u.includes(k) || u.includes(encodeURIComponent(k))));
			t.ok(leaked.length === 0, 'no key appears in any URL the browser requested', leaked.slice(0, 5).join('\n'));
			const log = srv.log();
			t.ok(![...keys].some(k => log.includes(k)), "no key appears in the server's log");
			t.ok(problems.length === 0, 'no console error, script error or CSP violation on any page', problems.slice(0, 10).join('\n'));
			await browser.close().catch(() => {});
			await stopProc(srv.proc);
			console.log(`1..${t.n}`);
			if (!process.env.INN_UI_KEEP) rmSync(dir, {recursive: true, force: true});
			else t.note('kept ' + dir);
			process.exit(t.failed ? 1 : 0);
		},
	});
	return t;
}

// Runs fn(t) and ends the test even when fn throws (a bail-out line).
export async function run(name, opts, fn) {
	let t;
	try {
		t = await start(name, opts);
		await fn(t);
	} catch (e) {
		if (t) t.ok(false, 'the test ran to its end', e.stack || String(e));
		else { console.log('Bail out! ' + (e.stack || e).toString().split('\n')[0]); process.exit(1); }
	}
	await t.end();
}

// runs.test.mjs - the executions pages with real runs: the list (filters
// in the address, pages, live rows, the live indicator through a server
// restart), one execution (its steps turning green live, its log, a
// failing run followed from the list to the line of its log that explains
// it, cancel, retry, a secret masked as the API masks it, a log of 100000
// lines), each page by keyboard, in both themes and at 360 px.

import {run, BASE_FILES} from './lib.mjs';

const SECRET = 'hunter2-correct-horse';
const LINES = 100000;

const files = {
	'providers/demo/workflows/secret.yaml': `name: secret
description: Uses a token, printing it (the log shows it masked)
parameters:
  - {name: token, type: secret, required: true, description: The token to use}
steps:
  - name: use
    type: shell
    config: {script: 'echo "using token $TOKEN"; echo "done"', env: {TOKEN: "{{ .parameters.token }}"}}
`,
	'providers/demo/workflows/chatty.yaml': `name: chatty
description: Prints ${LINES} lines
steps:
  - name: talk
    type: shell
    config: {script: 'seq 1 ${LINES} | sed "s/^/line number /"'}
`,
	'goldenpaths.yaml': BASE_FILES['goldenpaths.yaml'] + `  secret:
    workflow: ./providers/demo/workflows/secret.yaml
    description: Uses a secret token
  chatty:
    workflow: ./providers/demo/workflows/chatty.yaml
    description: A long log
`,
};

// the page's own state, that a reload would lose
const mark = page => page.evaluate(() => { window.notReloaded = true; });
const notReloaded = page => page.evaluate(() => window.notReloaded === true);
const stepStatus = (page, name) => page.getAttribute(`.graph .step[data-step="${name}"]`, 'data-status');
const hashOf = page => page.evaluate(() => location.hash);

async function openExecution(t, page, id) {
	await page.evaluate(i => { location.hash = '#/executions/' + i; }, id);
	await page.waitForSelector(`main h1:has-text("#${id}")`);
}

await run('runs', {files}, async t => {
	const p = await t.page();
	await t.login(p);

	// ---- before any run ----
	await p.waitForSelector('.exec-list .empty-state');
	t.ok(await p.isVisible('.empty-state a[href="#/golden-paths"]'),
		'with no executions yet, the list says so and points at the golden paths to launch one');
	await t.inspect(p, 'executions-empty');

	// the graph's columns, from depends_on; a chain for an old execution
	const levels = await p.evaluate(async () => {
		const {stepLevels} = await import('/ui/pages/execution.js');
		const s = (name, depends_on) => ({name, depends_on});
		return [stepLevels([s('a', []), s('b', ['a']), s('c', ['a']), s('d', ['b', 'c']), s('e', [])]),
			stepLevels([s('a', null), s('b', null), s('c', null)])];
	});
	t.ok(JSON.stringify(levels) === '[[0,1,1,2,0],[0,1,2]]',
		'a step\'s column is one after the furthest step it needs; steps without depends_on (old runs) form a chain', levels);

	// ---- a run's steps turn green live ----
	const id = await t.runExec('greet', {who: 'ada', times: 6});
	await openExecution(t, p, id);
	await mark(p);
	const first = await stepStatus(p, 'report');
	t.ok(first === 'pending' || first === 'running', 'a run just launched shows its last step not done yet', first);
	await p.waitForSelector('.live[data-state="open"]');
	t.ok(/live/i.test(await p.textContent('.live')), 'the page says it is live');
	await t.inspect(p, 'execution-running');
	for (const s of ['prepare', 'greet', 'sign', 'report'])
		await p.waitForSelector(`.graph .step[data-step="${s}"][data-status="succeeded"]`, {timeout: 30000});
	t.ok(await notReloaded(p), 'every step turns to succeeded on the page, live, without a reload');
	await p.waitForSelector('.head-status .badge[data-status="succeeded"]');
	t.ok(true, 'and so does the execution');
	await p.waitForSelector('.log .line:has-text("all done")');
	const hellos = await p.$$eval('.log .line', ls =>
		ls.filter(l => /^hello ada \(red\)$/.test(l.querySelector('.text').textContent)).length);
	t.ok(hellos === 6, 'its log shows the lines its steps printed, as they came', hellos);
	await p.waitForSelector('.two :text("hello ada")');
	t.ok(true, 'its outputs appear when it ends');
	const api = (await t.api(`/api/workflows/${id}`)).json.steps;
	const columns = await p.$$eval('.graph > li', cols => cols.map(c => [...c.querySelectorAll('.step')].map(b => b.dataset.step)));
	const want = await p.evaluate(async st => {
		const {stepLevels} = await import('/ui/pages/execution.js');
		const cols = [];
		stepLevels(st).forEach((l, i) => (cols[l] = cols[l] || []).push(st[i].name));
		return cols;
	}, api);
	t.ok(JSON.stringify(columns) === JSON.stringify(want) &&
		JSON.stringify(columns) === JSON.stringify([['prepare'], ['greet', 'sign'], ['report']]),
		'the graph places the steps in columns by what they wait for (greet and sign side by side)', {columns, want});

	// a step's box filters the log, by keyboard
	await p.focus('main h1');
	let onStep = false;
	for (let i = 0; i < 30 && !onStep; i++) {
		await p.keyboard.press('Tab');
		onStep = await p.evaluate(() => document.activeElement.matches('.graph .step'));
	}
	t.ok(onStep, 'Tab reaches the steps of the graph');
	const picked = await p.evaluate(() => document.activeElement.dataset.step);
	await p.keyboard.press('Enter');
	await p.waitForSelector(`.graph .step[data-step="${picked}"][aria-pressed="true"]`);
	const steps = await p.$$eval('.log .line .step', ls => [...new Set(ls.map(l => l.textContent))]);
	t.ok(steps.length === 1 && steps[0] === picked && await p.inputValue('#log-step') === picked,
		`Enter on step "${picked}" shows only its log lines`, steps);
	t.ok((await hashOf(p)).includes('step=' + picked), 'and the address says so (to share it)', await hashOf(p));
	await p.keyboard.press('Enter');
	await p.waitForSelector(`.graph .step[data-step="${picked}"][aria-pressed="false"]`);
	t.ok(await p.inputValue('#log-step') === '', 'Enter again shows every step\'s lines');
	await p.focus('.log');
	await p.keyboard.press('Enter');
	await p.keyboard.press('ArrowDown');
	t.ok(await p.evaluate(() => document.activeElement.matches('.log .line:nth-child(2) a.seq')),
		'Enter in the log goes to its first line in sight, ↓ to the next');

	// ---- a failing run, from the list to the line that explains it ----
	const bad = await t.runExec('broken');
	await t.waitExec(bad);
	await p.evaluate(() => { location.hash = '#/executions'; });
	await p.waitForSelector('main h1:has-text("Executions")');
	await p.selectOption('#f-status', 'failed');
	await p.waitForFunction(() => /status=failed/.test(location.hash));
	await p.waitForSelector(`tr[data-id="${bad}"]`);
	const listed = await p.$$eval('.exec-list tbody tr', rs => rs.map(r => r.dataset.status));
	t.ok(listed.length > 0 && listed.every(s => s === 'failed'), 'the list filtered by status=failed shows only failed runs', listed);
	await t.inspect(p, 'executions-failed');
	await p.click(`tr[data-id="${bad}"] a`);
	await p.waitForSelector(`main h1:has-text("#${bad}")`);
	const why = await p.textContent('.failure');
	t.ok(/migrate/.test(why) && /exit status 3/.test(why), 'a failed run says prominently which step failed and its message', why);
	await p.waitForSelector('.failure .said-line');
	t.ok((await p.textContent('.failure .said-line')).startsWith('ERROR: migration 0003 needs column owner_id'),
		'and, once its log is read, the line of the log that says why');
	await t.inspect(p, 'execution-failed');
	await p.click('text=Show the failing step\'s log');
	await p.waitForSelector('.log .line.hit');
	const hit = await p.textContent('.log .line.hit .text');
	t.ok(hit.includes('ERROR: migration 0003 needs column owner_id'), '"Show the failing step\'s log" lands on the line that explains it', hit);
	t.ok(await p.evaluate(() => {
		const l = document.querySelector('.log .line.hit').getBoundingClientRect();
		const box = document.querySelector('.log').getBoundingClientRect();
		return l.top >= box.top && l.bottom <= box.bottom && l.top >= 0 && l.bottom <= innerHeight;
	}), 'that line is scrolled into view');
	t.ok(await p.inputValue('#log-step') === 'migrate' && await p.$$eval('.log .line', ls => ls.every(l => l.dataset.step === 'migrate')),
		'the log shows that step\'s lines only');
	t.ok(await p.evaluate(() => document.activeElement.closest('.line.hit') !== null), 'and has the focus');
	await p.keyboard.press('ArrowUp');
	t.ok(await p.evaluate(() => document.activeElement.closest('.line').nextElementSibling.matches('.hit')),
		'↑ moves the focus to the line before');
	await p.keyboard.press('ArrowDown');
	const permalink = await hashOf(p);
	t.ok(/line=\d+/.test(permalink), 'the address is a link to that line', permalink);
	const shownN = (await p.textContent('.log .line.hit a.seq')).trim();
	t.ok(/line=(\d+)/.exec(permalink)[1] === shownN && (await p.getAttribute('.log .line.hit a.seq', 'href')).endsWith('line=' + shownN),
		'the address and the line\'s link use the number shown on the line', {shown: shownN, permalink});
	await t.shot(p, 'execution-failed-line');

	// the permalink, opened anew, shows the same line
	const q = await t.page();
	await t.login(q, t.adminKey, permalink);
	await q.waitForSelector('.log .line.hit');
	t.ok((await q.textContent('.log .line.hit .text')).includes('migration 0003'), 'the link to a line opens the log at that line');
	await q.evaluate(i => { location.hash = `#/executions/${i}?line=3`; }, bad);
	await q.waitForSelector('.log .line.hit');
	t.ok((await q.textContent('.log .line.hit a.seq')).trim() === '3', '?line=3 shows the line labelled 3');
	await q.evaluate(i => { location.hash = `#/executions/${i}?line=999`; }, bad);
	await q.waitForSelector('.action-problem .notice');
	t.ok(/Line 999 is not in this log/.test(await q.textContent('.action-problem')), 'an unknown line says so');
	await q.close();

	// ---- retry the failed run ----
	await p.click('button:has-text("Retry")');
	await p.waitForFunction(b => /^#\/executions\/\d+$/.test(location.hash) && location.hash !== '#/executions/' + b, bad);
	const again = Number((await hashOf(p)).split('/').pop());
	await p.waitForSelector(`main h1:has-text("#${again}")`);
	t.ok(await p.isVisible(`a[href="#/executions/${bad}"]`), 'Retry lands on the new execution, which says it retries the failed one');

	// ---- cancel a slow run ----
	const slow = await t.runExec('slow');
	await openExecution(t, p, slow);
	await p.waitForSelector('.graph .step[data-step="wait"][data-status="running"]');
	await p.waitForSelector('.log .line:has-text("tick 1")');
	await p.click('button:has-text("Cancel run")');
	t.ok(await p.isVisible('.confirm'), 'Cancel asks for a confirmation first');
	await t.shot(p, 'execution-cancel-confirm');
	await p.click('button:has-text("Yes, cancel it")');
	await p.waitForSelector('.head-status .badge[data-status="cancelled"]', {timeout: 30000});
	await p.waitForSelector('.graph .step[data-step="wait"][data-status="cancelled"]');
	await p.waitForSelector('button:has-text("Retry")');
	t.ok(await p.isHidden('button:has-text("Cancel run")') && await p.isVisible('button:has-text("Retry")'),
		'the slow run becomes cancelled on its page; Cancel is gone and Retry offered');
	const late = await t.api(`/api/workflows/${slow}/cancel`, {method: 'POST'});
	t.ok(late.status === 409, 'the API agrees: it is no longer running', late.text);

	// two people cancel the same run: the second sees the server's answer
	const twice = await t.runExec('slow');
	const c = await t.page();
	// (this page hears nothing from the streams, as if they lagged)
	t.expectConsole(/ERR_FAILED/);
	await c.route(/\/api\/(events\/stream|workflows\/\d+\/logs\?follow)/, r => r.abort());
	await t.login(c, t.adminKey, '#/executions/' + twice);
	await c.waitForSelector('button:has-text("Cancel run")');
	t.ok((await t.api(`/api/workflows/${twice}/cancel`, {method: 'POST'})).status === 202, 'someone else cancels a run over the API');
	await t.waitExec(twice, ['cancelled']);
	t.expectConsole(/status of 409/);
	await c.click('button:has-text("Cancel run")');
	await c.click('button:has-text("Yes, cancel it")');
	await c.waitForSelector('.action-problem .error');
	const said = await c.textContent('.action-problem .error');
	const server = (await t.api(`/api/workflows/${twice}/cancel`, {method: 'POST'})).json.error.message;
	t.ok(said === server, 'cancelling it in the page then shows the server\'s refusal as the server words it', {said, server});
	await c.waitForSelector('.head-status .badge[data-status="cancelled"]');
	t.ok(true, 'and the page catches up with the run\'s state');
	await c.close();

	// ---- a secret, masked as the API masks it ----
	t.watch(SECRET);
	const sec = await t.runExec('secret', {token: SECRET});
	await t.waitExec(sec);
	const apiLines = (await t.api(`/api/workflows/${sec}/logs`)).json.lines.map(l => l.line);
	await openExecution(t, p, sec);
	await p.waitForSelector('.log .line:has-text("done")');
	const pageLines = await p.$$eval('.log .line .text', ls => ls.map(l => l.textContent));
	t.ok(apiLines.includes('using token ***') && JSON.stringify(pageLines) === JSON.stringify(apiLines),
		'a secret a step printed shows masked in the page exactly as the API masks it', {apiLines, pageLines});
	t.ok(!(await p.content()).includes(SECRET), 'the secret is nowhere in the page (log, parameters)');
	t.ok((await p.textContent('.two')).includes('***'), 'its parameter shows as ***');

	// ---- the list: filters in the address, live rows, pages ----
	await p.evaluate(() => { location.hash = '#/executions'; });
	await p.waitForSelector('.exec-list tbody tr');
	await mark(p);
	await p.focus('main h1');
	await p.keyboard.press('Tab');
	t.ok(await p.evaluate(() => document.activeElement.id === 'f-app'), 'Tab from the heading reaches the first filter');
	await p.keyboard.press('Tab');
	await p.keyboard.type('greet');
	await p.keyboard.press('Enter');
	await p.waitForFunction(() => /workflow=greet/.test(location.hash));
	await p.waitForFunction(() => [...document.querySelectorAll('.exec-list tbody tr td:nth-child(2)')].every(td => td.textContent === 'greet'));
	t.ok(true, 'typing a workflow and Enter filters the list by keyboard, and the address keeps the filter');
	const shared = await t.page();
	await t.login(shared, t.adminKey, await hashOf(p));
	await shared.waitForSelector('.exec-list tbody tr');
	t.ok(await shared.inputValue('#f-workflow') === 'greet' &&
		await shared.$$eval('.exec-list tbody tr td:nth-child(2)', ts => ts.every(td => td.textContent === 'greet')),
		'the filtered list\'s address, opened elsewhere, shows the same filtered list');
	await shared.close();

	// a filter that matches nothing says so, and offers to clear it
	await p.fill('#f-workflow', 'no-such-workflow');
	await p.press('#f-workflow', 'Enter');
	await p.waitForSelector('.exec-list .empty-state:has-text("No execution matches")');
	await p.click('.empty-state button:has-text("Clear the filters")');
	await p.waitForFunction(() => location.hash === '#/executions');
	await p.waitForSelector('.exec-list tbody tr');
	t.ok(await p.inputValue('#f-workflow') === '', 'a filter that matches nothing says so, and its button clears the filters');

	// by team: a run of a team's key
	const blueKey = await t.key('blue-dev', 'user', 'blue');
	const blue = (await t.api('/api/golden-paths/broken/run', {method: 'POST', body: {parameters: {}}, key: blueKey})).json.id;
	await p.fill('#f-team', 'blue');
	await p.press('#f-team', 'Enter');
	await p.waitForFunction(() => /team=blue/.test(location.hash));
	await p.waitForSelector(`tr[data-id="${blue}"]`);
	const teams = await p.$$eval('.exec-list tbody tr td:nth-child(5)', ts => ts.map(td => td.textContent));
	t.ok(teams.length === 1 && teams[0] === 'blue', 'the team filter shows the team\'s executions only', teams);
	await p.fill('#f-team', '');
	await p.fill('#f-workflow', 'greet');
	await p.press('#f-workflow', 'Enter');
	await p.waitForFunction(() => location.hash === '#/executions?workflow=greet');

	// a run launched now appears, and its status changes in place
	const fresh = await t.runExec('greet', {who: 'bo', times: 3});
	await p.waitForSelector(`tr[data-id="${fresh}"]`);
	await p.evaluate(i => { document.querySelector(`tr[data-id="${i}"]`).seen = true; }, fresh);
	await p.waitForSelector(`tr[data-id="${fresh}"][data-status="succeeded"]`, {timeout: 30000});
	t.ok(await notReloaded(p) && await p.evaluate(i => document.querySelector(`tr[data-id="${i}"]`).seen === true, fresh),
		'a run launched meanwhile appears at the top of the list and its row turns succeeded in place');

	// the live indicator through a server restart
	await p.waitForSelector('.live[data-state="open"]');
	t.expectConsole(/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED_ENCODING/);
	const restarting = t.restart();
	await p.waitForSelector('.live[data-state="retrying"]');
	t.ok(/retrying/i.test(await p.textContent('.live')), 'when the stream is down the indicator says so and that it retries');
	await restarting;
	await p.waitForSelector('.live[data-state="open"]', {timeout: 30000});
	t.ok(true, 'and says live again once the server is back');

	// pages
	await p.click('button:has-text("Clear filters")');
	await p.waitForFunction(() => location.hash === '#/executions');
	const many = [];
	for (let i = 0; i < 22; i++) many.push(await t.runExec('broken'));
	await p.waitForSelector('.pager:has-text("of 2")', {timeout: 30000});
	const total = (await t.api('/api/workflows')).json.total;
	t.ok((await p.textContent('.pager')).includes(`${total} executions`), 'the pager says how many executions there are', total);
	await p.click('.pager button:has-text("Next")');
	await p.waitForSelector('.pager:has-text("Page 2 of 2")');
	t.ok(/page=2/.test(await hashOf(p)) && await p.$$eval('.exec-list tbody tr', r => r.length) === total - 20,
		'Next shows page 2, and the address says so');
	t.ok(await p.evaluate(() => document.activeElement.matches('.pager button')), 'the pager keeps the focus on its buttons');
	await t.inspect(p, 'executions');
	const newest = await t.runExec('broken');
	await p.waitForSelector('.notice:has-text("New executions started")');
	await p.click('.notice button:has-text("Show page 1")');
	await p.waitForSelector(`tr[data-id="${newest}"]`);
	t.ok(!/page=/.test(await hashOf(p)), 'on page 2, a run started meanwhile is announced, and a button shows page 1 with it');

	// ---- a log of 100000 lines ----
	for (const m of [...many, newest]) await t.waitExec(m);
	const chatty = await t.runExec('chatty');
	await t.waitExec(chatty, ['succeeded'], 120000);
	await openExecution(t, p, chatty);
	await p.waitForSelector(`.log-count:text-is("${LINES} lines")`, {timeout: 60000});
	const inDom = await p.$$eval('.log .line', ls => ls.length);
	t.ok(inDom <= 3000, `a log of ${LINES} lines keeps at most 3000 of them in the page`, inDom);
	t.ok((await p.textContent('.log .line:last-child .text')) === `line number ${LINES}`, 'and shows its end');
	await p.click('.log button:has-text("Go to the start")');
	await p.waitForSelector('.log .line:first-child .text:text-is("line number 1")');
	t.ok(true, '"Go to the start" shows its first line');
	const lineN = await p.textContent('.log .line:nth-child(5) a.seq');
	await p.evaluate(([i, s]) => { location.hash = `#/executions/${i}?line=${s}`; }, [chatty, Number(lineN) + 50000]);
	await p.waitForSelector('.log .line.hit');
	t.ok((await p.textContent('.log .line.hit .text')) === 'line number 50005', 'a link to a line in the middle shows that line');
	await t.shot(p, 'execution-long-log');
	t.ok(!await p.isChecked('#log-follow'), 'showing a line stops following the end');
	await p.check('#log-follow');
	await p.waitForSelector(`.log .line:last-child .text:text-is("line number ${LINES}")`);
	const atBottom = () => p.evaluate(() => {
		const b = document.querySelector('.log');
		return b.scrollHeight - b.scrollTop - b.clientHeight < 8;
	});
	t.ok(await atBottom(), '"Follow the end" goes back to the end of the log');
	await p.evaluate(() => { document.querySelector('.log').scrollTop = 0; });
	await p.waitForFunction(() => !document.getElementById('log-follow').checked);
	t.ok(true, 'scrolling up in the log stops following the end');
	await p.evaluate(() => { location.hash = '#/executions?status=nonsense&page=7'; });
	await p.waitForSelector('.exec-list tbody tr, .exec-list .empty-state');
	t.ok(true, 'a list address with a bad status or page still shows a list');
	t.ok((await p.textContent('main')).includes('No execution has the status “nonsense”'),
		'and says that no execution has that status');

	// an execution the server refuses to look up: the error replaces
	// "Loading…", with a way to try again
	t.expectConsole(/status of 400/);
	await p.evaluate(() => { location.hash = '#/executions/0'; });
	await p.waitForSelector('main .error');
	t.ok(!(await p.textContent('main')).includes('Loading…') && await p.isVisible('main button.retry'),
		'#/executions/0 shows the server\'s error instead of "Loading…", and a Try again button', await p.textContent('main'));

	await manyTabs(t);
});

// Eight tabs of one browser on a running execution: a browser opens at most
// 6 connections to a server and each such page follows two streams, so
// without letting go of them in hidden tabs the fourth tab never loads.
// (Headless tabs are all "visible": each is hidden as a user would by
// switching away, through the same visibilitychange the browser sends.)
async function manyTabs(t) {
	const id = await t.runExec('slow', {seconds: 120});
	const first = await t.page();
	const tabs = [first];
	for (let i = 1; i < 8; i++) tabs.push(await first.context().newPage());
	const setHidden = (p, yes) => p.evaluate(h => {
		Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => (h ? 'hidden' : 'visible')});
		document.dispatchEvent(new Event('visibilitychange'));
	}, yes);
	let live = 0;
	for (const p of tabs) {
		try {
			await p.goto(`${t.url}/#key=${encodeURIComponent(t.adminKey)}&execution=${id}`);
			await p.locator('.live[data-state="open"]').first().waitFor({timeout: 20000});
			live++;
		} catch { break; }
		await setHidden(p, true);
	}
	t.ok(live === 8, 'eight tabs of one browser on a running execution all load and go live (hidden ones let go of their streams)', `${live} of 8`);
	await first.locator('.live[data-state="paused"]').first().waitFor({timeout: 10000}).catch(() => {});
	t.ok(await first.locator('.live[data-state="paused"]').count() > 0, 'a hidden tab says its updates are paused');
	await setHidden(first, false);
	await first.locator('.live[data-state="open"]').first().waitFor({timeout: 20000}).catch(() => {});
	t.ok(await first.locator('.live[data-state="open"]').count() > 0, 'shown again, it is live again');
	await t.api(`/api/workflows/${id}/cancel`, {method: 'POST'});
	await first.locator('.page-head [data-status="cancelled"], .badge[data-status="cancelled"]').first().waitFor({timeout: 20000}).catch(() => {});
	t.ok(await first.locator('.badge[data-status="cancelled"]').count() > 0, 'and shows what happened meanwhile (cancelled over the API)');
	await first.context().close();
}

// frame.test.mjs - the dashboard's frame as a user meets it: the page and
// its security headers, signing in (a wrong key, a key in #key=, which
// leaves no trace in the address or the history), #execution=, signing
// out, a key revoked meanwhile, the keyboard, both themes, 360 px.

import {run, isDark} from './lib.mjs';

const KEY_STORE = 'innominatus.key';

await run('frame', {}, async t => {
	t.expectConsole(/status of 401/);     // the wrong and the revoked keys' answers

	// ---- what the server sends ----
	const res = await fetch(t.url + '/');
	const html = await res.text();
	const csp = res.headers.get('content-security-policy') || '';
	t.ok(res.status === 200 && /text\/html/.test(res.headers.get('content-type')), 'GET / answers the dashboard', res.status);
	t.ok(/default-src 'none'/.test(csp) && /script-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) &&
		!/unsafe-inline|unsafe-eval/.test(csp), 'the page has a Content-Security-Policy that allows no inline script', csp);
	t.ok(res.headers.get('x-content-type-options') === 'nosniff' && res.headers.get('x-frame-options') === 'DENY' &&
		res.headers.get('referrer-policy') === 'no-referrer', 'and the other security headers (nosniff, DENY, no-referrer)',
		[...res.headers].map(x => x.join(': ')).join('\n'));
	t.ok(!/<script(?![^>]*\ssrc=)[^>]*>/i.test(html) && !/\sstyle\s*=/i.test(html) && !/\son[a-z]+\s*=/i.test(html),
		'index.html has no inline script, style attribute or event handler attribute');
	const js = await fetch(t.url + '/ui/app.js');
	t.ok(js.status === 200 && /javascript/.test(js.headers.get('content-type')), 'its script is served as JavaScript', js.headers.get('content-type'));

	// ---- a wrong key ----
	const wrong = 'inn_wrong_' + 'q7'.repeat(16);
	t.watch(wrong);
	const w = await t.page();
	const before = t.urls.length;
	await w.goto(`${t.url}/#key=${wrong}`);
	await w.waitForSelector('#login-error:not([hidden])');
	t.ok(/not accepted/i.test(await w.textContent('#login-error')), 'a wrong key in #key= says clearly that the key was not accepted',
		await w.textContent('#login-error'));
	t.ok(await w.isHidden('#nav'), 'and shows nothing of the dashboard');
	const asked = t.urls.slice(before).map(u => new URL(u).pathname).filter(p => p.startsWith('/api/'));
	t.ok(asked.length > 0 && asked.every(p => p === '/api/me'), 'a wrong key reaches nothing but the check of the key', asked);
	t.ok(!w.url().includes(wrong) && await w.evaluate(() => sessionStorage.length === 0),
		'the wrong key is neither in the address nor kept', w.url());
	await w.evaluate(() => { document.getElementById('login-error').textContent = ''; });
	await w.fill('#key', wrong + 'typed');
	t.watch(wrong + 'typed');
	await w.press('#key', 'Enter');
	await w.waitForFunction(() => document.getElementById('login-error').textContent !== '');
	t.ok(/not accepted/i.test(await w.textContent('#login-error')), 'a wrong key typed in the form says the same');
	t.ok(await w.evaluate(() => document.activeElement.id === 'key'), 'and the focus is back in the key field to try again');
	// a key no header can carry: said so, not "the server cannot be reached"
	await w.evaluate(() => { document.getElementById('login-error').textContent = ''; });
	await w.fill('#key', 'clé-with-é');
	await w.press('#key', 'Enter');
	await w.waitForFunction(() => document.getElementById('login-error').textContent !== '');
	t.ok(/characters an API key never has/.test(await w.textContent('#login-error')),
		'a key with characters no key has says so (not that the server cannot be reached)', await w.textContent('#login-error'));
	await t.axe(w, 'the sign-in page with its message');
	await t.inspect(w, 'signin');

	// ---- signing in through #key= ----
	const p = await t.page();
	await p.goto(`${t.url}/#key=${encodeURIComponent(t.adminKey)}`);
	await p.waitForSelector('#nav:not([hidden])');
	await p.waitForSelector('main h1');
	t.ok(!p.url().includes(t.adminKey) && new URL(p.url()).hash === '#/executions',
		'after signing in through #key= the key is gone from the address bar', p.url());
	t.ok(await p.evaluate(k => sessionStorage.getItem(k) !== null, KEY_STORE), 'and kept in the session storage of the tab');
	const entries = await p.evaluate(() => history.length);
	const seen = [p.url()];
	while (await p.goBack({waitUntil: 'commit'}).catch(() => null)) seen.push(p.url());
	t.ok(!seen.some(u => u.includes(t.adminKey)), `no entry of the history (${entries}) holds the key`, seen);
	await p.goto(`${t.url}/#/executions`);
	await p.waitForSelector('#nav:not([hidden])');
	t.ok(await p.isVisible('text=Sign out'), 'a reload keeps the tab signed in');

	// ---- a key in the wrong place ----
	const inQuery = 'inn_query_' + 'z5'.repeat(16);
	const qp = await t.page();
	await qp.goto(`${t.url}/?key=${inQuery}`);
	await qp.waitForSelector('#login-error:not([hidden])');
	t.ok(/sent to the server/.test(await qp.textContent('#login-error')) && /#key=/.test(await qp.textContent('#login-error')),
		'a key in the query (?key=) is not used: the page says it went to the server and to use #key=',
		await qp.textContent('#login-error'));
	t.ok(!qp.url().includes(inQuery) && await qp.evaluate(() => sessionStorage.length === 0),
		'and wipes it from the address at once (not kept either)', qp.url());
	const placed = await t.key('placed', 'user');
	for (const [hash, label] of [[`#/executions&key=${placed}`, '#/executions&key='], [`#/golden-paths?key=${placed}`, '#/golden-paths?key=']]) {
		const kp = await t.page();
		await kp.goto(`${t.url}/${hash}`);
		await kp.waitForSelector('#nav:not([hidden])');
		await kp.waitForSelector('main h1');
		const all = [kp.url()];
		while (await kp.goBack({waitUntil: 'commit'}).catch(() => null)) all.push(kp.url());
		t.ok(!all.some(u => u.includes(placed)) && all[0].includes(hash.slice(0, 8)),
			`${label}KEY signs in as #key= would, and the key is in no entry of the history`, all);
		await kp.context().close();
	}
	await qp.context().close();

	// ---- #execution= ----
	const id = await t.runExec('broken');
	const e = await t.page();
	await e.goto(`${t.url}/#key=${encodeURIComponent(t.adminKey)}&execution=${id}`);
	await e.waitForSelector(`main h1:has-text("#${id}")`);
	t.ok(new URL(e.url()).hash === `#/executions/${id}` && !e.url().includes(t.adminKey),
		'#key=...&execution=ID signs in and opens that execution', e.url());
	await p.evaluate(i => { location.hash = 'execution=' + i; }, id);
	await p.waitForSelector(`main h1:has-text("#${id}")`);
	t.ok(new URL(p.url()).hash === `#/executions/${id}`, 'signed in, #execution=ID opens that execution');

	// ---- the keyboard ----
	await p.goto(`${t.url}/#/executions`);
	await p.waitForSelector('main h1');
	await p.focus('.brand');
	await p.keyboard.press('Shift+Tab');
	t.ok(await p.evaluate(() => document.activeElement.matches('.skip') &&
		document.activeElement.getBoundingClientRect().left >= 0), 'the first stop of Tab is a "Skip to content" link, shown when focused');
	await p.keyboard.press('Enter');
	t.ok(await p.evaluate(() => document.activeElement.id === 'main' && location.hash === '#/executions'),
		'Enter on it moves to the content and leaves the address alone');
	await p.focus('#nav a[data-page="golden-paths"]');
	t.ok(await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle !== 'none'),
		'a focused link shows that it has the focus');
	await p.keyboard.press('Enter');
	await p.waitForFunction(() => location.hash === '#/golden-paths');
	t.ok(await p.getAttribute('#nav a[data-page="golden-paths"]', 'aria-current') === 'page',
		'Enter on a section of the navigation opens it, and the navigation says which is open');

	// ---- themes ----
	await p.goto(`${t.url}/#/executions`);
	await p.waitForSelector('main h1');
	t.ok(!await isDark(p), 'a system in light mode gets the light theme');
	await p.click('button:has-text("Dark theme")');
	t.ok(await isDark(p), 'the theme button switches to the dark theme');
	await p.reload();
	await p.waitForSelector('main h1');
	t.ok(await isDark(p) && await p.isVisible('button:has-text("Light theme")'), 'and the choice is kept across a reload');
	await p.click('button:has-text("Light theme")');
	t.ok(!await isDark(p), 'and switches back');
	const d = await t.page({colorScheme: 'dark'});
	await t.login(d);
	t.ok(await isDark(d) && await d.isVisible('button:has-text("Light theme")'),
		'a system in dark mode gets the dark theme, and the button offers the light one');
	await t.inspect(d, 'frame');

	// ---- pages that are not ----
	await d.evaluate(() => { location.hash = '#/no-such-page'; });
	await d.waitForSelector('main h1:has-text("Not found")');
	t.ok(await d.isVisible('main a[href="#/executions"]'), 'an unknown page says so and leads back');

	// ---- signing out ----
	await p.click('button:has-text("Sign out")');
	await p.waitForSelector('#key');
	t.ok(await p.evaluate(() => sessionStorage.length === 0), 'signing out empties the session storage');
	t.ok(/signed out/i.test(await p.textContent('#login-error')), 'and says so');
	await p.reload();
	await p.waitForSelector('#key');
	t.ok(await p.isHidden('#nav'), 'after signing out a reload asks for a key again');

	// ---- a key revoked while it is used ----
	const userKey = await t.key('viewer', 'user');
	const v = await t.page();
	await t.login(v, userKey);
	t.ok(await v.isHidden('#nav a[data-page="admin"]'), 'a user\'s key does not see the admin section');
	const del = await t.api('/api/admin/keys/viewer', {method: 'DELETE'});
	t.ok(del.status === 200 || del.status === 204, 'the key is revoked (over the API)', del.text);
	await v.evaluate(() => { location.hash = '#/executions?status=failed'; });
	await v.waitForSelector('#login-error:not([hidden])');
	t.ok(/no longer accepted/i.test(await v.textContent('#login-error')),
		'the next page says the key is no longer accepted and asks for one', await v.textContent('#login-error'));
});

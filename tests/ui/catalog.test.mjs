// catalog.test.mjs - the catalog pages in a real browser against a real
// server: providers (one from a git repository, shown at the commit the
// server resolved), golden paths (an app developer launches greet from
// its form, with the mouse and with the keyboard only; the page and then
// the server refuse a bad value next to its field; a dry run shows the
// plan), applications and resources (outputs with the secret masked,
// delete after a confirmation), plugins (hello.so refused, with the
// policy's reason), admin (a key created and shown once, revoked; the
// audit log), a user's key (no Admin), and every page in the light and
// the dark theme through axe-core, and at 360 px without sideways
// scrolling.  Prints TAP.

import {execFileSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, writeFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {run, BASE_FILES} from './lib.mjs';

// ---- the platform ---------------------------------------------------------------

// A provider in a git repository, cloned by the server through file://
// (libgit2's local transport: a real clone and a real commit to resolve).
function gitProvider() {
	const dir = mkdtempSync(join(tmpdir(), 'inn-ui-catalog-git-'));
	process.on('exit', () => rmSync(dir, {recursive: true, force: true}));
	const work = join(dir, 'work');
	mkdirSync(join(work, 'team', 'workflows'), {recursive: true});
	writeFileSync(join(work, 'team', 'provider.yaml'),
		'name: git-team\nversion: 3.1.0\ndescription: Published from a git repository\nworkflows_dir: workflows\n');
	writeFileSync(join(work, 'team', 'workflows', 'wave.yaml'),
		'name: wave\ndescription: Waves\nsteps:\n  - {name: w, type: shell, config: {script: "echo wave"}}\n');
	const env = {...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org',
		GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org'};
	const git = (...args) => execFileSync('git', args, {cwd: work, env, encoding: 'utf8'}).trim();
	git('init', '-q', '-b', 'main');
	git('add', '-A');
	git('commit', '-qm', 'the git team\'s provider');
	git('clone', '-q', '--bare', '.', join(dir, 'team.git'));
	return {url: 'file://' + join(dir, 'team.git'), commit: git('rev-parse', 'HEAD')};
}

const GIT = gitProvider();

const SECRET = 'tok-S3cr3t-Zq81';

// a word of 3000 letters, an address-like one and a right-to-left override
const LONG_WORD = 'W'.repeat(3000);
const ODD_TEXT = `Odd ${LONG_WORD} see https://example.org/${'segment-'.repeat(30)}end and x\u202Etxt.exe`;

// vault-team provisions "bucket" resources with shell steps: a URL and a
// token, the token a secret output (masked by the API, so by the page).
const FILES = {
	'providers/vault-team/provider.yaml': `name: vault-team
version: 1.0.0
description: Buckets with access tokens
owner: vault-team@example.org
category: storage
workflows_dir: workflows
capabilities:
  resourceTypeCapabilities:
    - type: bucket
      operations:
        create: {workflow: make-bucket}
        delete: {workflow: drop-bucket}
`,
	'providers/vault-team/workflows/make-bucket.yaml': `name: make-bucket
description: Makes a bucket and its access token
parameters:
  - {name: resource_name, type: string}
  - {name: size, type: integer, default: 5}
steps:
  - name: make
    type: shell
    config:
      secret_outputs: [token]
      script: |
        echo "making bucket \${parameters.resource_name}"
        echo "url=s3://bucket-\${parameters.resource_name}" >> "$INNOMINATUS_OUTPUT"
        echo "token=${SECRET}" >> "$INNOMINATUS_OUTPUT"
outputs:
  url: "\${steps.make.outputs.url}"
  token: "\${steps.make.outputs.token}"
`,
	'providers/vault-team/workflows/drop-bucket.yaml': `name: drop-bucket
description: Removes a bucket
steps:
  - {name: drop, type: shell, config: {script: 'echo "dropping the bucket"'}}
`,
	// a golden path with a map parameter (a JSON field) and a number
	'providers/vault-team/workflows/label.yaml': `name: label
description: Labels things
parameters:
  - {name: labels, type: map, required: true, description: The labels to set}
  - {name: ratio, type: number, default: 0.5}
steps:
  - {name: apply, type: shell, config: {script: 'echo labelled'}}
`,
	// hostile text: a bidirectional override (U+202E) and unbroken words,
	// patterns PCRE2 and JavaScript read differently
	'providers/odd-team/provider.yaml': `name: odd-team
version: 1.0.0
description: "${ODD_TEXT}"
owner: odd-team@example.org
category: odd
workflows_dir: workflows
`,
	'providers/odd-team/workflows/odd.yaml': `name: odd
description: "${ODD_TEXT}"
parameters:
  - {name: word, type: string, required: true, pattern: '^[[:alpha:]]+$', description: "A word \u202Eesrever"}
  - {name: digit, type: string, default: xx1xx, pattern: '\\d', description: Holds a digit somewhere}
steps:
  - {name: say, type: shell, config: {script: 'echo "file x\u202Etxt.exe"; echo "${LONG_WORD}"'}}
`,
	'goldenpaths.yaml': BASE_FILES['goldenpaths.yaml'] + `  odd:
    workflow: ./providers/odd-team/workflows/odd.yaml
    description: "${ODD_TEXT}"
    category: odd
  label:
    workflow: ./providers/vault-team/workflows/label.yaml
    description: Sets labels
    category: storage
    tags: [labels]
`,
	'innominatus.yaml': BASE_FILES['innominatus.yaml'].replace(/^providers:\n/m, `providers:
  - {name: vault-team, type: filesystem, path: providers/vault-team}
  - {name: odd-team, type: filesystem, path: providers/odd-team}
  - {name: git-team, git_url: "${GIT.url}", path: team, ref: main}
`),
};

const spec = (name, size) => ({
	apiVersion: 'score.dev/v1b1',
	metadata: {name},
	containers: {web: {image: name + ':1', variables: {BUCKET: '${resources.store.url}', TOKEN: '${resources.store.token}'}}},
	resources: {store: {type: 'bucket', params: {size}}},
});

// ---- helpers ----------------------------------------------------------------------

// Signs in (through #key=, at the executions) before going anywhere: a
// hash set while the frame still checks the key can be overridden by
// the frame's own (t.login(page, key, hash) lost it about once in 30).
async function signIn(t, page, key = t.adminKey) {
	await t.login(page, key);
	await page.locator('#nav a[aria-current="page"]').waitFor();
}

// Goes to hash and waits for its heading (pages draw it once their data is in).
async function go(page, hash, heading) {
	await page.evaluate(x => { location.hash = x; }, hash);
	await page.locator('main h1', {hasText: heading}).first().waitFor();
}

const texts = (page, sel) => page.locator(sel).allTextContents();
const row = (page, text) => page.locator('main tbody tr', {hasText: text});

async function deploy(t, name, size) {
	const r = await t.api('/api/applications', {method: 'POST', body: spec(name, size)});
	if (r.status !== 202) throw new Error('deploy ' + name + ': ' + r.text);
	await t.waitExec(r.json.id);
}

// Every page of the catalog, with its heading.
const PAGES = [
	['#/providers', 'Providers'], ['#/providers/demo', 'demo'], ['#/providers/git-team', 'git-team'],
	['#/golden-paths', 'Golden paths'], ['#/golden-paths/greet', 'greet'],
	['#/apps', 'Applications'], ['#/apps/blog', 'blog'], ['#/resources', 'Resources'],
	['#/plugins', 'Plugins'], ['#/admin/keys', 'API keys'], ['#/admin/audit', 'Audit log'],
];


// ---- the test ---------------------------------------------------------------------

await run('catalog', {files: FILES}, async t => {
	t.watch(SECRET);
	await deploy(t, 'shop', 7);
	await deploy(t, 'blog', 3);
	const page = await newPage(t);
	await signIn(t, page);
	// each part on its own: one that breaks is reported, the next still runs
	for (const part of [providers, goldenPaths, hostile, keyboardLaunch, apps, plugins, admin, userKey, everyPage]) {
		try {
			await part(t, page);
		} catch (e) {
			t.ok(false, `the ${part.name} part ran to its end`, e.stack || String(e));
			// what each open page showed when it broke
			const open = t.browser.contexts().flatMap(c => c.pages());
			for (const [i, p] of open.entries()) await t.shot(p, `failed-${part.name}-${i}`).catch(() => {});
		}
	}
});

// A page that gives up waiting after 15 s (not Playwright's 30): a step
// that never comes fails sooner.
async function newPage(t, opts) {
	const page = await t.page(opts);
	page.setDefaultTimeout(15000);
	return page;
}

async function providers(t, page) {
	await go(page, '#/providers', 'Providers');
	const demo = row(page, 'demo-team@example.org');
	t.ok(await demo.locator('a', {hasText: 'demo'}).isVisible(), 'the providers list shows demo, linked');
	t.ok((await demo.locator('td[data-label="Workflows"]').textContent()).trim() === '3', 'demo has its 3 workflows');
	t.ok((await demo.locator('td[data-label="Source"]').textContent()).includes('providers/demo'),
		'demo comes from its folder');
	const git = row(page, 'git-team');
	const code = git.locator('[data-commit]');
	t.ok((await git.locator('td[data-label="Source"]').textContent()).includes(GIT.url),
		'git-team shows its repository', await git.textContent());
	t.ok((await code.textContent()).includes(GIT.commit.slice(0, 12)) && await code.getAttribute('title') === GIT.commit,
		'git-team shows the commit the server resolved (short, the full hash in its title)',
		{want: GIT.commit, got: await code.textContent()});
	await t.shot(page, 'providers');

	await page.locator('a', {hasText: 'demo'}).first().click();
	await page.locator('main h1', {hasText: 'demo'}).waitFor();
	const wfs = await texts(page, 'section.workflow h3');
	t.ok(['greet', 'slow', 'broken'].every(w => wfs.includes(w)), 'demo\'s page lists greet, slow and broken', wfs);
	const greet = page.locator('section.workflow', {has: page.locator('h3', {hasText: 'greet'})});
	const times = greet.locator('tbody tr', {hasText: 'times'});
	t.ok((await times.textContent()).includes('integer') && (await times.locator('td[data-label="Default"]').textContent()) === '2',
		'greet\'s parameter times: an integer, default 2', await times.textContent());
	t.ok((await greet.textContent()).includes('Greets someone a few times'), 'greet\'s description is shown');
	await t.shot(page, 'provider-demo');

	await go(page, '#/providers/git-team', 'git-team');
	t.ok(await page.locator(`code[data-commit="${GIT.commit}"]`).textContent() === GIT.commit,
		'git-team\'s page shows the full commit');
	t.ok(await page.locator('button.copy').count() > 0, 'with a button to copy it');
	await t.shot(page, 'provider-git');
}

async function goldenPaths(t, page) {
	await go(page, '#/golden-paths', 'Golden paths');
	const names = () => texts(page, 'main tbody td[data-label="Name"]');
	const all = await names();
	t.ok(['greet', 'slow', 'broken', 'label', 'odd'].every(n => all.includes(n)) && all.length === 5, 'the golden paths are listed', all);
	t.ok((await row(page, 'greet').textContent()).includes('a few seconds'), 'greet says how long it takes');
	await page.getByLabel('Search').fill('fails');
	await page.locator('main tbody tr').first().waitFor();
	t.ok(JSON.stringify(await names()) === '["broken"]', 'searching "fails" leaves broken', await names());
	await page.getByLabel('Search').fill('');
	await page.getByLabel('Category').selectOption('storage');
	t.ok(JSON.stringify(await names()) === '["label"]', 'the category storage leaves label', await names());
	await page.getByLabel('Category').selectOption('');
	await t.shot(page, 'golden-paths');

	await go(page, '#/golden-paths/greet', 'greet');
	const who = page.getByLabel(/^who/);
	t.ok((await page.locator('label[for]', {hasText: 'who'}).textContent()).includes('required'),
		'who is marked required, in words');
	const described = (await who.getAttribute('aria-describedby')).split(' ');
	const hint = await page.locator('#' + described[0]).textContent();
	t.ok(hint.includes('^[a-z][a-z0-9-]*$') && hint.includes('Who to greet'),
		'who\'s hint (tied to it) gives its description and pattern', hint);
	t.ok(await page.getByLabel(/^times/).getAttribute('type') === 'number' && await page.getByLabel(/^times/).inputValue() === '2',
		'times is a number field holding its default');
	t.ok(await page.getByLabel(/^loud/).getAttribute('type') === 'checkbox', 'loud is a checkbox');
	t.ok(JSON.stringify(await texts(page, '#' + await page.getByLabel(/^colour/).getAttribute('id') + ' option')) === '["red","green","blue"]' &&
		await page.getByLabel(/^colour/).inputValue() === 'red', 'colour is a choice of its allowed values, red chosen');

	// the page refuses a bad value: when leaving the field, and on Launch
	const problem = page.locator('#' + described[1]);
	await who.fill('Bad Name');
	await who.press('Tab');
	await problem.waitFor();
	t.ok((await problem.textContent()).includes('does not match'), 'leaving who with "Bad Name" says why, next to it',
		await problem.textContent());
	await page.getByRole('button', {name: 'Launch'}).click();
	t.ok(await who.evaluate(el => el === document.activeElement) && await who.getAttribute('aria-invalid') === 'true',
		'Launch moves the focus to who, marked invalid');
	t.ok(/#\/golden-paths\/greet$/.test(page.url()), 'nothing was launched');
	await t.shot(page, 'greet-refused-in-page');

	// the server refuses too: without the page's check (its pattern taken
	// off the field), the server's 400 lands next to the field it names
	await who.evaluate(el => { delete el.dataset.pattern; el.removeAttribute('pattern'); });
	await who.fill('Bad');
	t.expectConsole(/status of 400/);     // Chromium logs the refused request
	await page.getByRole('button', {name: 'Launch'}).click();
	await problem.filter({hasText: 'server'}).waitFor();
	const said = await problem.textContent();
	t.ok(said.includes('parameter "who"') && said.includes('does not match the pattern'),
		'the server\'s refusal is shown next to who', said);
	t.ok(/#\/golden-paths\/greet$/.test(page.url()), 'still nothing launched');
	await t.shot(page, 'greet-refused-by-server');

	// the dry run shows the plan and launches nothing
	await who.fill('dry');
	await page.getByRole('button', {name: 'Dry run'}).click();
	await page.locator('.plan h2', {hasText: 'what would run'}).waitFor();
	const steps = await texts(page, '.plan td[data-label="Step"]');
	t.ok(['prepare', 'greet', 'sign', 'report'].every(s => steps.includes(s)), 'the dry run lists the 4 steps it would run', steps);
	t.ok((await page.locator('.plan').textContent()).includes('colour') && (await page.locator('.plan').textContent()).includes('would'),
		'with the parameters, defaults filled in, and what each step would do');
	await t.shot(page, 'greet-dry-run');

	// launched with good values: the user lands on the execution
	await who.fill('ada');
	await page.getByLabel(/^times/).fill('3');
	await page.getByLabel(/^colour/).selectOption('green');
	await page.getByRole('button', {name: 'Launch'}).click();
	await page.waitForURL(/#\/executions\/\d+$/);
	await page.locator('main h1').waitFor();
	const id = /#\/executions\/(\d+)$/.exec(page.url())[1];
	const ex = (await t.api('/api/workflows/' + id)).json;
	t.ok(ex.workflow === 'greet' && ex.parameters.who === 'ada' && ex.parameters.times === 3 &&
		ex.parameters.colour === 'green' && ex.parameters.loud === false,
		'Launch started greet with the values of the form, and opened its execution', ex.parameters);
	await t.waitExec(id);

	// a JSON field: parse errors and the wrong kind of JSON, next to it
	await go(page, '#/golden-paths/label', 'label');
	const labels = page.getByLabel(/^labels/);
	const labelsProblem = page.locator('#' + (await labels.getAttribute('aria-describedby')).split(' ')[1]);
	await labels.fill('{"team": ');
	await page.getByRole('button', {name: 'Launch'}).click();
	t.ok((await labelsProblem.textContent()).startsWith('Not valid JSON'), 'broken JSON is refused next to the field',
		await labelsProblem.textContent());
	await labels.fill('["a"]');
	await page.getByRole('button', {name: 'Launch'}).click();
	t.ok((await labelsProblem.textContent()).includes('JSON object'), 'a list where an object is wanted is refused');
	await labels.fill('{"a": 1, "a": 2}');
	await page.getByRole('button', {name: 'Launch'}).click();
	t.ok((await labelsProblem.textContent()).includes('“a” twice') && /#\/golden-paths\/label$/.test(page.url()),
		'an object naming a member twice is refused next to the field, as the server would, and nothing is sent',
		await labelsProblem.textContent());
	await labels.fill('{"team": "red"}');
	await page.getByRole('button', {name: 'Launch'}).click();
	await page.waitForURL(/#\/executions\/\d+$/);
	const lid = /#\/executions\/(\d+)$/.exec(page.url())[1];
	t.ok(JSON.stringify((await t.api('/api/workflows/' + lid)).json.parameters.labels) === '{"team":"red"}',
		'the object was sent as JSON');
}

// Nothing of the page is wider than the window (the page itself, or any
// element of main that would scroll sideways).
function sideways(page) {
	return page.evaluate(() => {
	const out = [];
	if (document.documentElement.scrollWidth > innerWidth) out.push('page ' + document.documentElement.scrollWidth);
	for (const el of document.querySelectorAll('main *')) {
		const st = getComputedStyle(el);
		if (el.scrollWidth > el.clientWidth + 1 && /auto|scroll/.test(st.overflowX) && !el.matches('.log, .log *'))
			out.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth);
	}
	return out;
	});
}

// A marked ⟨U+202E⟩ where the data has a right-to-left override.
function bidiShown(loc) {
	return loc.evaluate(el => [...el.querySelectorAll('.bidi')].some(b =>
		b.textContent === '⟨U+202E⟩' && /bidirectional/.test(b.title)) && !el.textContent.includes('\u202E'));
}

// Hostile text from the odd-team provider: bidirectional overrides shown,
// not obeyed; long words wrapped; patterns PCRE2 reads otherwise than
// JavaScript left to the server.
async function hostile(t, page) {
	for (const width of [1280, 360]) {
		await page.setViewportSize({width, height: 900});
		await go(page, '#/providers/odd-team', 'odd-team');
		const wide = await sideways(page);
		t.ok(wide.length === 0, `a provider with a 3000-letter word does not scroll sideways at ${width} px`, wide);
		await go(page, '#/golden-paths/odd', 'odd');
		const gwide = await sideways(page);
		t.ok(gwide.length === 0, `nor does its golden path at ${width} px`, gwide);
		await t.shot(page, `odd-${width}`);
	}
	await page.setViewportSize({width: 1280, height: 900});
	await go(page, '#/providers/odd-team', 'odd-team');
	t.ok(await bidiShown(page.locator('main')), 'a provider description\'s U+202E is shown as a marked ⟨U+202E⟩, not obeyed');

	await go(page, '#/golden-paths/odd', 'odd');
	const word = page.getByLabel(/^word/), digit = page.getByLabel(/^digit/);
	t.ok(await page.locator('main input[pattern], main textarea[pattern]').count() === 0,
		'no field has the browser\'s pattern attribute (which anchors and reads patterns as JavaScript)');
	const wordHint = await page.locator('#' + (await word.getAttribute('aria-describedby')).split(' ')[0]).textContent();
	t.ok(/server checks it/.test(wordHint), 'a POSIX-class pattern is left to the server, and the hint says so', wordHint);
	await word.fill('hello');
	await page.getByRole('button', {name: 'Dry run'}).click();
	await page.locator('.plan h2', {hasText: 'what would run'}).waitFor();
	t.ok(true, '"hello" for ^[[:alpha:]]+$ passes the page and the server (the dry run shows its plan)');
	t.ok(await digit.evaluate(el => !el.matches(':invalid') && getComputedStyle(el).borderColor === getComputedStyle(document.getElementById(el.id.replace(/digit$/, 'word'))).borderColor),
		'xx1xx for the pattern \\d has no red border (the server searches, unanchored)');
	t.ok(await digit.getAttribute('aria-invalid') === null, 'and is not marked invalid');
	const wordProblem = page.locator('#' + (await word.getAttribute('aria-describedby')).split(' ')[1]);
	await word.fill('h3llo');
	await page.getByRole('button', {name: 'Dry run'}).click();
	await wordProblem.filter({hasText: 'server'}).waitFor();
	t.ok((await wordProblem.textContent()).includes('word'), 'a value the server refuses gets its 400 next to the field',
		await wordProblem.textContent());

	const id = await t.runExec('odd', {word: 'hello'});
	await t.waitExec(id);
	for (const width of [1280, 360]) {
		await page.setViewportSize({width, height: 900});
		await go(page, '#/executions/' + id, '#' + id);
		await page.locator('.log .line').nth(1).waitFor();
		const wide = await sideways(page);
		t.ok(wide.length === 0, `its execution page does not scroll sideways at ${width} px`, wide);
	}
	await page.setViewportSize({width: 1280, height: 900});
	t.ok(await bidiShown(page.locator('.log .line').first()), 'a log line\'s U+202E is shown as a marked ⟨U+202E⟩');
	await t.shot(page, 'odd-execution');
}

// Tab to the first field, type, Enter: launched without the mouse.
async function keyboardLaunch(t) {
	const page = await newPage(t);
	await signIn(t, page);
	await go(page, '#/golden-paths/greet', 'greet');
	let tabs = 0;
	while (!await page.evaluate(() => document.activeElement && document.activeElement.name === 'who') && tabs < 40) {
		await page.keyboard.press('Tab');
		tabs++;
	}
	t.ok(tabs < 40, `Tab reaches who (${tabs} presses)`);
	await page.keyboard.type('grace');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/executions\/\d+$/);
	await page.locator('main h1').waitFor();
	const id = /#\/executions\/(\d+)$/.exec(page.url())[1];
	t.ok((await t.api('/api/workflows/' + id)).json.parameters.who === 'grace', 'Enter launched greet for grace');
	await t.waitExec(id);
	await page.context().close();
}

async function apps(t, page) {
	await go(page, '#/apps', 'Applications');
	const shop = row(page, 'shop');
	t.ok((await shop.textContent()).includes('active') && (await shop.locator('td[data-label="Resources"]').textContent()) === '1',
		'the applications list shows shop, active, with 1 resource', await shop.textContent());
	t.ok(await shop.locator('td[data-label="Last execution"] a').getAttribute('href').then(h => /^#\/executions\/\d+$/.test(h)),
		'and a link to its last execution');
	await t.shot(page, 'apps');

	await shop.locator('a', {hasText: 'shop'}).click();
	await page.locator('main h1', {hasText: 'shop'}).waitFor();
	const body = await page.locator('main').textContent();
	t.ok(body.includes('s3://bucket-store'), 'the container\'s BUCKET is resolved from the resource\'s output');
	const store = page.locator('main tbody tr', {has: page.locator('td[data-label="Type"]', {hasText: 'bucket'})});
	const outs = await store.locator('td[data-label="Outputs"]').textContent();
	t.ok(outs.includes('url') && outs.includes('s3://bucket-store') && outs.includes('token') && outs.includes('***'),
		'the resource shows its outputs, the token masked', outs);
	t.ok(!body.includes(SECRET), 'the secret appears nowhere on the page');
	t.ok((await store.textContent()).includes('vault-team') && (await store.textContent()).includes('active'),
		'with its provider and state');
	await t.shot(page, 'app-shop');

	await go(page, '#/resources', 'Resources');
	t.ok((await texts(page, 'main tbody td[data-label="Application"]')).sort().join() === 'blog,shop', 'all resources: shop\'s and blog\'s');
	await page.getByLabel('Application').selectOption('blog');
	await page.locator('main tbody td[data-label="Application"]', {hasText: 'blog'}).waitFor();
	await page.waitForFunction(() => [...document.querySelectorAll('main tbody td[data-label="Application"]')].every(td => td.textContent === 'blog'));
	t.ok((await texts(page, 'main tbody td[data-label="Application"]')).join() === 'blog', 'the app filter leaves blog\'s');
	// the filter in the address is the filter, also for an app that does not exist
	await go(page, '#/executions', 'Executions');
	await go(page, '#/resources?app=blog', 'Resources');
	await page.locator('#res-list').locator('table, .empty').first().waitFor();
	t.ok((await texts(page, 'main tbody td[data-label="Application"]')).join() === 'blog', '#/resources?app=blog shows blog\'s only');
	await go(page, '#/executions', 'Executions');
	await go(page, '#/resources?app=nosuch', 'Resources');
	await page.locator('#res-list .empty, #res-list table').first().waitFor();
	t.ok(await page.locator('#res-list tbody tr').count() === 0 &&
		(await page.locator('#res-app').inputValue()) === 'nosuch', '#/resources?app=nosuch shows none, and the filter says nosuch');
	await t.shot(page, 'resources');

	// delete: asked first (Cancel keeps it), then the teardown runs
	await go(page, '#/apps/shop', 'shop');
	await page.getByRole('button', {name: 'Delete…'}).click();
	const dlg = page.locator('dialog.confirm');
	await dlg.waitFor();
	t.ok((await dlg.textContent()).includes('“shop”'), 'Delete asks first, naming the app');
	await t.shot(page, 'app-delete-confirm');
	await dlg.getByRole('button', {name: 'Cancel'}).click();
	t.ok(await dlg.count() === 0 && (await t.api('/api/applications/shop')).json.status === 'active', 'Cancel keeps shop');
	await page.getByRole('button', {name: 'Delete…'}).click();
	await dlg.getByRole('button', {name: 'Delete shop'}).click();
	const link = page.locator('.notice a', {hasText: 'teardown'});
	await link.waitFor();
	const tid = /(\d+)$/.exec(await link.getAttribute('href'))[1];
	t.ok((await t.api('/api/workflows/' + tid)).json.kind === 'delete', 'the page links to the teardown execution');
	await link.click();
	await page.waitForURL(new RegExp('#/executions/' + tid + '$'));
	await t.waitExec(tid);
	t.ok((await t.api('/api/applications/shop')).status === 404, 'the teardown deleted shop');
}

async function plugins(t, page) {
	await go(page, '#/plugins', 'Plugins');
	const refused = (await t.api('/api/plugins/refused')).json.data;
	const hello = row(page, 'hello.so');
	t.ok(refused.some(r => r.file.endsWith('hello.so')), 'the server refused hello.so (the policy allows only shell)', refused);
	const reason = refused.find(r => r.file.endsWith('hello.so')).reason;
	t.ok((await hello.locator('td[data-label="Reason"]').textContent()) === reason,
		'the page shows hello.so refused with the server\'s reason', reason);
	const shell = row(page, 'cancellable');
	t.ok((await shell.textContent()).includes('shell'), 'shell is loaded, cancellable');
	await shell.locator('summary', {hasText: 'Config schema'}).click();
	t.ok((await shell.locator('details[open] pre').textContent()).includes('"script"'), 'its config schema unfolds');
	await t.shot(page, 'plugins');
}

async function admin(t, page) {
	await go(page, '#/admin', 'API keys');
	await page.getByLabel(/^Name/).fill('ci-bot');
	await page.getByLabel(/^Team/).fill('red');
	await page.getByRole('button', {name: 'Create key'}).click();
	const fresh = page.locator('#fresh-key-value');
	await fresh.waitFor();
	const key = await fresh.inputValue();
	t.watch(key);
	const me = await t.api('/api/me', {key});
	t.ok(me.status === 200 && me.json.name === 'ci-bot' && me.json.team === 'red', 'the new key is shown and works', me.text);
	t.ok((await page.locator('.fresh-key').textContent()).includes('only this once'), 'with the warning that it is shown once');
	const stored = await page.evaluate(() => JSON.stringify({...sessionStorage}) + JSON.stringify({...localStorage}));
	t.ok(!stored.includes(key), 'the new key is kept in no storage');
	await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
	await page.getByRole('button', {name: 'Copy the key'}).click();
	await page.locator('.fresh-key [role="status"]', {hasText: 'Copied'}).waitFor();
	t.ok(await page.evaluate(() => navigator.clipboard.readText()) === key, 'Copy puts the key on the clipboard');
	await t.shot(page, 'admin-key-created');
	await page.getByRole('button', {name: 'I have copied it'}).click();
	t.ok(await fresh.count() === 0 && !(await page.locator('main').textContent()).includes(key), 'once copied, it leaves the page');

	await page.getByRole('button', {name: 'Revoke the key ci-bot'}).click();
	const dlg = page.locator('dialog.confirm');
	await dlg.waitFor();
	t.ok((await dlg.textContent()).includes('“ci-bot”'), 'revoking asks first');
	await dlg.getByRole('button', {name: 'Revoke ci-bot'}).click();
	await row(page, 'ci-bot').locator('[data-status="revoked"]').waitFor();
	t.ok((await t.api('/api/me', {key})).status === 401, 'revoked: the key is refused');
	await t.shot(page, 'admin-keys');

	await page.getByRole('link', {name: 'Audit log'}).click();
	await page.locator('main h1', {hasText: 'Audit log'}).waitFor();
	const created = row(page, 'key.create').filter({hasText: 'ci-bot'});
	const revoked = row(page, 'key.revoke').filter({hasText: 'ci-bot'});
	t.ok(await created.count() === 1 && await revoked.count() === 1, 'the audit log shows ci-bot created and revoked');
	t.ok(await row(page, 'execution.create').count() > 0, 'and the launches');
	await t.shot(page, 'admin-audit');

	// more than a page: "Show older entries" asks for the page before the
	// last entry shown (before=), and every entry is shown once
	for (let i = 0; i < 55; i++) {
		const r = await t.api('/api/admin/keys', {method: 'POST', body: {name: `page-${i}`, role: 'user'}});
		if (r.status !== 201) throw new Error('key page-' + i + ': ' + r.text);
	}
	const asked = [];
	page.on('request', r => { if (r.url().includes('/api/admin/audit')) asked.push(new URL(r.url()).searchParams.get('before')); });
	await go(page, '#/plugins', 'Plugins');   // (the keys page would list them: key.list)
	await go(page, '#/admin/audit', 'Audit log');
	await page.locator('main [role="status"]', {hasText: 'The newest 50 entries'}).waitFor();
	const top = await row(page, /page-\d+/).count();
	await page.getByRole('button', {name: 'Show older entries'}).click();
	await page.locator('main [role="status"]', {hasText: /The newest 100 entries|All \d+ entries/}).waitFor();
	const pages = (await row(page, /page-\d+/).allTextContents()).map(x => x.match(/page-\d+/)[0]);
	t.ok(top === 50 && pages.length === 55 && new Set(pages).size === 55,
		'Show older entries adds the older page below: each of 55 new keys once', top, pages.length);
	t.ok(asked.length === 2 && asked[0] === null && /^\d+$/.test(asked[1] || ''),
		'it asks for the entries before the last one shown (before=)', asked);
}

async function userKey(t) {
	const key = await t.key('dev', 'user', 'red');
	const page = await newPage(t);
	await signIn(t, page, key);
	t.ok(await page.locator('#nav a', {hasText: 'Admin'}).count() === 0, 'a user sees no Admin link');
	await page.evaluate(() => { location.hash = '#/admin'; });
	// the admin page's heading, or the frame's own answer (a Not found)
	await page.locator('.page[data-page="admin"] h1, main > h1').waitFor();
	t.ok((await page.locator('main').textContent()).includes('Only administrators'),
		'a user opening #/admin is told it is for administrators', await page.locator('main').textContent());
	await t.shot(page, 'admin-as-user');
	// the server's own folders are an admin's business
	await page.evaluate(() => { location.hash = '#/providers'; });
	await page.locator('.page[data-page="providers"] table').waitFor();
	const src = await row(page, 'demo-team@example.org').locator('td[data-label="Source"]').textContent();
	t.ok(src.includes('a folder of the server') && !src.includes(t.dir),
		"a user sees that demo comes from a folder of the server, not the server's path", src);
	const api = await t.api('/api/providers', {key});
	t.ok(!api.text.includes(t.dir), "the API shows a user no folder of the server's either", api.text.slice(0, 300));
	await page.context().close();
}

// Every page of the catalog as the harness checks pages: axe-core in
// the light and the dark theme, nothing wider than a 360 px screen,
// screenshots of the four.
async function everyPage(t) {
	const page = await newPage(t);
	await signIn(t, page);
	for (const [hash, heading] of PAGES) {
		await go(page, hash, heading);
		await t.inspect(page, hash.slice(2).replace(/\W+/g, '-'));
	}
	await page.context().close();
}

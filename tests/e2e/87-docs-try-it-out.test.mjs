// /docs "Try it out" in a real browser (issue 15, item 2): headless
// Chromium (Debian's, driven by playwright-core) opens the reference on
// the server's address and again under another host name for the same
// server, presses "Try it out" then "Execute" on GET /v1/events, and sees
// a 200 with events in the rendered answer: the request went to the origin
// the page came from (servers: "/"), the page's CSP let it through, and
// no filter was pre-filled to empty the list.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { BASE_URL } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// What works on this machine (no network beyond loopback): no sandbox as
// root, no GPU, nothing fetched in the background. Playwright adds
// --headless and a fresh --user-data-dir.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser;

before(async () => {
	assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/deps.sh)`);
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

after(async () => {
	await browser?.close();
});

// Opens base/docs, runs GET /v1/events from "Try it out"; answers what the
// page showed and what the browser did.
async function tryListEvents(base) {
	const page = await browser.newPage();
	const requests = [];
	const refused = [];
	const origin = new URL(base).origin;
	page.on('request', (r) => requests.push(r.url()));
	page.on('console', (m) => {
		if (/Content Security Policy|Refused to/i.test(m.text()))
			refused.push(m.text());
	});
	try {
		await page.goto(`${base}/docs`);
		const op = page.locator('.opblock-get:has(.opblock-summary-path[data-path="/v1/events"])');
		await op.locator('.opblock-summary').first().waitFor({ timeout: 20000 });
		await op.locator('.opblock-summary').first().click();
		await op.locator('button.try-out__btn').click();
		// Every query field as "Try it out" filled it in.
		const filled = {};
		for (const row of await op.locator('tr[data-param-in="query"]').all()) {
			const name = await row.getAttribute('data-param-name');
			const input = row.locator('input, select');
			if (await input.count() > 0)
				filled[name] = await input.first().inputValue();
		}
		await op.locator('button.execute').click();
		// The answer's row (the table's head says "Code").
		const live = op.locator('.live-responses-table tbody tr.response');
		await live.first().waitFor({ timeout: 20000 });
		const status = (await live.locator('.response-col_status').first().innerText()).trim();
		const body = await live.locator('.response-col_description pre').first().innerText();
		const requestUrl = await op.locator('.request-url pre').first().innerText();
		return { status, body, requestUrl, filled, refused,
		    calls: requests.filter((u) => new URL(u).pathname === '/v1/events'),
		    foreign: requests.filter((u) => new URL(u).origin !== origin) };
	} finally {
		await page.close();
	}
}

function assertListed(got, base) {
	assert.deepEqual(got.refused, [], 'no Content-Security-Policy refusal');
	assert.deepEqual(got.foreign, [], 'nothing fetched from another origin');
	for (const [name, value] of Object.entries(got.filled)) {
		if (name !== 'limit')
			assert.equal(value, '', `filter ${name} is not pre-filled`);
	}
	assert.equal(got.filled.limit, '50', 'limit shows its default');
	assert.equal(got.calls.length, 1, `one call: ${got.calls}`);
	assert.equal(new URL(got.calls[0]).origin, new URL(base).origin, 'the call went to the page\'s origin');
	assert.equal(got.requestUrl.trim(), `${base}/v1/events?limit=50`);
	assert.equal(got.status, '200', `rendered status: ${got.status} ${got.body.slice(0, 300)}`);
	const json = JSON.parse(got.body);
	assert.ok(Array.isArray(json.items) && json.items.length > 0, 'events are listed');
	assert.ok(json.items.every((e) => e.status !== 'draft'), 'anonymous: no drafts');
}

test('Chromium: /docs "Try it out" → "Execute" on GET /v1/events answers 200 with events', async () => {
	assertListed(await tryListEvents(BASE_URL), BASE_URL);
});

test('Chromium: the same under another host name for this server (servers: "/")', async () => {
	const u = new URL(BASE_URL);
	const other = `http://localhost:${u.port}`;
	assert.notEqual(other, BASE_URL);
	assertListed(await tryListEvents(other), other);
});

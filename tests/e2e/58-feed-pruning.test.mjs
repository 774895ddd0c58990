// Issue 17, item 4: the change feed is pruned past what every active
// partner has read, and past NGAN_FEED_RETENTION_DAYS (30 here) whoever
// has read it; a cursor whose next changes went is 410 cursor-expired,
// never a silent gap; positions go on from the last one.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { expectProblem, expectStatus, openEvent, registerInline, sql, tokenFor } from './lib.mjs';
import { drainFeed, feed, partner } from './partner-lib.mjs';

let organizer;
let a;
let b;
before(async () => {
	organizer = await tokenFor('organizer');
	a = await partner({ scopes: ['feed:read'] });
	b = await partner({ scopes: ['feed:read'] });
	// Only this file's clients are active readers: the other files'
	// clients read within the retention too and would hold rows back.
	sql(`update partner_client set feed_read_at = null
	    where id <> all ($1::uuid[])`, [`{${a.client.id},${b.client.id}}`]);
});

const stamped = (where = 'true') => Number(sql(`select count(*) from registration_feed
    where pos is not null and ${where}`));
const top = () => Number(sql('select max(pos) from registration_feed'));
const cursorAt = (pos) => Buffer.from(`f:${pos}`).toString('base64url');

async function changes(n) {
	const { event } = await openEvent({ capacity: 100, quotas: [] });
	const ids = [];
	for (let i = 0; i < n; i++)
		ids.push(expectStatus(await registerInline(event.id, { token: organizer }), 201).json.id);
	return ids;
}

// Reads from the cursor until a read prunes nothing more (each read
// prunes at most 10,000 rows).
async function settle(token, cursor) {
	let before = -1;
	for (let i = 0; i < 40 && stamped() !== before; i++) {
		before = stamped();
		expectStatus(await feed(token, cursor ? { cursor, limit: '1' } : { limit: '1' }), 200);
	}
}

test('what both partners read goes; what one has not read stays until it has', async () => {
	const { cursor: a0 } = await drainFeed(a.token);
	const { cursor: b0 } = await drainFeed(b.token);
	const ids = await changes(5);
	const { items: seenByA, cursor: a1 } = await drainFeed(a.token, a0);
	assert.deepEqual(seenByA.filter((x) => x.op === 'create').map((x) => x.registration_id), ids);
	await settle(a.token, a1);
	const lastA = seenByA.at(-1).position;
	assert.ok(stamped(`pos > ${b0 ? Number(Buffer.from(b0, 'base64url').toString().slice(2)) : 0}`) >= 5,
	    'b has not read them: they stay');
	const { items: seenByB, cursor: b1 } = await drainFeed(b.token, b0);
	assert.deepEqual(seenByB.map((x) => x.position), seenByA.map((x) => x.position),
	    'b gets every change a got, none missing');
	await settle(b.token, b1);
	await settle(a.token, a1);
	assert.equal(stamped(`pos < ${lastA}`), 0, 'everything both read is gone');
	assert.ok(stamped() >= 1, 'the last position stays');
});

test('a cursor whose next changes were pruned is 410 cursor-expired; from the start works', async () => {
	const c = await partner({ scopes: ['feed:read'] });
	const lowest = Number(sql('select min(pos) from registration_feed where pos is not null'));
	assert.ok(lowest > 2, 'rows were pruned');
	const audits = Number(sql('select count(*) from partner_audit'));
	expectProblem(await feed(c.token, { cursor: cursorAt(1) }), 410, 'cursor-expired');
	assert.equal(Number(sql('select count(*) from partner_audit')), audits + 1, 'the refused read is audited');
	const fresh = expectStatus(await feed(c.token), 200);
	assert.ok(fresh.json.items.every((x) => Number(x.position) >= lowest));
	sql('update partner_client set feed_read_at = null where id = $1::uuid', [c.client.id]);
});

test('past the retention a change goes whoever has not read it; positions go on', async () => {
	const { cursor: a1 } = await drainFeed(a.token);
	await changes(3);
	// b reads the three (their positions are given) and stops reading; a
	// has not read them. Then 40 days pass for the feed's days.
	await drainFeed(b.token);
	const high = top();
	sql('update partner_client set feed_read_at = now() - interval \'40 days\' where id = $1::uuid',
	    [b.client.id]);
	sql('update registration_feed_day set day = day - 40');
	// c reads (no cursor): it holds back only from where it starts.
	const c = await partner({ scopes: ['feed:read'] });
	await settle(c.token);
	expectProblem(await feed(a.token, { cursor: a1 }), 410, 'cursor-expired');
	assert.equal(stamped(`pos < ${high}`), 0, 'all but the last position went');
	await changes(1);
	const again = await drainFeed(a.token);
	assert.ok(again.items.length >= 1);
	assert.ok(again.items.every((x) => Number(x.position) >= high), 'positions go on from the last');
	assert.ok(again.items.some((x) => Number(x.position) > high), 'the new change is after it');
	sql('update partner_client set feed_read_at = null where id = $1::uuid', [c.client.id]);
});

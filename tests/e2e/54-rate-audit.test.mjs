// Partner clients are rate-limited per client (NGAN_PARTNER_RATE a
// minute, shared by all workers); every partner read is audited, and
// admins read the audit log with keyset paging and filters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectBadQuery, sql, sqlInt, sleep, DEMO } from './lib.mjs';
import { RATE, partner, stats, feed } from './partner-lib.mjs';

async function freshMinute() {
	const s = sqlInt('select extract(second from now())::int');
	if (s > 45)
		await sleep((61 - s) * 1000);
}

test(`a client gets ${RATE} requests a minute, then 429 with Retry-After; others are not affected`, async () => {
	const a = await partner({ scopes: ['stats:read', 'feed:read'] });
	const b = await partner({ scopes: ['stats:read'] });
	await freshMinute();
	const statuses = [];
	for (let i = 0; i < RATE; i++) {
		const res = i % 2 ? await stats(a.token) : await feed(a.token, { limit: '1' });
		statuses.push(res.status);
	}
	assert.deepEqual([...new Set(statuses)], [200]);
	const over = await stats(a.token);
	expectProblem(over, 429, 'too-many-requests');
	const wait = Number(over.headers.get('retry-after'));
	assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
	assert.equal(over.json.retry_after, wait);
	expectProblem(await feed(a.token), 429, 'too-many-requests');
	expectProblem(await api('GET', '/v1/stats/attendance.csv', { token: a.token }), 429, 'too-many-requests');
	expectStatus(await stats(b.token), 200, 'another client has its own count');
	expectStatus(await stats(await tokenFor('admin')), 200, 'staff are not limited');
	assert.equal(sqlInt(`select n from partner_rate where client = $1::uuid`, [a.client.id]), RATE + 3);
});

test('every partner read is audited: who, route, status, rows; admins page and filter it', async () => {
	const { client, token } = await partner({ scopes: ['stats:read', 'feed:read'] });
	const admin = await tokenFor('admin');
	const t0 = sql('select api.ts(now() - interval \'1 second\')');
	await freshMinute();
	const s = expectStatus(await stats(token, { group_by: 'event' }), 200).json;
	const f = expectStatus(await feed(token, { limit: '5' }), 200).json;
	expectStatus(await api('GET', '/v1/stats/attendance.csv?group_by=month', { token }), 200);
	expectProblem(await stats(token, { province: '1x' }), 422, 'validation');
	for (let i = 0; i < 9; i++)
		expectStatus(await stats(token), 200);
	// Staff reads are not partner reads.
	const adminRows = sqlInt('select count(*) from partner_audit where actor_id = $1::uuid', [DEMO.admin.id]);
	expectStatus(await stats(admin), 200);
	assert.equal(sqlInt('select count(*) from partner_audit where actor_id = $1::uuid', [DEMO.admin.id]),
	    adminRows);

	const seen = [];
	let cursor = null;
	for (let i = 0; i < 20; i++) {
		const q = new URLSearchParams({ client: client.id, limit: '4', from: t0 });
		if (cursor)
			q.set('cursor', cursor);
		const res = expectStatus(await api('GET', `/v1/audit?${q}`, { token: admin }), 200);
		seen.push(...res.json.items);
		cursor = res.json.next_cursor;
		if (!cursor)
			break;
	}
	assert.equal(seen.length, 12, 'twelve reads that reached the database (the 422 did not)');
	assert.equal(new Set(seen.map((e) => e.id)).size, 12, 'no entry twice');
	for (let i = 1; i < seen.length; i++)
		assert.ok(seen[i].at >= seen[i - 1].at, 'oldest first');
	for (const e of seen) {
		assert.equal(e.actor_id, client.id);
		assert.equal(e.actor_kind, 'client');
		assert.equal(e.status, 200);
	}
	assert.deepEqual(seen.slice(0, 3).map((e) => [e.route, e.rows]), [
	    ['/v1/stats/attendance', s.items.length],
	    ['/v1/feed/registrations', f.items.length],
	    ['/v1/stats/attendance.csv', seen[2].rows]]);
	assert.deepEqual(seen[0].query, { group_by: 'event' });
	assert.deepEqual(seen[1].query, { limit: 5 });

	// Time filters; a partner account (user) is audited too.
	const later = await api('GET', `/v1/audit?${new URLSearchParams({ client: client.id,
	    from: '2100-01-01T00:00:00+07:00' })}`, { token: admin });
	assert.deepEqual(expectStatus(later, 200).json.items, []);
	const early = await api('GET', `/v1/audit?${new URLSearchParams({ client: client.id,
	    to: t0 })}`, { token: admin });
	assert.deepEqual(expectStatus(early, 200).json.items, []);
	expectStatus(await stats(await tokenFor('partner')), 200);
	const user = expectStatus(await api('GET', `/v1/audit?client=${DEMO.partner.id}`, { token: admin }), 200);
	assert.ok(user.json.items.some((e) => e.actor_kind === 'user' && e.route === '/v1/stats/attendance'));

	for (const who of ['organizer', 'scanner', 'partner'])
		expectProblem(await api('GET', '/v1/audit', { token: await tokenFor(who) }), 403, 'forbidden');
	expectProblem(await api('GET', '/v1/audit', { token }), 403, 'forbidden');
	expectBadQuery(await api('GET', '/v1/audit?client=nope', { token: admin }), 'client');
	expectBadQuery(await api('GET', '/v1/audit?from=yesterday', { token: admin }), 'from');
	expectProblem(await api('GET', '/v1/audit?cursor=abc', { token: admin }), 400, 'bad-request');
});

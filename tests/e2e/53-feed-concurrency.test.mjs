// The feed under concurrent writes: a transaction that took its serial
// number early and commits late (the classic trap: serials are not commit
// order) must still be delivered, once, to readers that paged on while it
// was open; registrations and check-ins written in parallel with two
// readers paging are each delivered exactly once.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, sql, sqlInt, DATABASE_URL, waitFor, registerInline } from './lib.mjs';
import { checkin, runningEvent, ticketOf } from './checkins-lib.mjs';
import { feed, drainFeed } from './partner-lib.mjs';

// Pages on until stop() says so, then once more to the end.
function reader(token, cursor, limit) {
	const items = [];
	let stopped = false;
	const done = (async () => {
		for (;;) {
			const wasStopped = stopped;
			const res = expectStatus(await feed(token, { cursor, limit: String(limit) }), 200);
			items.push(...res.json.items);
			const next = res.json.next_cursor;
			if (res.json.items.length === 0 && next === cursor && wasStopped)
				return;
			cursor = next;
		}
	})();
	return { items, stop: () => { stopped = true; return done; } };
}

test('no gaps and no repeats while transactions commit out of serial order', async () => {
	const admin = await tokenFor('admin');
	const organizer = await tokenFor('organizer');
	const event = await runningEvent({ capacity: 200, quotas: [] });
	const first = expectStatus(await registerInline(event.id, { token: organizer }), 201).json;
	const start = await drainFeed(admin);
	const seq0 = sqlInt('select coalesce(max(seq), 0) from registration_feed');

	// A writer that takes its feed serial now and commits in 5 seconds.
	const held = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL, '-c',
	    `begin; update registration set updated_at = now(), version = version + 1
	     where id = '${first.id}'; select pg_sleep(5); commit;`], { stdio: 'ignore' });
	const heldDone = new Promise((resolve) => held.on('exit', resolve));
	await waitFor(() => sqlInt(`select count(*) from pg_stat_activity
	    where query like '%pg_sleep(5)%' and state = 'active' and pid <> pg_backend_pid()`) > 0);

	// Two readers page while registrations and check-ins go on in parallel.
	const r1 = reader(admin, start.cursor, 3);
	const r2 = reader(admin, start.cursor, 7);
	const regs = [];
	for (let round = 0; round < 4; round++) {
		const batch = await Promise.all(Array.from({ length: 5 }, () =>
		    registerInline(event.id, { token: organizer })));
		for (const res of batch)
			regs.push(expectStatus(res, 201).json);
		await Promise.all(batch.slice(0, 2).map(async (res) => {
			const t = await ticketOf(res.json.id, organizer);
			const c = await checkin(organizer, { token: t, event_id: event.id, direction: 'in' });
			assert.equal(c.status, 201);
		}));
	}
	// While the slow writer is open, nothing after its serial is handed
	// out: it would be passed over for good.
	// (Checked only if the writes took less than the 5 seconds.)
	if (held.exitCode === null) {
		assert.equal(r1.items.length + r2.items.length, 0,
		    'readers wait behind the open transaction');
	}
	assert.equal(await heldDone, 0, 'the slow writer committed');
	await Promise.all([r1.stop(), r2.stop()]);

	const heldRow = sql(`select seq || '|' || pos from registration_feed where seq > $1::bigint and
	    registration_id = $2::uuid and op = 'update' order by seq limit 1`, [String(seq0), first.id]);
	const [heldSeq, heldPos] = heldRow.split('|').map(Number);
	assert.ok(sqlInt('select count(*) from registration_feed where seq > $1::bigint', [String(heldSeq)]) > 0,
	    'later serials committed first: the trap was set');

	const expected = sql(`select string_agg(pos::text, ',' order by pos) from registration_feed
	    where seq > $1::bigint`, [String(seq0)]).split(',');
	assert.ok(!expected.includes(''), 'every row has its position');
	for (const [name, r] of [['reader 1', r1], ['reader 2', r2]]) {
		const got = r.items.map((it) => it.position);
		assert.equal(new Set(got).size, got.length, `${name}: no repeats`);
		assert.deepEqual(got, expected, `${name}: every change once, in order`);
		assert.ok(got.includes(String(heldPos)), `${name}: the slow transaction's change is there`);
	}
	for (const reg of regs)
		assert.ok(r1.items.some((it) => it.registration_id === reg.id && it.op === 'create'));
	expectStatus(await api('GET', `/v1/events/${event.id}/attendance`, { token: organizer }), 200);
});

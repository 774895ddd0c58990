// GET /v1/feed/registrations: every change in order, tombstones for
// deletions, resumable cursors, a pseudonym per partner, province limits.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectBadQuery, sql } from './lib.mjs';
import { eventWithPeople, partner, feed, drainFeed } from './partner-lib.mjs';

test('creates, check-ins, cancellations and deletions come in order, once each', async () => {
	const admin = await tokenFor('admin');
	const organizer = await tokenFor('organizer');
	const start = await drainFeed(admin);
	const { event, people } = await eventWithPeople(3, 1);
	expectStatus(await api('POST', `/v1/registrations/${people[2].id}/cancel`, { token: organizer }), 200);
	// A deletion (not offered by the API, but the feed must say it).
	sql(`delete from registration where id = $1::uuid`, [people[1].id]);

	const { items, cursor } = await drainFeed(admin, start.cursor, 2);
	const positions = items.map((it) => BigInt(it.position));
	for (let i = 1; i < positions.length; i++)
		assert.ok(positions[i] > positions[i - 1], 'positions increase');
	const ops = (id) => items.filter((it) => it.registration_id === id).map((it) => it.op);
	assert.deepEqual(ops(people[0].id).filter((o) => o !== 'update'), ['create', 'check_in']);
	assert.deepEqual(ops(people[1].id).filter((o) => o !== 'update'), ['create', 'delete']);
	assert.deepEqual(ops(people[2].id).filter((o) => o !== 'update'), ['create', 'cancel']);
	const tomb = items.find((it) => it.registration_id === people[1].id && it.op === 'delete');
	assert.equal(tomb.registration, null);
	assert.equal(tomb.event_id, event.id);
	const checked = items.find((it) => it.registration_id === people[0].id && it.op === 'check_in');
	assert.equal(checked.registration.checked_in, true);
	assert.equal(checked.registration.province_code, '52');
	const cancelled = items.find((it) => it.registration_id === people[2].id && it.op === 'cancel');
	assert.equal(cancelled.registration.status, 'cancelled');
	// Everything the database logged since, exactly once.
	const logged = Number(sql(`select count(*) from registration_feed where pos > $1::bigint`,
	    [String(positions[0] - 1n)]));
	assert.equal(items.length, logged);

	// Nothing new: the same cursor comes back with no items.
	const again = expectStatus(await feed(admin, { cursor }), 200).json;
	assert.deepEqual(again, { items: [], next_cursor: cursor });
	// Resuming from any cursor in the middle gives the rest, no more, no less.
	const mid = await drainFeed(admin, start.cursor, 3);
	assert.deepEqual(mid.items.map((it) => it.position), items.map((it) => it.position));
});

test('participants are pseudonyms: stable per partner, different between partners', async () => {
	const a = await partner({ scopes: ['feed:read'] });
	const b = await partner({ scopes: ['feed:read'] });
	const startA = await drainFeed(a.token);
	const startB = await drainFeed(b.token);
	const organizer = await tokenFor('organizer');
	const { event, people } = await eventWithPeople(1, 0);
	const pid = sql(`select participant_id from registration where id = $1::uuid`, [people[0].id]);
	const second = await eventWithPeople(0, 0);
	expectStatus(await api('POST', `/v1/events/${second.event.id}/registrations`, { token: organizer,
	    body: { participant_id: pid } }), 201);
	const seenA = (await drainFeed(a.token, startA.cursor)).items.filter((it) =>
	    [event.id, second.event.id].includes(it.event_id) && it.op === 'create');
	const seenB = (await drainFeed(b.token, startB.cursor)).items.filter((it) =>
	    [event.id, second.event.id].includes(it.event_id) && it.op === 'create');
	assert.equal(seenA.length, 2);
	assert.equal(seenA[0].participant, seenA[1].participant, 'the same person, the same pseudonym');
	assert.match(seenA[0].participant, /^[0-9a-f]{64}$/);
	assert.notEqual(seenA[0].participant, seenB[0].participant, 'another partner, another pseudonym');
	assert.ok(!JSON.stringify(seenA).includes(pid), 'no participant id');
});

test('a province-restricted client gets its provinces\' changes only', async () => {
	const phayao = await partner({ scopes: ['feed:read'], provinces: ['56'] });
	const start = await drainFeed(phayao.token);
	const { event } = await eventWithPeople(2, 1);
	const { items } = await drainFeed(phayao.token, start.cursor);
	assert.ok(!items.some((it) => it.event_id === event.id), 'no Lampang changes');
	const admin = await tokenFor('admin');
	assert.ok((await drainFeed(admin, start.cursor)).items.some((it) => it.event_id === event.id));
});

test('bad cursors and limits', async () => {
	const admin = await tokenFor('admin');
	for (const cursor of ['nope', 'Zjp4', 'eDox', '!!!', 'Zjo'])
		expectProblem(await feed(admin, { cursor }), 400, 'bad-request');
	for (const limit of ['0', '201', 'x'])
		expectBadQuery(await feed(admin, { limit }), 'limit');
	expectProblem(await feed(await tokenFor('organizer')), 403, 'forbidden');
});

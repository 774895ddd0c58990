// Issue 14, partner data.
//
// Item 8: small cells came back by differencing. Counts of 1 to 4 were
// null and the rest exact, so a two-day total minus a one-day total, or a
// total minus its visible rows, gave the hidden count (238 - 236 = 2).
// The attack is replayed here; the statistics now use consistent random
// rounding to base 5 (the draw fixed by the cell's record keys), so every
// figure, and every difference of figures, is a multiple of 5.
//
// Item 11: a partner user account (role partner, kind user) read the
// statistics and the feed with no scope, no province limit and no rate
// limit. Now it acts for one partner client and gets exactly that
// client's scopes, provinces, active flag and rate limit.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, bkk, openEvent, createUser,
    login, newUuid, sleep, sql, sqlInt } from './lib.mjs';
import { registered } from './checkins-lib.mjs';
import { RATE, partner, partnerClient, clientToken, stats, feed } from './partner-lib.mjs';

const LAMPANG = 'a0000000-0000-4000-8000-000000000001';
const COUNTS = ['registrations', 'checked_in', 'unique_participants', 'section40_members'];
const DAY = 24 * 3600 * 1000;
let admin, organizer, big, small, d1, d2;

// An event of the demo organizer's agency on a given Bangkok day, with n
// people registered.
async function eventOn(day, n) {
	const start = new Date(`${day}T09:00:00+07:00`).getTime();
	const { event } = await openEvent({ starts_at: bkk(start), ends_at: bkk(start + 7 * 3600 * 1000),
	    quotas: [], capacity: 50 }, organizer);
	for (let i = 0; i < n; i++)
		await registered(event.id, { token: organizer });
	return event;
}

// Two days no other test uses, a year and a half ahead.
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	const base = new Date(Date.now() + 7 * 3600 * 1000 + 540 * DAY).toISOString().slice(0, 10);
	d1 = base;
	d2 = new Date(new Date(`${base}T00:00:00Z`).getTime() + DAY).toISOString().slice(0, 10);
	big = await eventOn(d1, 7);
	small = await eventOn(d2, 2);
});

const ask = async (q, token = admin) => expectStatus(await stats(token, { province: '52', ...q }), 200).json;

// What the method gives for a set of registrations: the count rounded to
// base 5, up when the sum of the people's keys mod 2^31 falls below r/5.
function expected(where, params) {
	return sqlInt(`select api.stats_round(count(*), coalesce(sum(p.stats_key), 0))
	    from registration r join participant p on p.id = r.participant_id
	    where r.status <> 'cancelled' and ${where}`, params);
}

describe('the differencing attack, replayed', () => {
	test('a two-day total minus a one-day total does not give the small event\'s count', async () => {
		const both = await ask({ from: d1, to: d2 });
		const first = await ask({ from: d1, to: d1 });
		assert.equal(both.totals.events, 2);
		assert.equal(first.totals.events, 1);
		for (const c of COUNTS) {
			const diff = both.totals[c] - first.totals[c];
			assert.ok(!(diff >= 1 && diff <= 4), `${c}: ${both.totals[c]} - ${first.totals[c]} = ${diff}` +
			    ' singles out the 2 people of the second day');
			assert.equal(Math.abs(diff) % 5, 0, `${c}: a multiple of 5`);
		}
	});

	test('a total minus its visible rows does not give the hidden row', async () => {
		const t = await ask({ from: d1, to: d2, group_by: 'event' });
		assert.deepEqual(t.items.map((it) => it.event_id).sort(), [big.id, small.id].sort());
		for (const c of COUNTS) {
			for (const it of t.items) {
				assert.equal(typeof it[c], 'number', `${c}: never null`);
				const rest = t.totals[c] - t.items.filter((x) => x !== it).reduce((n, x) => n + x[c], 0);
				assert.ok(!(rest >= 1 && rest <= 4) || rest === it[c],
				    `${c}: total ${t.totals[c]} minus the other rows gives ${rest}, not what the row shows`);
				assert.equal(Math.abs(rest) % 5, 0, `${c}: a multiple of 5`);
			}
		}
		// Nothing is null and nothing says "suppressed": the small event
		// shows 0 or 5, like any other figure.
		const s = t.items.find((it) => it.event_id === small.id);
		assert.ok([0, 5].includes(s.registrations), `2 people shown as ${s.registrations}`);
		assert.equal(s.suppressed, undefined);
	});

	test('the method is named in the answer', async () => {
		const t = await ask({ from: d1, to: d2 });
		assert.deepEqual(t.disclosure_control, { method: 'consistent_random_rounding', base: 5 });
		assert.equal(t.min_cell, undefined);
	});
});

describe('consistent random rounding to base 5', () => {
	test('every count is a multiple of 5, within 4 of the truth; 0 stays 0', async () => {
		const t = await ask({ from: d1, to: d2, group_by: 'event' });
		const truth = { [big.id]: 7, [small.id]: 2 };
		for (const it of t.items) {
			for (const c of ['registrations', 'unique_participants', 'section40_members']) {
				assert.equal(it[c] % 5, 0);
				assert.ok(Math.abs(it[c] - truth[it.event_id]) <= 4, `${c}: ${it[c]} for ${truth[it.event_id]}`);
			}
			assert.equal(it.checked_in, 0, 'nobody came yet: 0 is 0');
		}
	});

	test('each figure is what the method gives for its records\' keys', async () => {
		const t = await ask({ from: d1, to: d2, group_by: 'event' });
		for (const it of t.items)
			assert.equal(it.registrations, expected('r.event_id = $1::uuid', [it.event_id]), it.event_id);
		assert.equal(t.totals.registrations, expected('r.event_id in ($1::uuid, $2::uuid)', [big.id, small.id]));
	});

	test('the same people round the same way, in every answer and every grouping', async () => {
		// The first day holds exactly the big event's registrations.
		const views = [
		    (await ask({ from: d1, to: d1 })).totals,
		    (await ask({ from: d1, to: d1, group_by: 'month' })).totals,
		    (await ask({ from: d1, to: d1, group_by: 'district' })).items[0],
		    (await ask({ from: d1, to: d2, group_by: 'event' })).items.find((it) => it.event_id === big.id),
		    (await ask({ from: d1, to: d1, group_by: 'target_group' })).totals,
		    (await ask({ from: d1, to: d1 }, organizer)).totals,
		];
		for (const v of views.slice(1))
			assert.deepEqual(COUNTS.map((c) => v[c]), COUNTS.map((c) => views[0][c]));
		// Asked again, the same answer: nothing to average away.
		const again = await ask({ from: d1, to: d2, group_by: 'event' });
		assert.deepEqual(again.items, (await ask({ from: d1, to: d2, group_by: 'event' })).items);
	});

	test('partners, organisers and the CSV get the same rounded figures', async () => {
		const p = await partner({ scopes: ['stats:read'], provinces: ['52'] });
		const json = await ask({ from: d1, to: d2, group_by: 'event' });
		const theirs = await ask({ from: d1, to: d2, group_by: 'event' }, p.token);
		assert.deepEqual(theirs.items, json.items);
		const csv = expectStatus(await api('GET', `/v1/stats/attendance.csv?province=52&from=${d1}&to=${d2}` +
		    '&group_by=event', { token: admin }), 200).text.slice(1).trimEnd().split('\r\n');
		assert.equal(csv[0], 'event_id,title,events,registrations,checked_in,unique_participants,' +
		    'section40_members');
		for (const it of json.items) {
			const line = csv.find((l) => l.startsWith(it.event_id));
			assert.ok(line.endsWith(`,1,${it.registrations},${it.checked_in},${it.unique_participants},` +
			    `${it.section40_members}`), line);
		}
		assert.ok(csv.at(-1).startsWith('total,,2,'));
		assert.ok(csv.every((l) => !l.includes(',,,')), 'no empty cells');
	});

	test('a person\'s key is random, fixed, and never shown', async () => {
		const keys = sql(`select p.stats_key from registration r join participant p on p.id = r.participant_id
		    where r.event_id = $1::uuid`, [big.id]).split('\n').map(Number);
		assert.equal(new Set(keys).size, keys.length);
		assert.ok(keys.every((k) => Number.isInteger(k) && k >= 0 && k < 2 ** 31));
		const anyone = sql(`select p.id || '|' || p.stats_key from registration r
		    join participant p on p.id = r.participant_id where r.event_id = $1::uuid limit 1`, [big.id]).split('|');
		const reg = sql('select id from registration where participant_id = $1 limit 1', [anyone[0]]);
		const res = expectStatus(await api('GET', `/v1/registrations/${reg}`, { token: organizer }), 200);
		assert.ok(!res.text.includes('stats_key') && !res.text.includes(`${anyone[1]}`));
	});
});

describe('partner user accounts', () => {
	const THAIHEALTH = 'a0000000-0000-4000-8000-000000000007';

	async function partnerUser() {
		const { user, password } = await createUser({ role: 'partner', agency_id: THAIHEALTH });
		return { user, token: (await login(user.username, password)).access_token };
	}
	const link = (clientId, userId, token = admin) =>
	    api('PUT', `/v1/partner-clients/${clientId}/users/${userId}`, { token });
	const audited = (userId, status) => sqlInt(`select count(*) from partner_audit where actor_id = $1
	    and actor_kind = 'user' and status = $2::int`, [userId, String(status)]);

	async function freshMinute() {
		const s = sqlInt('select extract(second from now())::int');
		if (s > 40)
			await sleep((61 - s) * 1000);
	}

	test('an account that acts for no partner client reads nothing (it read everything, unlimited)', async () => {
		const u = await partnerUser();
		expectProblem(await stats(u.token), 403, 'forbidden');
		expectProblem(await stats(u.token, { province: '52', group_by: 'event' }), 403, 'forbidden');
		expectProblem(await api('GET', '/v1/stats/attendance.csv', { token: u.token }), 403, 'forbidden');
		expectProblem(await feed(u.token, { limit: '200' }), 403, 'forbidden');
		assert.equal(audited(u.user.id, 403), 4, 'each refusal audited, with the account');
	});

	test('linked, an account reads with its client\'s scopes and provinces, and nothing more', async () => {
		const c = await partnerClient({ scopes: ['stats:read'], provinces: ['56'] });
		const u = await partnerUser();
		const r = expectStatus(await link(c.id, u.user.id), 201);
		assert.equal(r.json.id, u.user.id);
		expectStatus(await link(c.id, u.user.id), 200, 'linked already');
		const mine = expectStatus(await stats(u.token, { group_by: 'province' }), 200).json;
		assert.deepEqual(mine.filters, { provinces: ['56'] });
		assert.ok(mine.items.every((it) => it.province_code === '56'));
		expectProblem(await stats(u.token, { province: '52' }), 403, 'forbidden');
		expectProblem(await feed(u.token), 403, 'forbidden', 'the client has no feed:read');
		const theirs = expectStatus(await stats(await clientToken(c), { group_by: 'province' }), 200).json;
		assert.deepEqual(mine.items, theirs.items, 'the same answer as the client');
		assert.equal(audited(u.user.id, 200), 1);
		const list = expectStatus(await api('GET', `/v1/partner-clients/${c.id}/users`, { token: admin }), 200);
		assert.deepEqual(list.json.items.map((x) => x.id), [u.user.id]);
	});

	test('an account and its client share the client\'s rate limit', async () => {
		const c = await partnerClient({ scopes: ['stats:read', 'feed:read'] });
		const ct = await clientToken(c);
		const u = await partnerUser();
		expectStatus(await link(c.id, u.user.id), 201);
		await freshMinute();
		for (let i = 0; i < RATE; i++)
			expectStatus(await feed(i % 2 ? u.token : ct, { limit: '1' }), 200, `request ${i + 1}`);
		const over = await stats(u.token);
		expectProblem(over, 429, 'too-many-requests');
		const wait = Number(over.headers.get('retry-after'));
		assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
		expectProblem(await feed(ct), 429, 'too-many-requests', 'the client too');
		expectStatus(await stats(admin), 200, 'staff are not limited');
		assert.equal(sqlInt('select n from partner_rate where client = $1::uuid', [c.id]), RATE + 2);
	});

	test('disabling the client or unlinking stops the account at once; a new role unlinks', async () => {
		const c = await partnerClient({ scopes: ['stats:read'] });
		const u = await partnerUser();
		expectStatus(await link(c.id, u.user.id), 201);
		expectStatus(await stats(u.token), 200);
		const patch = async (body) => {
			const etag = expectStatus(await api('GET', `/v1/partner-clients/${c.id}`, { token: admin }), 200)
			    .headers.get('etag');
			expectStatus(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: admin, body,
			    headers: { 'If-Match': etag } }), 200);
		};
		await patch({ active: false });
		expectProblem(await stats(u.token), 403, 'forbidden', 'the client is disabled');
		await patch({ active: true });
		expectStatus(await stats(u.token), 200);
		expectStatus(await api('DELETE', `/v1/partner-clients/${c.id}/users/${u.user.id}`, { token: admin }), 204);
		expectProblem(await stats(u.token), 403, 'forbidden', 'unlinked');
		expectProblem(await api('DELETE', `/v1/partner-clients/${c.id}/users/${u.user.id}`, { token: admin }),
		    404, 'not-found');
		expectStatus(await link(c.id, u.user.id), 201);
		const etag = expectStatus(await api('GET', `/v1/users/${u.user.id}`, { token: admin }), 200)
		    .headers.get('etag');
		expectStatus(await api('PATCH', `/v1/users/${u.user.id}`, { token: admin,
		    body: { role: 'scanner', agency_id: LAMPANG }, headers: { 'If-Match': etag } }), 200);
		assert.equal(sql('select coalesce(partner_client_id::text, \'none\') from app_user where id = $1',
		    [u.user.id]), 'none');
	});

	test('only admins link, only partner accounts, one client at a time', async () => {
		const c1 = await partnerClient({ scopes: ['stats:read'] });
		const c2 = await partnerClient({ scopes: ['stats:read'] });
		const u = await partnerUser();
		for (const who of ['organizer', 'partner'])
			expectProblem(await link(c1.id, u.user.id, await tokenFor(who)), 403, 'forbidden', who);
		expectProblem(await api('GET', `/v1/partner-clients/${c1.id}/users`, { token: organizer }), 403,
		    'forbidden');
		const scanner = (await createUser({ role: 'scanner' })).user;
		expectFieldError(await link(c1.id, scanner.id), 'user_id', 'not_found');
		expectFieldError(await link(c1.id, newUuid()), 'user_id', 'not_found');
		expectProblem(await link(newUuid(), u.user.id), 404, 'not-found');
		assert.equal(sqlInt('select count(*) from app_user where partner_client_id in ($1, $2)', [c1.id, c2.id]), 0);
		expectStatus(await link(c1.id, u.user.id), 201);
		expectProblem(await link(c2.id, u.user.id), 409, 'conflict');
		assert.equal(sql('select partner_client_id from app_user where id = $1', [u.user.id]), c1.id);
		// The demo partner account acts for the demo client.
		assert.equal(sql('select c.name from app_user u join partner_client c on c.id = u.partner_client_id ' +
		    'where u.username = \'partner\''), 'แดชบอร์ด สสส. (ตัวอย่าง)');
	});
});

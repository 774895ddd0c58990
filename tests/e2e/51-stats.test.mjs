// GET /v1/stats/attendance(.csv): counts agree with each event's
// attendance page under consistent random rounding to base 5 (issue 14:
// every people count is the method's rounding of the true count, drawn
// from its people's keys; 80-stats-disclosure replays the differencing
// attack), province-restricted clients see their provinces only,
// organisers their own agency's events.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectBadQuery, otherOrganizer, sql,
    sqlInt, DEMO, PHICHIT_AGENCY } from './lib.mjs';
import { runningEvent } from './checkins-lib.mjs';
import { eventWithPeople, partner, stats } from './partner-lib.mjs';
import { startServer } from './server-lib.mjs';

let big, small, fy, admin;
before(async () => {
	admin = await tokenFor('admin');
	// 7 people, 5 checked in: nothing suppressed. 2 people, 1 checked in,
	// and 2 of big's people registered again: every count is below 5.
	big = await eventWithPeople(7, 5);
	small = await eventWithPeople(2, 1);
	const organizer = await tokenFor('organizer');
	for (const p of big.people.slice(0, 2)) {
		const pid = sql(`select participant_id from registration where id = $1::uuid`, [p.id]);
		expectStatus(await api('POST', `/v1/events/${small.event.id}/registrations`, { token: organizer,
		    body: { participant_id: pid } }), 201);
	}
	fy = sqlInt(`select fiscal_year_be from event where id = $1::uuid`, [big.event.id]);
});

// The true counts of an event and what the rounding makes of them (the
// count rounded to base 5 by the sum of its people's keys).
function eventCounts(eventId) {
	const row = sql(`with r as (
	    select r.participant_id, p.section40, p.stats_key as k,
		exists (select 1 from checkin c where c.registration_id = r.id and c.state = 'effective'
		    and c.direction = 'in') as came
	    from registration r join participant p on p.id = r.participant_id
	    where r.event_id = $1::uuid and r.status <> 'cancelled'),
	    u as (select participant_id, min(k) as k, bool_or(section40) as s40 from r group by participant_id)
	    select count(*) || '|' || count(*) filter (where came) || '|' ||
		api.stats_round(count(*), coalesce(sum(k), 0)) || '|' ||
		api.stats_round(count(*) filter (where came), coalesce(sum(k) filter (where came), 0)) || '|' ||
		(select api.stats_round(count(*), coalesce(sum(k), 0)) from u) || '|' ||
		(select api.stats_round(count(*) filter (where s40), coalesce(sum(k) filter (where s40), 0)) from u)
	    from r`, [eventId]);
	const [registered, came, registrations, checked_in, unique_participants, section40_members] =
	    row.split('|').map(Number);
	return { registered, came, rounded: { registrations, checked_in, unique_participants, section40_members } };
}

test('group_by=event: each event agrees with its attendance page, rounded to base 5', async () => {
	const res = expectStatus(await stats(admin, { fiscal_year_be: String(fy), group_by: 'event' }), 200);
	assert.equal(res.json.group_by, 'event');
	assert.deepEqual(res.json.disclosure_control, { method: 'consistent_random_rounding', base: 5 });
	const byId = new Map(res.json.items.map((it) => [it.event_id, it]));
	const b = byId.get(big.event.id);
	assert.deepEqual({ ...b, title: undefined }, { event_id: big.event.id, title: undefined, events: 1,
	    ...eventCounts(big.event.id).rounded });
	assert.equal(b.checked_in, 5, '5 people: exact');
	assert.ok([5, 10].includes(b.registrations), `7 registrations: ${b.registrations}`);
	const s = byId.get(small.event.id);
	assert.deepEqual({ ...s, title: undefined }, { event_id: small.event.id, title: undefined, events: 1,
	    ...eventCounts(small.event.id).rounded }, '4 registrations, 1 check-in');
	assert.ok([0, 5].includes(s.registrations) && [0, 5].includes(s.checked_in));
	// Every event of the year: GET /v1/events/{id}/attendance's numbers, rounded.
	let compared = 0;
	for (const it of res.json.items) {
		const att = expectStatus(await api('GET', `/v1/events/${it.event_id}/attendance`, { token: admin }), 200).json;
		const mine = eventCounts(it.event_id);
		assert.equal(mine.registered, att.registered, `${it.event_id} registered`);
		assert.equal(mine.came, att.checked_in, `${it.event_id} checked in`);
		for (const [c, truth] of [['registrations', att.registered], ['checked_in', att.checked_in]]) {
			assert.equal(it[c], mine.rounded[c], `${it.event_id} ${c}`);
			assert.equal(it[c] % 5, 0);
			assert.ok(Math.abs(it[c] - truth) <= 4, `${it.event_id} ${c}: ${it[c]} for ${truth}`);
			if (truth === 0)
				assert.equal(it[c], 0, '0 stays 0');
		}
		compared++;
	}
	assert.ok(compared >= 2);
	assert.equal(res.json.totals.events, res.json.items.length, 'totals.events');
});

// What the database says for a province and year, counted the plain way
// and then rounded as the method does (by the sum of the people's keys).
function dbCounts(province) {
	const row = sql(`with r as (
	    select r.id, r.participant_id, p.section40, p.stats_key as k,
		exists (select 1 from checkin c where c.registration_id = r.id and c.state = 'effective'
		    and c.direction = 'in') as came
	    from registration r join event e on e.id = r.event_id join participant p on p.id = r.participant_id
	    where e.fiscal_year_be = $1::int and e.province_code = $2 and e.status in ('published', 'closed')
		and r.status <> 'cancelled'),
	    u as (select participant_id, min(k) as k, bool_or(section40) as s40 from r group by participant_id)
	    select (select count(*) from event e where e.fiscal_year_be = $1::int and e.province_code = $2
		and e.status in ('published', 'closed')) || '|' ||
		api.stats_round(count(*), coalesce(sum(k), 0)) || '|' ||
		api.stats_round(count(*) filter (where came), coalesce(sum(k) filter (where came), 0)) || '|' ||
		(select api.stats_round(count(*), coalesce(sum(k), 0)) from u) || '|' ||
		(select api.stats_round(count(*) filter (where s40), coalesce(sum(k) filter (where s40), 0))
		    from u) || '|' || count(*) || '|' || (select count(*) from u) from r`, [String(fy), province]);
	const [events, registrations, checked_in, unique_participants, section40_members, regsTrue, peopleTrue] =
	    row.split('|').map(Number);
	return { counts: { events, registrations, checked_in, unique_participants, section40_members },
	    regsTrue, peopleTrue };
}

test('group_by=province: unique people counted once across events, as the database says', async () => {
	const res = expectStatus(await stats(admin, { fiscal_year_be: String(fy), province: '52' }), 200);
	assert.deepEqual(res.json.filters, { fiscal_year_be: fy, province: '52' });
	assert.equal(res.json.items.length, 1);
	const row = res.json.items[0];
	assert.equal(row.province_code, '52');
	assert.equal(row.province_name, 'ลำปาง');
	const db = dbCounts('52');
	assert.deepEqual({ events: row.events, registrations: row.registrations, checked_in: row.checked_in,
	    unique_participants: row.unique_participants, section40_members: row.section40_members }, db.counts);
	assert.ok(db.peopleTrue < db.regsTrue, 'people registered twice count once');
	const { province_code, province_name, ...counts } = row;
	assert.deepEqual(res.json.totals, counts, 'one province: totals are the row');
	assert.ok(province_code && province_name);
});

test('other groupings: month, target_group, district add up to the same totals', async () => {
	const base = expectStatus(await stats(admin, { fiscal_year_be: String(fy), province: '52' }), 200).json.totals;
	for (const group_by of ['month', 'target_group', 'district']) {
		const res = expectStatus(await stats(admin, { fiscal_year_be: String(fy), province: '52', group_by }),
		    200);
		assert.equal(res.json.group_by, group_by);
		assert.deepEqual(res.json.totals, base, `${group_by}: totals (the same people, rounded alike)`);
		assert.ok(res.json.items.length >= 1);
		// Rows and totals are rounded each on its own: their sums differ
		// by a multiple of 5, at most 4 for each row and the total.
		const sum = res.json.items.reduce((n, it) => n + it.registrations, 0);
		assert.equal(Math.abs(sum - base.registrations) % 5, 0, `${group_by}: multiples of 5`);
		assert.ok(Math.abs(sum - base.registrations) <= 4 * (res.json.items.length + 1), `${group_by}: sums`);
	}
	const m = expectStatus(await stats(admin, { fiscal_year_be: String(fy), province: '52', group_by: 'month' }),
	    200).json.items;
	for (const it of m)
		assert.match(it.month, /^\d{4}-\d{2}$/);
	// from/to on the event's start day (Bangkok): today holds the running events.
	const today = new Date(Date.now() + 7 * 3600 * 1000 - 3600 * 1000).toISOString().slice(0, 10);
	const day = expectStatus(await stats(admin, { from: today, to: today, group_by: 'event' }), 200).json;
	const ids = day.items.map((it) => it.event_id);
	assert.ok(ids.includes(big.event.id) && ids.includes(small.event.id));
	const before = expectStatus(await stats(admin, { to: '2000-01-01', group_by: 'event' }), 200).json;
	assert.deepEqual(before.items, []);
	assert.equal(before.totals.events, 0);
});

test('province-restricted clients see their provinces only; others are 403', async () => {
	const phayao = await partner({ scopes: ['stats:read'], provinces: ['56'] });
	const res = expectStatus(await stats(phayao.token, { group_by: 'event' }), 200);
	assert.deepEqual(res.json.filters, { provinces: ['56'] });
	assert.ok(!res.json.items.some((it) => it.event_id === big.event.id), 'no Lampang event');
	expectProblem(await stats(phayao.token, { province: '52' }), 403, 'forbidden');
	expectProblem(await api('GET', '/v1/stats/attendance.csv?province=52', { token: phayao.token }),
	    403, 'forbidden');
	expectStatus(await stats(phayao.token, { province: '56' }), 200);

	const lampang = await partner({ scopes: ['stats:read'], provinces: ['52'] });
	const all = expectStatus(await stats(lampang.token), 200).json;
	assert.deepEqual(all.items.map((it) => it.province_code), ['52']);
	const adminView = expectStatus(await stats(admin, { province: '52' }), 200).json;
	assert.deepEqual(all.items, adminView.items);

	const free = await partner({ scopes: ['stats:read'] });
	const every = expectStatus(await stats(free.token, { province: '52' }), 200).json;
	assert.deepEqual(every.items, adminView.items);
	// A partner account (a user, not a client) reads statistics too.
	expectStatus(await stats(await tokenFor('partner'), { province: '52' }), 200);
});

test('organisers see their own agency\'s events only', async () => {
	const lampangOrg = await tokenFor('organizer');
	const mine = expectStatus(await stats(lampangOrg, { group_by: 'event', fiscal_year_be: String(fy) }), 200).json;
	assert.ok(mine.items.some((it) => it.event_id === big.event.id));
	const phichitOrg = await otherOrganizer();
	const theirs = expectStatus(await stats(phichitOrg, { group_by: 'event', fiscal_year_be: String(fy) }),
	    200).json;
	assert.ok(!theirs.items.some((it) => it.event_id === big.event.id));
	assert.ok(!theirs.items.some((it) => it.event_id === small.event.id));
});

test('bad parameters are 422 naming the parameter', async () => {
	for (const [name, value] of [['group_by', 'person'], ['fiscal_year_be', '1999'], ['fiscal_year_be', 'x'],
	    ['province', '5'], ['province', 'ab'], ['from', '2025-02-30'], ['to', '2025-01-01T00:00:00Z'],
	    ['from', 'yesterday']]) {
		expectBadQuery(await stats(admin, { [name]: value }), name);
		expectBadQuery(await api('GET', `/v1/stats/attendance.csv?${name}=${encodeURIComponent(value)}`,
		    { token: admin }), name);
	}
});

test('CSV: UTF-8 with BOM, the same numbers, suppressed cells empty, a total line', async () => {
	const q = `fiscal_year_be=${fy}&group_by=event`;
	const json = expectStatus(await stats(admin, { fiscal_year_be: String(fy), group_by: 'event' }), 200).json;
	const res = expectStatus(await api('GET', `/v1/stats/attendance.csv?${q}`, { token: admin }), 200);
	assert.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8/);
	assert.match(res.headers.get('content-disposition'), /attachment; filename="attendance-stats.csv"/);
	assert.ok(res.text.startsWith('\uFEFF'), 'BOM');
	const lines = res.text.slice(1).trimEnd().split('\r\n');
	assert.equal(lines[0], 'event_id,title,events,registrations,checked_in,unique_participants,' +
	    'section40_members');
	assert.equal(lines.length, json.items.length + 2);
	for (const id of [big.event.id, small.event.id]) {
		const it = json.items.find((x) => x.event_id === id);
		const line = lines.find((l) => l.startsWith(id));
		assert.ok(line.endsWith(`,1,${it.registrations},${it.checked_in},${it.unique_participants},` +
		    `${it.section40_members}`), line);
	}
	assert.match(lines.at(-1), new RegExp(`^total,,${json.totals.events},`));
	const prov = expectStatus(await api('GET', `/v1/stats/attendance.csv?fiscal_year_be=${fy}&province=52`,
	    { token: admin }), 200);
	assert.match(prov.text.split('\r\n')[1], /^52,ลำปาง,/);
});

test('answers are kept NGAN_STATS_TTL seconds per scope and filters, refreshed in the background', async () => {
	// The test server runs with NGAN_STATS_TTL=0; the SQL takes the TTL.
	const filters = { fiscal_year_be: String(fy), group_by: 'event' };
	const call = (ttl) => JSON.parse(sql(`select (api.stats_attendance($1::jsonb, $2::jsonb, 0, '/t',
	    $3::int)).body::text`, [JSON.stringify({ sub: DEMO.admin.id, role: 'admin', kind: 'user' }),
	    JSON.stringify(filters), String(ttl)]));
	// Events are counted exactly (people counts are rounded): a new event
	// of the year tells a kept answer from a fresh count.
	const events = (body) => body.totals.events;
	const entry = () => JSON.parse(sql(`select row_to_json(c)::text from stats_cache c
	    where filters = $1::jsonb and agency is null`, [JSON.stringify(filters)]));
	const e0 = events(call(60));
	assert.deepEqual(entry().filters, filters, 'kept with what counts it again');
	await runningEvent();
	assert.equal(events(call(60)), e0, 'the kept answer');
	assert.equal(events(call(0)), e0 + 1, 'TTL 0 counts again');
	// Stale (61 s): still answered at once; the refresher counts it again.
	sql(`update stats_cache set computed_at = computed_at - interval '61 seconds'`);
	await runningEvent();
	assert.equal(events(call(60)), e0, 'stale, served while the refresher catches up');
	assert.equal(sqlInt('select api.stats_refresh(60)'), 1, 'one answer counted again');
	assert.equal(sqlInt('select api.stats_refresh(60)'), 0, 'nothing else is stale');
	assert.equal(events(entry().body), e0 + 2, 'the refreshed entry');
	assert.equal(events(call(60)), e0 + 2);
	// Twice the TTL old: nobody refreshed it, the reader counts.
	sql(`update stats_cache set computed_at = computed_at - interval '121 seconds'`);
	await runningEvent();
	assert.equal(events(call(60)), e0 + 3, 'too stale: counted again');
	// Not read for 10 minutes: left to expire, not refreshed.
	sql(`update stats_cache set computed_at = computed_at - interval '61 seconds',
	    read_at = now() - interval '11 minutes'`);
	assert.equal(sqlInt('select api.stats_refresh(60)'), 0, 'nobody reads it');
	// Another scope has its own entry: an organiser of another agency.
	const n = sqlInt('select count(*) from stats_cache');
	sql(`select api.stats_attendance($1::jsonb, '{}', 0, '/t', 60)`,
	    [JSON.stringify({ sub: DEMO.organizer.id, role: 'organizer', kind: 'user', agency_id: PHICHIT_AGENCY })]);
	assert.equal(sqlInt('select count(*) from stats_cache'), n + 1);
});

// With NGAN_STATS_TTL set, each worker counts again, every second, a kept
// answer that went stale while someone reads it (api/stats.c): here a
// second server with a TTL of 1 s, read once, then left alone.
test('a kept answer is counted again in the background, with no request', async () => {
	const srv = await startServer({ NGAN_STATS_TTL: '1' }, 'stats-refresh');
	try {
		const filters = { fiscal_year_be: String(fy), group_by: 'province' };
		const res = await fetch(`${srv.base}/v1/stats/attendance?fiscal_year_be=${fy}&group_by=province`,
		    { headers: { authorization: `Bearer ${admin}` } });
		assert.equal(res.status, 200);
		const first = await res.json();
		// Events are exact: a new event shows the answer was counted again.
		const kept = () => JSON.parse(sql(`select json_build_object('at', computed_at,
		    'events', body->'totals'->'events')::text from stats_cache
		    where filters = $1::jsonb and agency is null`, [JSON.stringify(filters)]));
		const before = kept();
		assert.equal(before.events, first.totals.events);
		await runningEvent();
		let now = before;
		for (let i = 0; i < 100 && now.events === before.events; i++) {
			await new Promise((r) => setTimeout(r, 100));
			now = kept();
		}
		assert.equal(now.events, before.events + 1, 'counted again by the server itself');
		assert.ok(now.at > before.at);
		const again = await fetch(`${srv.base}/v1/stats/attendance?fiscal_year_be=${fy}&group_by=province`,
		    { headers: { authorization: `Bearer ${admin}` } }).then((r) => r.json());
		assert.equal(again.totals.events, before.events + 1);
	} finally {
		await srv.stop();
	}
});

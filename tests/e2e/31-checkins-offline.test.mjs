// Check-in, continued (issue 4): offline uploads (POST /v1/checkins/batch)
// with the earliest scan winning, the duplicate groups, the scan log, the
// attendance report with its ETag and certificate rule, the scanner
// manifest for offline checks, and the walk-in hook.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectUnauthorized,
    sql, sqlInt, newUuid, bkk, createEvent, otherOrganizer, PHICHIT_AGENCY } from './lib.mjs';
import { HOUR, runningEvent, registered, ticketOf, assignedScanner, nonce, checkin, batch,
    expectScan, signTicket, rawOrApi, ticketKey, openSealed, payloadOf } from './checkins-lib.mjs';

let admin, organizer, partner, demoScanner, phichitOrganizer;
let ev, scanner;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	partner = await tokenFor('partner');
	demoScanner = await tokenFor('scanner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
	ev = await runningEvent();
	scanner = await assignedScanner([ev.id], organizer);
});

const minutesAgo = (m) => bkk(Date.now() - m * 60 * 1000);
const effectiveIn = (regId) => sql(`select coalesce(device_id, '-') from checkin
    where registration_id = $1::uuid and state = 'effective' and direction = 'in'
    and session_id is null`, [regId]);

describe('POST /v1/checkins/batch', () => {
	test('one answer per scan, in the order sent, whatever the order of the times', async () => {
		const [a, b, c] = [await registered(ev.id), await registered(ev.id), await registered(ev.id)];
		const res = expectStatus(await batch(scanner.token, [
		    { token: a.token, event_id: ev.id, scanned_at: minutesAgo(5), device_id: 'tab-1' },
		    { token: 'junk', event_id: ev.id, scanned_at: minutesAgo(50), device_id: 'tab-1' },
		    { token: b.token, event_id: ev.id, scanned_at: minutesAgo(40), device_id: 'tab-1' },
		    { token: a.token, event_id: ev.id, scanned_at: minutesAgo(2), device_id: 'tab-1',
			direction: 'out' },
		    { token: c.token, event_id: newUuid(), scanned_at: minutesAgo(1), device_id: 'tab-1' },
		    { token: c.token, event_id: ev.id, scanned_at: minutesAgo(1), device_id: 'tab-1',
			direction: 'out' },
		]), 200);
		assert.equal(res.headers.get('cache-control'), 'no-store');
		const r = res.json.results;
		assert.deepEqual(r.map((x) => x.index), [0, 1, 2, 3, 4, 5]);
		assert.deepEqual(r.map((x) => [x.status, x.result]), [
		    [201, 'checked_in'], [422, 'invalid_token'], [201, 'checked_in'], [201, 'checked_out'],
		    [422, 'unknown_event'], [409, 'not_checked_in']]);
		assert.ok(r.every((x) => x.replay === false));
		assert.equal(r[0].registration_id, a.id);
		assert.equal(r[0].participant.display_name, a.display_name);
		assert.equal(sql(`select offline from checkin where id = $1::uuid`, [r[0].checkin_id]), 't');
	});

	test('an exit uploaded before its entry in the batch still pairs with it', async () => {
		const p = await registered(ev.id);
		const r = expectStatus(await batch(scanner.token, [
		    { token: p.token, event_id: ev.id, scanned_at: minutesAgo(3), direction: 'out' },
		    { token: p.token, event_id: ev.id, scanned_at: minutesAgo(30), direction: 'in' },
		]), 200).json.results;
		assert.deepEqual(r.map((x) => x.result), ['checked_out', 'checked_in']);
	});

	test('two devices offline: the earliest scan is the check-in, the other a duplicate', async () => {
		const t25 = minutesAgo(25);
		const p = await registered(ev.id);
		// Device A uploads first, but device B scanned earlier.
		const a = expectStatus(await batch(scanner.token, [{ token: p.token, event_id: ev.id,
		    scanned_at: minutesAgo(20), device_id: 'A' }]), 200).json.results[0];
		assert.equal(a.result, 'checked_in');
		const b = expectStatus(await batch(scanner.token, [{ token: p.token, event_id: ev.id,
		    scanned_at: t25, device_id: 'B' }]), 200).json.results[0];
		assert.equal(b.status, 201);
		assert.equal(b.result, 'checked_in');
		assert.equal(effectiveIn(p.id), 'B');
		// A third device, later still: duplicate, naming B.
		const c = expectStatus(await batch(scanner.token, [{ token: p.token, event_id: ev.id,
		    scanned_at: minutesAgo(22), device_id: 'C' }]), 200).json.results[0];
		assert.equal(c.status, 409);
		assert.equal(c.result, 'duplicate');
		assert.deepEqual(c.first, { checkin_id: b.checkin_id, scanned_at: t25, device_id: 'B' });
		assert.equal(sql(`select string_agg(device_id || ':' || state, ',' order by device_id)
		    from checkin where registration_id = $1::uuid`, [p.id]), 'A:duplicate,B:effective,C:duplicate');
		// Both in one batch: the same.
		const q = await registered(ev.id);
		const r = expectStatus(await batch(scanner.token, [
		    { token: q.token, event_id: ev.id, scanned_at: minutesAgo(10), device_id: 'late' },
		    { token: q.token, event_id: ev.id, scanned_at: minutesAgo(11), device_id: 'early' },
		]), 200).json.results;
		assert.deepEqual(r.map((x) => x.result), ['duplicate', 'checked_in']);
		assert.equal(effectiveIn(q.id), 'early');
	});

	test('an online check-in scanned later than an offline one makes way for it', async () => {
		const p = await registered(ev.id);
		const online = expectScan(await checkin(scanner.token, { token: p.token, event_id: ev.id,
		    device_id: 'door' }), 201, 'checked_in');
		const off = expectStatus(await batch(scanner.token, [{ token: p.token, event_id: ev.id,
		    scanned_at: minutesAgo(15), device_id: 'offline-tab' }]), 200).json.results[0];
		assert.equal(off.result, 'checked_in');
		assert.equal(effectiveIn(p.id), 'offline-tab');
		assert.equal(sql(`select state from checkin where id = $1::uuid`, [online.checkin_id]), 'duplicate');
		// The door now says: already checked in, by the offline scan.
		const again = expectScan(await checkin(scanner.token, { token: p.token, event_id: ev.id }), 409,
		    'already_checked_in');
		assert.equal(again.first.checkin_id, off.checkin_id);
		// An offline scan later than the online one is a duplicate.
		const q = await registered(ev.id);
		expectScan(await checkin(scanner.token, { token: q.token, event_id: ev.id, scanned_at: minutesAgo(30) }),
		    201, 'checked_in');
		const late = expectStatus(await batch(scanner.token, [{ token: q.token, event_id: ev.id,
		    scanned_at: minutesAgo(5) }]), 200).json.results[0];
		assert.equal(late.result, 'duplicate');
	});

	test('sending a batch again is harmless: the first answers, marked replay', async () => {
		const p = await registered(ev.id);
		const scans = [
		    { token: p.token, event_id: ev.id, scanned_at: minutesAgo(9), nonce: nonce() },
		    { token: p.token, event_id: ev.id, scanned_at: minutesAgo(8), nonce: nonce() },
		];
		const first = expectStatus(await batch(scanner.token, scans), 200).json.results;
		const count = sqlInt('select count(*) from checkin');
		const again = expectStatus(await batch(scanner.token, scans), 200).json.results;
		assert.equal(sqlInt('select count(*) from checkin'), count);
		assert.deepEqual(again.map((x) => x.replay), [true, true]);
		assert.deepEqual(again.map((x) => x.status), [200, 409]);
		const strip = ({ replay, status, ...rest }) => rest;
		assert.deepEqual(again.map(strip), first.map(strip));
	});

	test('who: scans at an event the scanner is not assigned to are not_assigned; partner 403; 401', async () => {
		const other = await runningEvent();
		const p = await registered(ev.id);
		const q = await registered(other.id);
		const r = expectStatus(await batch(scanner.token, [
		    { token: p.token, event_id: ev.id },
		    { token: q.token, event_id: other.id },
		]), 200).json.results;
		assert.deepEqual(r.map((x) => [x.status, x.result]), [[201, 'checked_in'], [403, 'not_assigned']]);
		expectProblem(await batch(partner, [{ token: p.token, event_id: ev.id }]), 403, 'forbidden');
		expectUnauthorized(await batch(undefined, [{ token: p.token, event_id: ev.id }]));
	});

	test('malformed batches are refused whole (422 naming scans.N.field), nothing stored', async () => {
		const p = await registered(ev.id);
		const count = sqlInt('select count(*) from checkin');
		const ok = { token: p.token, event_id: ev.id };
		expectFieldError(await batch(admin, []), 'scans', 'length');
		expectFieldError(await batch(admin, Array.from({ length: 501 }, () => ok)), 'scans', 'length');
		expectFieldError(await api('POST', '/v1/checkins/batch', { token: admin, body: {} }), 'scans',
		    'required');
		expectFieldError(await batch(admin, [ok, { ...ok, nonce: 'bad nonce!' }]), 'scans.1.nonce', 'format');
		expectFieldError(await batch(admin, [ok, { ...ok, event_id: undefined }]), 'scans.1.event_id',
		    'required');
		expectFieldError(await batch(admin, [ok, ok, { ...ok, scanned_at: bkk(Date.now() + HOUR) }]),
		    'scans.2.scanned_at', 'range');
		assert.equal(sqlInt('select count(*) from checkin'), count);
	});

	test('500 scans in one upload', async () => {
		const people = await Promise.all(Array.from({ length: 5 }, () => registered(ev.id)));
		const scans = Array.from({ length: 500 }, (_x, i) => ({ token: people[i % 5].token, event_id: ev.id,
		    scanned_at: minutesAgo(50 - (i % 40)), device_id: `tab-${i % 7}` }));
		const r = expectStatus(await batch(scanner.token, scans, {}), 200).json.results;
		assert.equal(r.length, 500);
		assert.equal(r.filter((x) => x.status === 201).length, 5);
		assert.equal(r.filter((x) => x.result === 'duplicate').length, 495);
		for (const p of people)
			assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1::uuid and
			    state = 'effective'`, [p.id]), 1);
	});
});

describe('GET /v1/events/{id}/checkins/conflicts', () => {
	test('the duplicate groups, the earliest counting; staff and the scanner who scanned', async () => {
		const e = await runningEvent();
		const s = await assignedScanner([e.id], organizer);
		const p = await registered(e.id);
		const q = await registered(e.id);
		await batch(s.token, [{ token: p.token, event_id: e.id, scanned_at: minutesAgo(10), device_id: 'X' }]);
		await batch(s.token, [{ token: p.token, event_id: e.id, scanned_at: minutesAgo(12), device_id: 'Y' }]);
		await batch(s.token, [{ token: q.token, event_id: e.id, scanned_at: minutesAgo(5), device_id: 'X' }]);
		const res = expectStatus(await api('GET', `/v1/events/${e.id}/checkins/conflicts`,
		    { token: organizer }), 200);
		assert.equal(res.json.items.length, 1, 'q was scanned once: no conflict');
		const g = res.json.items[0];
		assert.equal(g.registration_id, p.id);
		assert.equal(g.session_id, null);
		assert.equal(g.direction, 'in');
		assert.equal(g.participant.display_name, p.display_name);
		assert.equal(g.checkin.device_id, 'Y');
		assert.equal(g.checkin.counts, true);
		assert.deepEqual(g.scans.map((x) => [x.device_id, x.state]), [['Y', 'effective'], ['X', 'duplicate']]);
		// The scanner whose scans they are sees them (issue 21: the scanner
		// app shows conflicts on the devices involved); test 43 has more.
		const mine = expectStatus(await api('GET', `/v1/events/${e.id}/checkins/conflicts`,
		    { token: s.token }), 200);
		assert.deepEqual(mine.json.items.map((x) => x.registration_id), [p.id]);
		// Another agency's organizer: the event is public, its check-ins not.
		expectProblem(await api('GET', `/v1/events/${e.id}/checkins/conflicts`, { token: phichitOrganizer }),
		    403, 'forbidden');
		expectProblem(await api('GET', `/v1/events/${newUuid()}/checkins/conflicts`, { token: admin }),
		    404, 'not-found');
		// Pages.
		const r = await registered(e.id);
		await batch(s.token, [{ token: r.token, event_id: e.id, scanned_at: minutesAgo(3) },
		    { token: r.token, event_id: e.id, scanned_at: minutesAgo(4) }]);
		const one = expectStatus(await api('GET', `/v1/events/${e.id}/checkins/conflicts?limit=1`,
		    { token: admin }), 200).json;
		assert.equal(one.items.length, 1);
		assert.equal(one.items[0].registration_id, p.id);
		const two = expectStatus(await api('GET', `/v1/events/${e.id}/checkins/conflicts?limit=1&cursor=${
		    one.next_cursor}`, { token: admin }), 200).json;
		assert.equal(two.items[0].registration_id, r.id);
		assert.equal(two.next_cursor, null);
	});
});

describe('GET /v1/events/{id}/checkins: the scan log', () => {
	test('every scan, in order of receipt, with filters and keyset pages; staff only', async () => {
		const e = await runningEvent();
		const session = expectStatus(await api('POST', `/v1/events/${e.id}/sessions`, { token: organizer,
		    body: { title: 'ช่วงเช้า', kind: 'opening', starts_at: e.starts_at, ends_at: e.ends_at } }),
		    201).json;
		const p = await registered(e.id);
		const ids = [];
		for (const [dev, extra] of [['d1', {}], ['d2', {}], ['d1', { session_id: session.id }],
		    ['d2', { direction: 'out' }]]) {
			const res = await checkin(admin, { token: p.token, event_id: e.id, device_id: dev, ...extra });
			ids.push(res.json.checkin_id ?? sql(`select id from checkin where registration_id = $1::uuid
			    order by received_at desc, id desc limit 1`, [p.id]));
		}
		await checkin(admin, { token: 'junk', event_id: e.id, device_id: 'd3' });
		const all = expectStatus(await api('GET', `/v1/events/${e.id}/checkins`, { token: organizer }), 200).json;
		assert.equal(all.items.length, 5);
		assert.deepEqual(all.items.map((x) => x.result), ['checked_in', 'already_checked_in', 'checked_in',
		    'checked_out', 'invalid_token']);
		assert.deepEqual(all.items.map((x) => x.counts), [true, false, true, true, false]);
		assert.equal(all.items[0].participant.display_name, p.display_name);
		assert.equal(all.items[4].registration_id, null);
		assert.equal(all.next_cursor, null);
		const byDev = expectStatus(await api('GET', `/v1/events/${e.id}/checkins?device_id=d1`,
		    { token: admin }), 200).json.items;
		assert.equal(byDev.length, 2);
		const bySession = expectStatus(await api('GET', `/v1/events/${e.id}/checkins?session_id=${session.id}`,
		    { token: admin }), 200).json.items;
		assert.deepEqual(bySession.map((x) => x.session_id), [session.id]);
		const byResult = expectStatus(await api('GET', `/v1/events/${e.id}/checkins?result=invalid_token`,
		    { token: admin }), 200).json.items;
		assert.equal(byResult.length, 1);
		// Keyset pages of 2 add up to the whole log.
		let cursor = null;
		const seen = [];
		do {
			const page = expectStatus(await api('GET', `/v1/events/${e.id}/checkins?limit=2${
			    cursor ? `&cursor=${cursor}` : ''}`, { token: admin }), 200).json;
			seen.push(...page.items.map((x) => x.id));
			cursor = page.next_cursor;
		} while (cursor);
		assert.deepEqual(seen, all.items.map((x) => x.id));
		// Refusals.
		expectProblem(await api('GET', `/v1/events/${e.id}/checkins?cursor=bogus`, { token: admin }), 400,
		    'bad-request');
		expectFieldError(await api('GET', `/v1/events/${e.id}/checkins?limit=0`, { token: admin }), 'limit');
		expectFieldError(await api('GET', `/v1/events/${e.id}/checkins?result=great`, { token: admin }),
		    'result');
		expectFieldError(await api('GET', `/v1/events/${e.id}/checkins?session_id=x`, { token: admin }),
		    'session_id');
		expectProblem(await api('GET', `/v1/events/${e.id}/checkins`, { token: demoScanner }), 403, 'forbidden');
		expectProblem(await api('GET', `/v1/events/${e.id}/checkins`, { token: partner }), 403, 'forbidden');
		expectProblem(await api('GET', `/v1/events/${e.id}/checkins`, { token: phichitOrganizer }), 403,
		    'forbidden');
		expectUnauthorized(await api('GET', `/v1/events/${e.id}/checkins`));
	});
});

describe('GET /v1/events/{id}/attendance', () => {
	test('counts by group, session and district; minutes from entry and exit; ETag and 304', async () => {
		const now = Date.now();
		const e = await runningEvent({ starts_at: bkk(now - 3 * HOUR), ends_at: bkk(now + 3 * HOUR),
		    registration_opens_at: bkk(now - 4 * HOUR), capacity: 200 });
		const s1 = expectStatus(await api('POST', `/v1/events/${e.id}/sessions`, { token: organizer,
		    body: { title: 'ช่วงที่ 1', kind: 'lecture', starts_at: bkk(now - 3 * HOUR),
			ends_at: bkk(now - 2 * HOUR) } }), 201).json;
		const s2 = expectStatus(await api('POST', `/v1/events/${e.id}/sessions`, { token: organizer,
		    body: { title: 'ช่วงที่ 2', kind: 'workshop', starts_at: bkk(now - 2 * HOUR),
			ends_at: bkk(now - HOUR) } }), 201).json;
		const a = await registered(e.id, { participant: { district_code: '5201', subdistrict_code: '520101' } });
		const b = await registered(e.id, { target_group: 'volunteer_mentor',
		    participant: { district_code: '5202', subdistrict_code: null } });
		const c = await registered(e.id, { participant: { target_group: 'general', district_code: null,
		    subdistrict_code: null } });
		const url = `/v1/events/${e.id}/attendance`;
		const first = expectStatus(await api('GET', url, { token: organizer }), 200);
		const tag = first.headers.get('etag');
		assert.match(tag, /^"[0-9a-f]{32}"$/);
		assert.equal(first.headers.get('cache-control'), 'no-store');
		assert.equal(first.json.checked_in, 0);
		// Nothing changed: 304, no body.
		const same = await api('GET', url, { token: organizer, headers: { 'If-None-Match': tag } });
		assert.equal(same.status, 304);
		assert.equal(same.text, '');
		assert.equal(same.headers.get('etag'), tag);

		// a: in 2h50m ago, out 1h50m ago (60 min); b: both sessions, no exit;
		// c: in at the event 30 minutes ago, no exit (30 minutes so far).
		const at = (m) => bkk(now - m * 60 * 1000);
		expectStatus(await batch(admin, [
		    { token: a.token, event_id: e.id, scanned_at: at(170) },
		    { token: a.token, event_id: e.id, scanned_at: at(110), direction: 'out' },
		    { token: b.token, event_id: e.id, session_id: s1.id, scanned_at: at(170) },
		    { token: b.token, event_id: e.id, session_id: s2.id, scanned_at: at(115) },
		    { token: c.token, event_id: e.id, scanned_at: at(30) },
		]), 200);
		const changed = await api('GET', url, { token: organizer, headers: { 'If-None-Match': tag } });
		assert.equal(changed.status, 200, 'a scan changes the tag');
		assert.notEqual(changed.headers.get('etag'), tag);
		const r = changed.json;
		assert.equal(r.event_id, e.id);
		assert.deepEqual([r.registered, r.confirmed, r.waitlisted, r.cancelled, r.checked_in], [3, 3, 0, 0, 3]);
		const grp = Object.fromEntries(r.by_target_group.map((x) => [x.target_group, x]));
		assert.equal(grp.labour_volunteer.checked_in, 1);
		assert.equal(grp.volunteer_mentor.checked_in, 1);
		assert.equal(grp.general.registered, 1);
		assert.match(grp.labour_volunteer.name_th, /อาสาสมัครแรงงาน/);
		assert.deepEqual(r.by_session.map((x) => [x.session_id, x.checked_in]), [[s1.id, 1], [s2.id, 1]]);
		const dist = Object.fromEntries(r.by_district.map((x) => [x.district_code, x]));
		assert.equal(dist['5201'].district_name, 'เมืองลำปาง');
		assert.equal(dist['5201'].province_name, 'ลำปาง');
		assert.equal(dist['5201'].checked_in, 1);
		assert.equal(dist['5202'].registered, 1);
		assert.equal(dist.null.district_name, null);
		const who = Object.fromEntries(r.people.map((x) => [x.registration_id, x]));
		assert.equal(who[a.id].minutes_present, 60);
		assert.equal(who[a.id].first_in, at(170));
		assert.equal(who[a.id].last_out, at(110));
		assert.equal(who[a.id].sessions_attended, 0);
		// b: session 1 from 170 to its end (180-60 = 120 minutes ago): 50;
		// session 2 from 115 to its end at 60 minutes ago: 55.
		assert.equal(who[b.id].minutes_present, 105);
		assert.equal(who[b.id].sessions_attended, 2);
		assert.ok(who[c.id].minutes_present >= 29 && who[c.id].minutes_present <= 31,
		    `${who[c.id].minutes_present}`);
		assert.equal(who[c.id].qualifies_for_certificate, null, 'no requirement set');
		assert.equal(r.requirements.min_sessions, null);

		// A minimum attendance: 2 sessions, or 45 minutes.
		sql(`update event set min_sessions = 2, version = version + 1, updated_at = now()
		    where id = $1::uuid`, [e.id]);
		let q = expectStatus(await api('GET', url, { token: admin }), 200).json;
		let w = Object.fromEntries(q.people.map((x) => [x.registration_id, x.qualifies_for_certificate]));
		assert.deepEqual([w[a.id], w[b.id], w[c.id]], [false, true, false]);
		sql(`update event set min_sessions = null, min_minutes = 45, version = version + 1,
		    updated_at = now() where id = $1::uuid`, [e.id]);
		q = expectStatus(await api('GET', url, { token: admin }), 200).json;
		w = Object.fromEntries(q.people.map((x) => [x.registration_id, x.qualifies_for_certificate]));
		assert.deepEqual([w[a.id], w[b.id], w[c.id]], [true, true, false]);
		assert.deepEqual(q.requirements, { min_sessions: null, min_minutes: 45 });

		// Who may see it.
		expectProblem(await api('GET', url, { token: demoScanner }), 403, 'forbidden');
		expectProblem(await api('GET', url, { token: partner }), 403, 'forbidden');
		expectProblem(await api('GET', url, { token: phichitOrganizer }), 403, 'forbidden');
		expectProblem(await api('GET', `/v1/events/${newUuid()}/attendance`, { token: admin }), 404, 'not-found');
		expectUnauthorized(await api('GET', url));
	});

	test('a cancelled registration and an undone check-in leave the count', async () => {
		const e = await runningEvent();
		const p = await registered(e.id);
		const q = await registered(e.id);
		const c = expectScan(await checkin(admin, { token: p.token, event_id: e.id, device_id: 'z' }), 201,
		    'checked_in');
		await checkin(admin, { token: q.token, event_id: e.id });
		const url = `/v1/events/${e.id}/attendance`;
		assert.equal(expectStatus(await api('GET', url, { token: admin }), 200).json.checked_in, 2);
		expectStatus(await api('POST', `/v1/checkins/${c.checkin_id}/annul`, { token: admin,
		    body: { device_id: 'z' } }), 200);
		const r = expectStatus(await api('GET', url, { token: admin }), 200).json;
		assert.equal(r.checked_in, 1);
		expectStatus(await api('POST', `/v1/registrations/${p.id}/cancel`, { token: organizer }), 200);
		const after = expectStatus(await api('GET', url, { token: admin }), 200).json;
		assert.deepEqual([after.registered, after.confirmed, after.cancelled], [1, 1, 1]);
	});
});

describe('GET /v1/events/{id}/scanner-manifest', () => {
	test('a scanned QR finds and opens its entry; nothing readable without it', async () => {
		const e = await runningEvent();
		const s = await assignedScanner([e.id], organizer);
		const p = await registered(e.id);
		const q = await registered(e.id);
		const res = expectStatus(await api('GET', `/v1/events/${e.id}/scanner-manifest`, { token: s.token }), 200);
		const m = res.json;
		assert.equal(res.headers.get('cache-control'), 'no-store');
		assert.equal(m.event_id, e.id);
		assert.equal(m.since, null);
		assert.equal(m.revocations, undefined);
		const jwks = expectStatus(await api('GET', '/.well-known/jwks.json'), 200).json;
		assert.equal(m.kid, jwks.keys[0].kid);
		assert.equal(m.entries.length, 2);
		// Names never in clear.
		assert.ok(!res.text.includes(p.display_name) && !res.text.includes(q.display_name));
		assert.ok(!res.text.includes(p.id), 'registration ids are not in the manifest');
		for (const person of [p, q]) {
			const key = ticketKey(m.manifest_key, person.token);
			const entry = m.entries.find((x) => x.ticket_key === key);
			assert.ok(entry, 'the ticket finds its entry');
			assert.equal(entry.status, 'valid');
			assert.equal(entry.version, 1);
			assert.deepEqual(openSealed(entry.sealed, person.token),
			    { display_name: person.display_name, target_group: person.target_group });
			// Another copy of the ticket (another signature) finds it too.
			const copy = await ticketOf(person.id, organizer);
			assert.equal(ticketKey(m.manifest_key, copy), key);
		}
		// Another person's QR does not open p's entry.
		const pEntry = m.entries.find((x) => x.ticket_key === ticketKey(m.manifest_key, p.token));
		assert.throws(() => openSealed(pEntry.sealed, q.token));
		// The manifest key is per event.
		const e2 = await runningEvent();
		const m2 = expectStatus(await api('GET', `/v1/events/${e2.id}/scanner-manifest`, { token: admin }),
		    200).json;
		assert.notEqual(m2.manifest_key, m.manifest_key);
		assert.deepEqual(m2.entries, []);
	});

	test('reissue and cancel: revoked and cancelled entries, and revocations since', async () => {
		const e = await runningEvent();
		const p = await registered(e.id);
		const q = await registered(e.id);
		const url = `/v1/events/${e.id}/scanner-manifest`;
		const m0 = expectStatus(await api('GET', url, { token: organizer }), 200).json;
		// Changes before next_since - 1 minute are not "since": pretend the
		// first sync was two minutes ago.
		sql(`update registration set updated_at = now() - interval '5 minutes'
		    where event_id = $1::uuid`, [e.id]);
		const since = bkk(Date.now() - 2 * 60 * 1000);
		expectStatus(await rawOrApi('POST', `/v1/registrations/${p.id}/ticket/reissue`, { token: organizer }),
		    200);
		const fresh = await ticketOf(p.id, organizer);
		expectStatus(await api('POST', `/v1/registrations/${q.id}/cancel`, { token: organizer }), 200);
		const m = expectStatus(await api('GET', url, { token: organizer }), 200).json;
		const byKey = (mm, token) => mm.entries.find((x) => x.ticket_key === ticketKey(mm.manifest_key, token));
		assert.equal(byKey(m, p.token).status, 'revoked');
		assert.equal(byKey(m, p.token).version, 1);
		assert.equal(byKey(m, fresh).status, 'valid');
		assert.equal(byKey(m, fresh).version, 2);
		assert.equal(byKey(m, q.token).status, 'cancelled');
		assert.equal(m.entries.length, 3);
		assert.equal(byKey(m0, p.token).status, 'valid');
		// A delta: only what changed since, and what stopped being valid.
		const d = expectStatus(await api('GET', `${url}?since=${encodeURIComponent(since)}`,
		    { token: organizer }), 200).json;
		assert.equal(d.since, since);
		assert.equal(d.entries.length, 3);
		assert.deepEqual(new Set(d.revocations), new Set([ticketKey(d.manifest_key, p.token),
		    ticketKey(d.manifest_key, q.token)]));
		// Nothing since now.
		const none = expectStatus(await api('GET', `${url}?since=${encodeURIComponent(bkk(Date.now() + 60000))}`,
		    { token: organizer }), 200).json;
		assert.deepEqual([none.entries, none.revocations], [[], []]);
		// An unescaped + (read as a space) is understood.
		const plus = await api('GET', `${url}?since=${since}`, { token: organizer });
		assert.equal(plus.status, 200);
		expectFieldError(await api('GET', `${url}?since=yesterday`, { token: organizer }), 'since');
	});

	test('who: staff and assigned scanners; others 403 or 404', async () => {
		const e = await runningEvent();
		const url = `/v1/events/${e.id}/scanner-manifest`;
		expectProblem(await api('GET', url, { token: demoScanner }), 403, 'forbidden');
		expectProblem(await api('GET', url, { token: partner }), 403, 'forbidden');
		expectProblem(await api('GET', url, { token: phichitOrganizer }), 403, 'forbidden');
		expectUnauthorized(await api('GET', url));
		expectStatus(await api('GET', url, { token: admin }), 200);
		// A draft is not even there for them.
		const draft = (await createEvent()).event;
		expectProblem(await api('GET', `/v1/events/${draft.id}/scanner-manifest`, { token: phichitOrganizer }),
		    404, 'not-found');
		expectProblem(await api('GET', `/v1/events/${draft.id}/attendance`, { token: demoScanner }),
		    404, 'not-found');
	});
});

describe('walk-ins (the hook for POST /v1/events/{id}/registrations with check_in)', () => {
	test('api.checkin_walk_in checks a new registration in, once', async () => {
		const p = await registered(ev.id);
		const actor = JSON.stringify({ sub: scanner.user.id, role: 'scanner', agency_id: scanner.user.agency_id });
		const out = JSON.parse(sql(`select api.checkin_walk_in($1::jsonb, $2::uuid, 'door-1')`, [actor, p.id]));
		assert.equal(out.status, 201);
		assert.equal(out.result, 'checked_in');
		assert.equal(out.registration_id, p.id);
		assert.equal(effectiveIn(p.id), 'door-1');
		// Called again: the same answer (its nonce is the registration's).
		const again = JSON.parse(sql(`select api.checkin_walk_in($1::jsonb, $2::uuid, 'door-1')`, [actor, p.id]));
		assert.equal(again.status, 200);
		assert.equal(again.checkin_id, out.checkin_id);
	});
});

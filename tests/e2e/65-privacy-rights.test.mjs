// Issue 18, items 4 and 5: a person's rights under the PDPA (access,
// rectification, erasure, withdrawal of consent), by themselves with a
// participant token and by staff on their request; every request
// recorded for the data protection officer; and the retention job.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { before, test } from 'node:test';
import { api, DATABASE_URL, dashedNationalId, expectProblem, expectStatus, LAMPHUN_AGENCY,
    nationalId, otherOrganizer, participantBody, PHICHIT_AGENCY, phoneNumber, sql, sqlInt, tokenFor, uniq,
    waitFor } from './lib.mjs';
import { assignedScanner, checkin, expectScan } from './checkins-lib.mjs';
import { provenPerson, publicEvent, selfApi } from './self-lib.mjs';

const PG_DUMP = ['/usr/lib/postgresql/15/bin/pg_dump', 'pg_dump'].find((p) => p === 'pg_dump' || existsSync(p));
const YEARS = Number(process.env.NGAN_RETENTION_YEARS ?? 5);

let admin;
let organizer;

before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
});

// The event is over: moved into the past in the database.
function endEvent(id) {
	sql(`update event set registration_opens_at = now() - interval '5 hours',
	    registration_closes_at = now() - interval '3 hours',
	    starts_at = now() - interval '4 hours', ends_at = now() - interval '1 minute'
	    where id = $1`, [id]);
}

// The statistics every way they group, less when they were counted.
async function statsOf(eventId) {
	const out = {};
	for (const g of ['event', 'province', 'district', 'target_group', 'month']) {
		const by = expectStatus(await api('GET', `/v1/stats/attendance?group_by=${g}`,
		    { token: admin }), 200, `stats by ${g}`);
		out[g] = { items: by.json.items, totals: by.json.totals };
	}
	assert.ok(out.event.items.some((i) => i.event_id === eventId), 'the event is counted');
	return out;
}

function personRow(pid) {
	return sql('select p::text from participant p where id = $1', [pid]);
}

function requestsOf(pid) {
	return sql(`select string_agg(kind || ':' || channel || ':' || outcome ||
	    coalesce(':' || reason, '') || coalesce(':' || array_to_string(fields, ','), ''),
	    ' ' order by at, id) from privacy_request where participant_id = $1`, [pid]);
}

test('erasure: the dump holds nothing of the person, statistics count the same', async () => {
	const ev = await publicEvent(['informal_worker'], { min_sessions: null, min_minutes: 1 });
	const last = `ลบทิ้ง${uniq('')}`;
	const me = await provenPerson(ev, { last_name: last });
	const mine = expectStatus(await selfApi('GET', '/v1/my/registrations', undefined,
	    { token: me.token, addr: me.addr }), 200);
	const scanner = await assignedScanner([ev.id], organizer);
	expectScan(await checkin(scanner.token, { token: mine.json.items[0].ticket.token,
	    event_id: ev.id }), 201, 'checked_in');
	assert.ok(sql(`select answer::text from checkin c join registration r
	    on r.id = c.registration_id where r.participant_id = $1`, [me.pid]).includes(me.body.first_name),
	    'the check-in answer kept for retries names the person');

	// Registered for an event not yet ended: 409, nothing changed.
	const row = personRow(me.pid);
	expectProblem(await selfApi('POST', '/v1/my/personal-data/erasure', undefined,
	    { token: me.token, addr: me.addr }), 409, 'registered-ahead');
	expectProblem(await api('POST', `/v1/participants/${me.pid}/consent/withdrawal`,
	    { token: admin }), 409, 'registered-ahead');
	assert.equal(personRow(me.pid), row);

	// Present half an hour, the event over: a certificate prints the name.
	sql(`update checkin set scanned_at = now() - interval '30 minutes'
	    where registration_id = $1`, [mine.json.items[0].id]);
	endEvent(ev.id);
	const cert = expectStatus(await api('POST',
	    `/v1/registrations/${mine.json.items[0].id}/certificate`, { token: organizer }), 201);
	assert.ok(cert.json.name_printed.includes(me.body.first_name));
	const before = await statsOf(ev.id);
	const derived = sql(`select encode(national_id_hmac, 'hex') || ' ' ||
	    encode(national_id_enc, 'hex') || ' ' || encode(phone_enc, 'hex')
	    from participant where id = $1`, [me.pid]).split(' ');

	// A field is 422 and changes nothing; then the erasure.
	expectStatus(await selfApi('POST', '/v1/my/personal-data/erasure', { now: '2099-01-01' },
	    { token: me.token, addr: me.addr }), 422);
	assert.equal(personRow(me.pid), row);
	const done = expectStatus(await selfApi('POST', '/v1/my/personal-data/erasure', undefined,
	    { token: me.token, addr: me.addr }), 200);
	assert.deepEqual([done.json.participant_id, done.json.kind, done.json.status],
	    [me.pid, 'erasure', 'erased']);
	assert.equal(sql(`select erased_reason || (first_name is null and national_id_hmac is null
	    and phone_enc is null and province_code is null)::text
	    from participant where id = $1`, [me.pid]), 'erasuretrue');
	// The token names nobody now; the registration and check-in stay.
	expectStatus(await selfApi('GET', '/v1/my/personal-data', undefined,
	    { token: me.token, addr: me.addr }), 401);
	assert.equal(sql(`select count(*) from registration r join checkin c
	    on c.registration_id = r.id where r.participant_id = $1`, [me.pid]), '1');
	expectStatus(await api('GET', `/v1/participants/${me.pid}`, { token: admin }), 404);
	// Staff lists show the registration, anonymous.
	const list = expectStatus(await api('GET', `/v1/events/${ev.id}/registrations`,
	    { token: organizer }), 200);
	const anon = list.json.items.find((i) => i.id === mine.json.items[0].id);
	assert.equal(anon.participant.display_name, 'ลบข้อมูลแล้ว');
	assert.equal(anon.participant.national_id_masked, 'x-xxxx-xxxxx-xx-x');
	const verified = expectStatus(await api('GET',
	    `/v1/certificates/verify?code=${cert.json.short_code}`), 200);
	assert.ok(!JSON.stringify(verified.json).includes(me.body.first_name));

	assert.deepEqual(await statsOf(ev.id), before, 'the statistics count the same');
	assert.equal(sql(`select count(*) from registration_feed where participant_id = $1 and
	    data->>'participant_province_code' is not null`, [me.pid]), '0',
	    'the change feed keeps no home province');

	const dump = execFileSync(PG_DUMP, ['--no-owner', '--no-privileges', '-d', DATABASE_URL],
	    { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8', timeout: 120000 });
	assert.match(dump, /COPY public\.participant /, 'a real dump');
	const forms = {
	    first_name: me.body.first_name, last_name: last, phone: me.body.phone,
	    national_id: me.body.national_id, national_id_dashed: dashedNationalId(me.body.national_id),
	    national_id_hmac: derived[0], national_id_sealed: derived[1], phone_sealed: derived[2],
	};
	const found = Object.entries(forms).filter(([, v]) => dump.includes(v)).map(([k]) => k);
	assert.deepEqual(found, [], 'nothing of the person in the dump');

	assert.equal(requestsOf(me.pid), 'erasure:self:refused:registered-ahead ' +
	    'withdrawal:staff:refused:registered-ahead erasure:self:done');
});

test('access and rectification, by the person and by staff', async () => {
	const ev = await publicEvent();
	const me = await provenPerson(ev);
	const doc = expectStatus(await selfApi('GET', '/v1/my/personal-data', undefined,
	    { token: me.token, addr: me.addr }), 200);
	assert.equal(doc.json.participant.national_id, me.body.national_id);
	assert.equal(doc.json.participant.phone, me.body.phone);
	assert.equal(doc.json.registrations.length, 1);
	assert.equal(doc.json.registrations[0].event.id, ev.id);
	assert.equal(doc.headers.get('cache-control'), 'no-store');

	// The person corrects their phone and name, not their national id.
	const phone = phoneNumber();
	const fixed = expectStatus(await selfApi('POST', '/v1/my/personal-data/rectification',
	    { phone, first_name: 'บัวคำแก้' }, { token: me.token, addr: me.addr }), 200);
	assert.equal(fixed.json.phone_masked, `xxx-xxx-${phone.slice(-4)}`);
	assert.equal(fixed.json.first_name, 'บัวคำแก้');
	const row = personRow(me.pid);
	const nid = nationalId();
	expectStatus(await selfApi('POST', '/v1/my/personal-data/rectification',
	    { national_id: nid }, { token: me.token, addr: me.addr }), 422);
	expectStatus(await selfApi('POST', '/v1/my/personal-data/rectification', {},
	    { token: me.token, addr: me.addr }), 422);
	expectStatus(await selfApi('POST', '/v1/my/personal-data/rectification',
	    { phone: '12' }, { token: me.token, addr: me.addr }), 422);
	expectStatus(await selfApi('POST', '/v1/my/personal-data/rectification',
	    { province_code: '52', district_code: '1001' }, { token: me.token, addr: me.addr }), 422);
	assert.equal(personRow(me.pid), row, 'refused corrections change nothing');
	const moved = expectStatus(await selfApi('POST', '/v1/my/personal-data/rectification',
	    { province_code: '52', district_code: '5202' }, { token: me.token, addr: me.addr }), 200);
	assert.deepEqual([moved.json.district_code, moved.json.subdistrict_code], ['5202', null]);
	const row2 = personRow(me.pid);

	// A participant token on the staff routes: 401, nothing changed.
	for (const [m, p] of [['GET', ''], ['POST', '/rectification'], ['POST', '/erasure']]) {
		const res = await api(m, `/v1/participants/${me.pid}/personal-data${p}`,
		    { token: me.token, body: m === 'POST' ? { first_name: 'x' } : undefined });
		expectStatus(res, 401, `${m} ${p}`);
	}
	expectStatus(await api('GET', '/v1/privacy-requests', { token: me.token }), 401);
	assert.equal(personRow(me.pid), row2);

	// The organising agency hands over a copy and corrects the national id.
	const copy = expectStatus(await api('GET', `/v1/participants/${me.pid}/personal-data`,
	    { token: organizer }), 200);
	assert.equal(copy.json.participant.phone, phone);
	assert.equal(sqlInt(`select count(*) from partner_audit where kind = 'reveal' and
	    participant_id = $1 and route = '/v1/participants/{id}/personal-data'`, [me.pid]), 1,
	    'the clear copy is in the reveal audit');
	const staff = expectStatus(await api('POST',
	    `/v1/participants/${me.pid}/personal-data/rectification`,
	    { token: organizer, body: { national_id: dashedNationalId(nid) } }), 200);
	assert.equal(staff.json.national_id_masked.slice(-4), `${nid.slice(10, 12)}-${nid[12]}`);
	expectStatus(await api('POST', `/v1/participants/${me.pid}/personal-data/rectification`,
	    { token: organizer, body: { national_id: nid, nickname: 'x' } }), 422);

	assert.equal(requestsOf(me.pid), 'access:self:done rectification:self:done:first_name,phone ' +
	    'rectification:self:refused:invalid-place ' +
	    'rectification:self:done:district_code,province_code,subdistrict_code ' +
	    'access:staff:done rectification:staff:done:national_id');
	// What the officer reads: admins only, paged, no personal data.
	expectStatus(await api('GET', '/v1/privacy-requests', { token: organizer }), 403);
	const page = expectStatus(await api('GET',
	    `/v1/privacy-requests?participant=${me.pid}&limit=2`, { token: admin }), 200);
	assert.equal(page.json.items.length, 2);
	assert.ok(page.json.next_cursor);
	const rest = expectStatus(await api('GET', `/v1/privacy-requests?participant=${me.pid}` +
	    `&limit=200&cursor=${encodeURIComponent(page.json.next_cursor)}`, { token: admin }), 200);
	assert.equal(rest.json.items.length, 4);
	const all = JSON.stringify([...page.json.items, ...rest.json.items]);
	for (const v of [nid, phone, me.body.phone, me.body.national_id, 'บัวคำ'])
		assert.ok(!all.includes(v), 'no personal data in the requests');
	expectStatus(await api('GET', '/v1/privacy-requests?kind=nothing', { token: admin }), 422);
});

test('withdrawal of consent by staff erases as erasure does', async () => {
	const ev = await publicEvent();
	const me = await provenPerson(ev);
	endEvent(ev.id);
	const done = expectStatus(await api('POST', `/v1/participants/${me.pid}/consent/withdrawal`,
	    { token: organizer }), 200);
	assert.equal(done.json.kind, 'withdrawal');
	assert.equal(sql(`select erased_reason || coalesce(first_name, '-')
	    from participant where id = $1`, [me.pid]), 'withdrawal-');
	expectStatus(await api('POST', `/v1/participants/${me.pid}/personal-data/erasure`,
	    { token: organizer }), 404);
});

test('retention: people unseen for NGAN_RETENTION_YEARS are erased by the daily job', async () => {
	const create = async () => expectStatus(await api('POST', '/v1/participants',
	    { token: admin, body: participantBody() }), 200).json.id;
	const [old, joined, recent, soon] = [await create(), await create(), await create(),
	    await create()];
	// The clock moved: two years on, the one who joined YEARS - 1 years
	// ago is due (the job's function takes "now"). Nothing else in the
	// database is that old (make test keeps 30 years; the demo's events
	// begin in 2017), and the others here are back-dated only after.
	assert.ok(YEARS >= 20, 'NGAN_RETENTION_YEARS as make test sets it');
	sql(`update participant set created_at = now() - make_interval(years => $2::int - 1)
	    where id = $1`, [soon, YEARS]);
	assert.equal(sql(`select api.retention_run(now() + interval '2 years', $1) >= 1`,
	    [YEARS]), 't');
	assert.equal(sql('select erased_reason from participant where id = $1', [soon]), 'retention');

	const ev = await publicEvent();
	// Joined long ago, but registered lately (the registration back-dated,
	// its event recent): kept.
	sql(`insert into registration (event_id, participant_id, target_group, status, created_at)
	    values ($1, $2, 'informal_worker', 'confirmed', now() - make_interval(years => $3::int + 1))`,
	    [ev.id, joined, YEARS]);
	sql(`update participant set created_at = now() - make_interval(years => $2::int + 1)
	    where id = any (string_to_array($1, ',')::uuid[])`, [[old, joined].join(','), YEARS]);

	// The daily job: its last run forgotten, a worker's next tick runs it.
	sql('delete from retention_run');
	await waitFor(() => sql('select erased_at is not null from participant where id = $1',
	    [old]) === 't', { timeout: 30000, interval: 500 });
	assert.equal(sql('select count(*) from retention_run where ran_at > now() - interval \'1 minute\''), '1');
	assert.equal(sql(`select string_agg(coalesce(erased_reason, '-'), ',' order by array_position(
	    string_to_array($1, ',')::uuid[], id)) from participant
	    where id = any (string_to_array($1, ',')::uuid[])`, [[old, joined, recent].join(',')]),
	    'retention,-,-');
	assert.equal(requestsOf(old), 'retention:job:done');
});

test('who acts on a request: admins and the organising agency only', async () => {
	const ev = await publicEvent(['informal_worker'], { co_organizer_ids: [LAMPHUN_AGENCY] });
	const me = await provenPerson(ev);
	endEvent(ev.id);
	const row = personRow(me.pid);
	const lamphun = await otherOrganizer(LAMPHUN_AGENCY);
	const phichit = await otherOrganizer(PHICHIT_AGENCY);
	const scanner = await tokenFor('scanner');
	for (const [who, token, status] of [['co-organiser', lamphun, 403], ['other agency', phichit, 404],
	    ['scanner', scanner, 403]]) {
		expectStatus(await api('GET', `/v1/participants/${me.pid}/personal-data`, { token }),
		    status, who);
		expectStatus(await api('POST', `/v1/participants/${me.pid}/personal-data/erasure`,
		    { token }), status, who);
		expectStatus(await api('POST', `/v1/participants/${me.pid}/personal-data/rectification`,
		    { token, body: { first_name: 'ผิด' } }), status, who);
	}
	assert.equal(personRow(me.pid), row, 'refused requests change nothing');
	assert.equal(requestsOf(me.pid), '', 'a refusal to act is not a request');

	// An admin erases on request; the person's token opens nothing after.
	expectStatus(await api('POST', `/v1/participants/${me.pid}/personal-data/erasure`,
	    { token: admin, body: {} }), 200);
	expectStatus(await selfApi('GET', '/v1/my/registrations', undefined,
	    { token: me.token, addr: me.addr }), 401);
	expectStatus(await selfApi('POST', '/v1/my/consent/withdrawal', undefined,
	    { token: me.token, addr: me.addr }), 401);
	assert.equal(requestsOf(me.pid), 'erasure:staff:done');
});

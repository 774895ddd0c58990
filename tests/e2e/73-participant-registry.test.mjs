// The participant registry across agencies (issue 14, item 2). A person is
// readable by an agency only while registered (not cancelled) at an event
// that agency organises or co-organises; admins read everyone; scanners
// read no participant records. Each attack of the issue is replayed:
// the Lampang organizer paging the whole country, ?q=<national id> of a
// Phichit person, and a scanner turning a national id into a participant
// id (409 on POST /v1/participants) and then reading the record.
// Registering a person another agency knows still works for anyone who
// holds the national id, and answers only what the caller may see.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, sql, sqlInt, uniq, participantBody,
    openEvent, otherOrganizer, dataUnchanged, dashedNationalId, maskedNationalId, nationalId,
    LAMPANG_AGENCY, PHICHIT_AGENCY, LAMPHUN_AGENCY } from './lib.mjs';

const PHICHIT_VENUE = { name: 'โรงแรมมีพรสวรรค์', room: null, province_code: '66',
    district_code: '6601', subdistrict_code: null };

let admin, organizer, scanner, phichit, lamphun;
let phichitEvent, lampangEvent, coEvent;
let x, xBody; // a person only Phichit registered, with the body Phichit sent
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	phichit = await otherOrganizer(PHICHIT_AGENCY);
	lamphun = await otherOrganizer(LAMPHUN_AGENCY);
	phichitEvent = (await openEvent({ venue: PHICHIT_VENUE }, phichit)).event;
	lampangEvent = (await openEvent()).event;
	// Lampang organises, Lamphun co-organises.
	coEvent = (await openEvent({ co_organizer_ids: [LAMPHUN_AGENCY] })).event;
	xBody = participantBody({ first_name: `ลับเฉพาะ${uniq('')}`, last_name: 'พิจิตรวงศ์',
	    phone: '0891112233', province_code: '66', district_code: '6601', subdistrict_code: null,
	    occupation: 'ชาวนาพิจิตร' });
	const reg = expectStatus(await api('POST', `/v1/events/${phichitEvent.id}/registrations`,
	    { token: phichit, body: { participant: xBody } }), 201, 'Phichit registers x').json;
	x = { id: reg.participant_id, registration: reg.id };
});

const get = (id, token) => api('GET', `/v1/participants/${id}`, { token });
const search = (query, token) => api('GET', `/v1/participants?${new URLSearchParams(query)}`, { token });

// Participants an agency may read, by the rule, from the database (an
// erased person is nobody's to list: issue 18's erasure).
function readableBy(agency) {
	return new Set(sql(`select distinct r.participant_id from registration r
	    join event e on e.id = r.event_id
	    join participant p on p.id = r.participant_id
	    where p.erased_at is null and
	    r.status <> 'cancelled' and (e.agency_id = $1::uuid or exists (select 1
		from event_co_organizer c where c.event_id = e.id and c.agency_id = $1::uuid))`,
	    [agency]).split('\n').filter(Boolean));
}

async function pageAll(token, query = {}) {
	const seen = [];
	let cursor = null;
	for (let pages = 0; pages < 500; pages++) {
		const q = { limit: '200', ...query };
		if (cursor)
			q.cursor = cursor;
		const res = expectStatus(await search(q, token), 200, 'page');
		seen.push(...res.json.items);
		cursor = res.json.next_cursor;
		if (!cursor)
			return seen;
	}
	assert.fail('more than 500 pages');
}

describe('the attacks of the issue', () => {
	test('the Lampang organizer pages the registry: only people registered at Lampang\'s events, no phones', async () => {
		const items = await pageAll(organizer);
		const ids = new Set(items.map((p) => p.id));
		assert.ok(!ids.has(x.id), 'a person only Phichit registered is not listed');
		// Once: each psql call blocks this process, and a connection idle
		// past its Keep-Alive hint meanwhile is gone when fetch reuses it.
		const readable = readableBy(LAMPANG_AGENCY);
		assert.deepEqual([...ids].filter((id) => !readable.has(id)), [],
		    'nobody outside Lampang\'s (co-)organised events');
		assert.deepEqual([...readable].filter((id) => !ids.has(id)), [],
		    'everyone Lampang may read is listed');
		assert.deepEqual(items.filter((p) => p.phone !== null).map((p) => p.id), [],
		    'phones masked by default');
		// Nor a name search for the person's own name.
		assert.deepEqual(expectStatus(await search({ q: xBody.first_name }, organizer), 200).json.items, []);
		// Admins still see the whole registry.
		assert.ok((await pageAll(admin, { q: xBody.first_name })).some((p) => p.id === x.id));
	});

	test('?q=<national id> of another agency\'s person finds nobody; the id answers 404', async () => {
		await dataUnchanged(async () => {
			for (const q of [xBody.national_id, dashedNationalId(xBody.national_id)]) {
				const res = expectStatus(await search({ q }, organizer), 200, q);
				assert.deepEqual(res.json.items, [], 'Lampang finds nobody by a Phichit person\'s number');
				assert.ok(!res.text.includes(xBody.last_name) && !res.text.includes(xBody.phone));
			}
			const res = expectProblem(await get(x.id, organizer), 404, 'not-found');
			assert.ok(!res.text.includes(xBody.last_name));
			expectProblem(await get(x.id, lamphun), 404, 'not-found', 'Lamphun, unrelated');
		});
		// The agency that registered them, and admins, find them (masked).
		for (const token of [phichit, admin]) {
			const found = expectStatus(await search({ q: xBody.national_id }, token), 200).json.items;
			assert.deepEqual(found.map((p) => p.id), [x.id]);
			assert.equal(found[0].phone, null);
			assert.equal(found[0].phone_masked, 'xxx-xxx-2233');
			assert.equal(expectStatus(await get(x.id, token), 200).json.last_name, 'พิจิตรวงศ์');
		}
	});

	test('a scanner cannot turn a national id into a record: POST and GET /v1/participants are 403', async () => {
		await dataUnchanged(async () => {
			const res = expectProblem(await api('POST', '/v1/participants', { token: scanner,
			    body: participantBody({ national_id: xBody.national_id }) }), 403, 'forbidden');
			assert.equal(res.json.participant_id, undefined, 'no participant id');
			assert.ok(!res.text.includes(x.id));
			const g = expectProblem(await get(x.id, scanner), 403, 'forbidden');
			assert.ok(!g.text.includes(xBody.last_name));
			expectProblem(await search({ q: xBody.national_id }, scanner), 403, 'forbidden');
			// A fresh person too: scanners record people only as walk-ins.
			expectProblem(await api('POST', '/v1/participants', { token: scanner,
			    body: participantBody() }), 403, 'forbidden');
		});
	});
});

describe('POST /v1/participants is no oracle', () => {
	test('a known and an unknown national id answer alike, with only what the caller sent', async () => {
		const mine = participantBody({ first_name: 'สมมุติ', last_name: 'ชื่อใหม่', phone: '0812223344' });
		const known = { ...mine, national_id: dashedNationalId(xBody.national_id) };
		const a = await dataUnchanged(() => api('POST', '/v1/participants', { token: organizer,
		    body: known }), 'a known person is not changed');
		const b = await api('POST', '/v1/participants', { token: organizer, body: mine });
		for (const [what, res, nid] of [['known', a, xBody.national_id], ['new', b, mine.national_id]]) {
			expectStatus(res, 200, what);
			assert.deepEqual(Object.keys(res.json).sort(),
			    ['display_name', 'id', 'national_id_masked', 'phone_masked', 'target_group'], what);
			assert.equal(res.json.display_name, 'นางสาวสมมุติ ชื่อใหม่', `${what}: the caller's own name`);
			assert.equal(res.json.national_id_masked, maskedNationalId(nid));
			assert.equal(res.json.phone_masked, 'xxx-xxx-3344', `${what}: the caller's own phone, masked`);
			assert.equal(res.headers.get('location'), null);
			assert.match(res.headers.get('cache-control') ?? '', /no-store/);
			// x's phone in any form; not a bare '2233', which a random UUID may hold.
			for (const secret of [xBody.first_name, '0891112233', 'xxx-xxx-2233'])
				assert.ok(!res.text.includes(secret), `${what}: ${secret}`);
			// Either way, the record is not the caller's to read until registered.
			expectProblem(await get(res.json.id, organizer), 404, 'not-found', what);
		}
		assert.equal(a.json.id, x.id, 'the one person keeps one id');
		assert.equal(sql('select first_name from participant where id = $1::uuid', [x.id]), xBody.first_name);
	});

	test('again for the same new person: the same id, one row', async () => {
		const body = participantBody();
		const first = expectStatus(await api('POST', '/v1/participants', { token: organizer, body }), 200);
		const again = expectStatus(await api('POST', '/v1/participants', { token: admin,
		    body: { ...body, national_id: dashedNationalId(body.national_id) } }), 200);
		assert.equal(again.json.id, first.json.id);
		assert.equal(sqlInt('select count(*) from participant where id = $1::uuid', [first.json.id]), 1);
	});
});

describe('no other door tells who is known', () => {
	test('a registration refused answers alike for a known and a new person', async () => {
		const closed = (await openEvent({ registration_opens_at: null, registration_closes_at: null })).event;
		expectStatus(await api('POST', `/v1/events/${closed.id}/cancel`, { token: organizer }), 200);
		const bodies = (nid) => [
		    participantBody({ national_id: nid, province_code: '99', district_code: null,
			subdistrict_code: null }),
		    participantBody({ national_id: nid, target_group: null }),
		    { ...participantBody({ national_id: nid }), pdpa_consent_at: undefined,
			pdpa_consent_version: undefined },
		];
		await dataUnchanged(async () => {
			for (const [what, nid] of [['known', xBody.national_id], ['new', nationalId()]]) {
				for (const participant of bodies(nid)) {
					// A cancelled event: nobody is looked up.
					expectProblem(await api('POST', `/v1/events/${closed.id}/registrations`,
					    { token: organizer, body: { participant } }), 409, 'event-not-open', what);
				}
				// An open one: the same 422 whether or not another agency knows the person.
				const [place, group, consent] = bodies(nid).map((participant) => ({ participant }));
				const codes = [];
				for (const body of [place, group, consent]) {
					const res = expectProblem(await api('POST', `/v1/events/${lampangEvent.id}/registrations`,
					    { token: organizer, body: JSON.parse(JSON.stringify(body)) }), 422, 'validation', what);
					codes.push(res.json.errors.map((e) => `${e.field.replace(/^participant\./, '')}:${e.code}`));
				}
				assert.deepEqual(codes, [['province_code:not_found'], ['target_group:required'],
				    ['pdpa_consent_at:consent']], what);
			}
		});
	});

	test('an import dry run does not tell which national ids another agency knows', async () => {
		const header = 'ชื่อ,นามสกุล,เลขประจำตัวประชาชน,กลุ่มเป้าหมาย\r\n';
		const ev = (await openEvent()).event;
		const res = await dataUnchanged(() => api('POST',
		    `/v1/events/${ev.id}/registrations/import?dry_run=true`, { token: organizer,
			headers: { 'content-type': 'text/csv' },
			raw: `${header}ทดลอง,หนึ่ง,${xBody.national_id},\r\nทดลอง,สอง,${nationalId()},\r\n` }));
		expectStatus(res, 200);
		assert.deepEqual(res.json.rows.map((r) => [r.outcome, r.errors.map((e) => e.code)]),
		    [['failed', ['required']], ['failed', ['required']]], 'no group of another agency\'s record');
	});
});

describe('registering a person another agency knows', () => {
	test('links the one person; the agency reads them only while the registration stands', async () => {
		const before = sqlInt('select count(*) from participant');
		const res = expectStatus(await api('POST', `/v1/events/${lampangEvent.id}/registrations`,
		    { token: organizer, body: { participant: participantBody({ national_id: xBody.national_id,
			first_name: 'ชื่อที่ลำปางพิมพ์', phone: '0800000000' }) } }), 201);
		assert.equal(res.json.participant_id, x.id, 'one person, one participant');
		assert.equal(sqlInt('select count(*) from participant'), before);
		assert.equal(res.json.participant.national_id_masked, maskedNationalId(xBody.national_id));
		assert.ok(!res.text.includes(xBody.phone) && !res.text.includes('ชาวนาพิจิตร'),
		    'no phone, no other field of the stored record');
		// Consent is the person's latest word; nothing else of the record moves.
		assert.equal(sql(`select first_name || '|' || phone_last4 || '|' || occupation from participant
		    where id = $1::uuid`, [x.id]), `${xBody.first_name}|2233|ชาวนาพิจิตร`);

		// Registered at Lampang's event: Lampang reads them now, masked.
		const p = expectStatus(await get(x.id, organizer), 200).json;
		assert.equal(p.phone, null);
		assert.equal(p.phone_masked, 'xxx-xxx-2233');
		assert.ok((await pageAll(organizer, { q: xBody.national_id })).some((q) => q.id === x.id));

		// Cancelled: no longer.
		expectStatus(await api('POST', `/v1/registrations/${res.json.id}/cancel`, { token: organizer }), 200);
		expectProblem(await get(x.id, organizer), 404, 'not-found', 'after the cancellation');
		assert.deepEqual(expectStatus(await search({ q: xBody.national_id }, organizer), 200).json.items, []);
	});

	test('a co-organising agency reads the people of that event; an unrelated one does not', async () => {
		const reg = expectStatus(await api('POST', `/v1/events/${coEvent.id}/registrations`,
		    { token: organizer, body: { participant: participantBody() } }), 201).json;
		const p = expectStatus(await get(reg.participant_id, lamphun), 200, 'Lamphun co-organises').json;
		assert.equal(p.phone, null);
		expectProblem(await get(reg.participant_id, phichit), 404, 'not-found', 'Phichit does not');
	});
});

describe('registration reads follow the same rule', () => {
	test('organising and co-organising agencies read them masked; others 404/403; scanners 403', async () => {
		const reg = expectStatus(await api('POST', `/v1/events/${coEvent.id}/registrations`,
		    { token: organizer, body: { participant: participantBody() } }), 201).json;
		for (const token of [organizer, lamphun, admin]) {
			const one = expectStatus(await api('GET', `/v1/registrations/${reg.id}`, { token }), 200).json;
			assert.deepEqual(one, reg);
			const list = expectStatus(await api('GET', `/v1/events/${coEvent.id}/registrations?limit=200`,
			    { token }), 200).json.items;
			assert.ok(list.some((r) => r.id === reg.id));
			assert.ok(list.every((r) => /^x-xxxx-xxxxx-/.test(r.participant.national_id_masked)));
		}
		await dataUnchanged(async () => {
			expectProblem(await api('GET', `/v1/registrations/${reg.id}`, { token: phichit }), 404, 'not-found');
			expectProblem(await api('GET', `/v1/events/${coEvent.id}/registrations`, { token: phichit }),
			    403, 'forbidden');
			expectProblem(await api('GET', `/v1/registrations/${reg.id}`, { token: scanner }), 403, 'forbidden');
			expectProblem(await api('GET', `/v1/events/${coEvent.id}/registrations`, { token: scanner }),
			    403, 'forbidden');
			// Reading is not writing: the co-organiser registers and cancels nobody.
			expectProblem(await api('POST', `/v1/registrations/${reg.id}/cancel`, { token: lamphun }),
			    404, 'not-found');
			expectProblem(await api('POST', `/v1/events/${coEvent.id}/registrations`, { token: lamphun,
			    body: { participant: participantBody() } }), 403, 'forbidden');
		});
	});

	test('a scanner\'s walk-in answer shows the person masked, as a scan result would', async () => {
		const nid = nationalId();
		const { assignedScanner, runningEvent } = await import('./checkins-lib.mjs');
		const ev = await runningEvent();
		const s = await assignedScanner([ev.id], organizer);
		const res = expectStatus(await api('POST', `/v1/events/${ev.id}/registrations`, { token: s.token,
		    body: { participant: participantBody({ national_id: nid, phone: '0899998888' }),
			check_in: true } }), 201);
		assert.equal(res.json.participant.national_id_masked, maskedNationalId(nid));
		assert.ok(!res.text.includes('0899998888'));
		expectProblem(await get(res.json.participant_id, s.token), 403, 'forbidden');
	});
});

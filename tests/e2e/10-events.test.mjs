// Events (issue 3): create as draft with places resolved to Thai names,
// validation (bad codes, a district outside its province, end before start,
// quotas over capacity...) leaving the database unchanged, visibility of
// drafts, PATCH with If-Match (428/412), the status life cycle (illegal
// moves 409), cancel, the fiscal year, list filters, keyset pagination,
// Thai substring search, and Thai text byte for byte.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectUnauthorized,
    createAgency, sql, sqlInt, uniq, newUuid, spec, bkk, hoursFromNow, eventBody,
    createEvent, patchEvent, openEvent, otherOrganizer, dataUnchanged, TARGET_GROUPS,
    LAMPANG_AGENCY, PHICHIT_AGENCY, LAMPHUN_AGENCY, ETAG_RE, etagOf } from './lib.mjs';

let admin, organizer, scanner, partner, phichitOrganizer;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
});

const get = (id, token) => api('GET', `/v1/events/${id}`, { token });
const post = (body, token = organizer) => api('POST', '/v1/events', { token, body });
const patch = (id, body, etag, token = organizer) => api('PATCH', `/v1/events/${id}`,
    { token, body, headers: etag === undefined ? {} : { 'If-Match': etag } });
const cancel = (id, token = organizer, body) => api('POST', `/v1/events/${id}/cancel`,
    { token, body });
const list = (query, token) => api('GET', `/v1/events?${new URLSearchParams(query)}`, { token });
const dbVersion = (id) => sqlInt('select version from event where id = $1::uuid', [id]);
const dbStatus = (id) => sql('select status from event where id = $1::uuid', [id]);
const sortQuotas = (q) => [...q].sort((a, b) => a.target_group.localeCompare(b.target_group));

// Every id in a list answer, in order.
async function listIds(query, token) {
	const res = expectStatus(await list(query, token), 200, JSON.stringify(query));
	return res.json.items.map((e) => e.id);
}

test('openapi.yaml: the issue 3 objects are closed (additionalProperties: false)', () => {
	for (const name of ['Event', 'EventList', 'EventInput', 'EventPatch', 'EventCancel',
	    'Venue', 'VenueInput', 'Quota', 'EventCounts', 'Session', 'SessionList', 'SessionInput',
	    'SessionPatch', 'Speaker', 'SpeakerInput', 'Participant', 'ParticipantList',
	    'ParticipantInput', 'Registration', 'RegistrationList',
	    'RegistrationOfKnownParticipant', 'RegistrationWithParticipant',
	    'CancelResult', 'ImportResult', 'ImportRow', 'ImportRowError', 'ImportSummary',
	    'TargetGroup', 'TargetGroupList', 'ParticipantRecorded',
	    'RegistrationConflictProblem', 'EventNotOpenProblem']) {
		assert.equal(spec.components.schemas[name]?.additionalProperties, false,
		    `${name}: additionalProperties: false`);
	}
	// RegistrationInput is one of the two closed objects above.
	assert.deepEqual(spec.components.schemas.RegistrationInput.oneOf.map((s) => s.$ref),
	    ['#/components/schemas/RegistrationOfKnownParticipant',
	    '#/components/schemas/RegistrationWithParticipant']);
	for (const p of ['/v1/events', '/v1/events/{id}', '/v1/events/{id}/cancel',
	    '/v1/events/{id}/sessions', '/v1/events/{id}/sessions/{sid}', '/v1/participants',
	    '/v1/participants/{id}', '/v1/events/{id}/registrations',
	    '/v1/events/{id}/registrations.csv', '/v1/events/{id}/registrations/import',
	    '/v1/registrations/{id}', '/v1/registrations/{id}/cancel', '/v1/target-groups'])
		assert.ok(spec.paths[p], `openapi.yaml documents ${p}`);
});

test('GET /v1/target-groups is public: the nine groups with Thai names', async () => {
	for (const token of [undefined, scanner, partner]) {
		const res = expectStatus(await api('GET', '/v1/target-groups', { token }), 200);
		assert.deepEqual(res.json.items.map((g) => g.code).sort(), [...TARGET_GROUPS].sort());
		const informal = res.json.items.find((g) => g.code === 'informal_worker');
		assert.deepEqual(informal, { code: 'informal_worker', name_th: 'แรงงานนอกระบบ',
		    name_en: 'Informal worker' });
		assert.ok(res.bytes.includes(Buffer.from('อาสาสมัครแรงงาน (อสร.)', 'utf8')),
		    'Thai names in UTF-8 as stored');
		assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
	}
	expectUnauthorized(await api('GET', '/v1/target-groups', { token: 'not.a.token' }),
	    { invalidToken: true });
});

describe('POST /v1/events', () => {
	test('an organizer creates a draft of their agency: 201, Location, ETag, names resolved', async () => {
		const body = eventBody();
		const res = expectStatus(await post(body), 201);
		const e = res.json;
		assert.equal(res.headers.get('location'), `/v1/events/${e.id}`);
		assert.match(res.headers.get('etag'), ETAG_RE);
		assert.equal(e.status, 'draft');
		assert.equal(e.agency_id, LAMPANG_AGENCY);
		assert.equal(e.agency_name, 'สำนักงานแรงงานจังหวัดลำปาง');
		for (const k of ['title', 'project_name', 'description', 'kind', 'starts_at', 'ends_at',
		    'presiding_official', 'capacity', 'registration_opens_at', 'registration_closes_at'])
			assert.deepEqual(e[k], body[k], k);
		assert.deepEqual(e.venue, {
		    name: 'โรงแรม ณ บ้านแม่ รีสอร์ท', room: 'ห้องประชุมล้อมรัก',
		    province_code: '52', province_name: 'ลำปาง',
		    district_code: '5201', district_name: 'เมืองลำปาง',
		    subdistrict_code: '520101', subdistrict_name: 'เวียงเหนือ',
		});
		assert.deepEqual(sortQuotas(e.quotas), sortQuotas(body.quotas));
		assert.deepEqual(e.co_organizer_ids, []);
		assert.deepEqual(e.counts, { confirmed: 0, waitlisted: 0 });
		assert.equal(e.fiscal_year_be, sqlInt('select fiscal_year_be from event where id = $1::uuid', [e.id]));
		// The database holds what was sent.
		assert.equal(sql(`select agency_id || '|' || status || '|' || province_code || '|' ||
		    district_code || '|' || subdistrict_code || '|' || capacity || '|' || version
		    from event where id = $1::uuid`, [e.id]),
		    `${LAMPANG_AGENCY}|draft|52|5201|520101|128|1`);
		assert.equal(sql(`select string_agg(target_group || '=' || seats, ',' order by target_group)
		    from event_quota where event_id = $1::uuid`, [e.id]),
		    'anti_trafficking_officer=14,labour_volunteer=100,volunteer_mentor=14');
		// GET answers the same object.
		const got = expectStatus(await get(e.id, organizer), 200);
		assert.deepEqual(got.json, e);
		assert.equal(got.headers.get('etag'), res.headers.get('etag'), 'the same body, the same tag');
	});

	test('minimal body: optional fields come back null or empty', async () => {
		const body = eventBody();
		for (const k of ['project_name', 'description', 'presiding_official', 'quotas',
		    'registration_opens_at', 'registration_closes_at'])
			delete body[k];
		body.venue = { name: 'ศาลากลางจังหวัดลำปาง', province_code: '52' };
		const e = expectStatus(await post(body), 201).json;
		assert.equal(e.project_name, null);
		assert.equal(e.description, null);
		assert.equal(e.presiding_official, null);
		assert.equal(e.registration_opens_at, null);
		assert.equal(e.registration_closes_at, null);
		assert.deepEqual(e.quotas, []);
		assert.deepEqual(e.venue, { name: 'ศาลากลางจังหวัดลำปาง', room: null,
		    province_code: '52', province_name: 'ลำปาง', district_code: null,
		    district_name: null, subdistrict_code: null, subdistrict_name: null });
	});

	test('times: Z and other offsets are accepted and answered in +07:00', async () => {
		const e = expectStatus(await post(eventBody({
		    starts_at: '2090-01-07T02:00:00Z',
		    ends_at: '2090-01-07T16:30:00.000+09:00',
		})), 201).json;
		assert.equal(e.starts_at, '2090-01-07T09:00:00+07:00');
		assert.equal(e.ends_at, '2090-01-07T14:30:00+07:00');
		assert.equal(sql(`select extract(epoch from starts_at)::bigint from event where id = $1::uuid`, [e.id]),
		    String(Date.parse('2090-01-07T02:00:00Z') / 1000));
	});

	test('admins must name the agency; organizers may name only their own', async () => {
		await dataUnchanged(async () => {
			const body = eventBody();
			expectFieldError(await post(body, admin), 'agency_id', 'required', 'admin without agency');
			expectProblem(await post(eventBody({ agency_id: PHICHIT_AGENCY })), 403, 'forbidden',
			    'organizer for another agency');
			expectFieldError(await post(eventBody({ agency_id: newUuid() }), admin), 'agency_id',
			    'not_found', 'unknown agency');
		});
		const e = expectStatus(await post(eventBody({ agency_id: PHICHIT_AGENCY }), admin), 201).json;
		assert.equal(e.agency_id, PHICHIT_AGENCY);
		assert.equal(e.agency_name, 'สำนักงานแรงงานจังหวัดพิจิตร');
		const own = expectStatus(await post(eventBody({ agency_id: LAMPANG_AGENCY })), 201).json;
		assert.equal(own.agency_id, LAMPANG_AGENCY);
	});

	test('co-organizers are stored and answered; unknown ones are 422', async () => {
		const coop = await createAgency({ name: 'สำนักงานเกษตรจังหวัดลำปาง', kind: 'ministry_office',
		    province_code: '52' });
		const ids = [coop.id, 'a0000000-0000-4000-8000-000000000006'];
		const e = expectStatus(await post(eventBody({ co_organizer_ids: ids })), 201).json;
		assert.deepEqual([...e.co_organizer_ids].sort(), [...ids].sort());
		assert.equal(sqlInt('select count(*) from event_co_organizer where event_id = $1::uuid', [e.id]), 2);
		await dataUnchanged(async () => {
			expectFieldError(await post(eventBody({ co_organizer_ids: [newUuid()] })),
			    /^co_organizer_ids(\.0)?$/, 'not_found');
			expectFieldError(await post(eventBody({ co_organizer_ids: [coop.id, coop.id] })),
			    /^co_organizer_ids(\.1)?$/, 'duplicate');
			expectFieldError(await post(eventBody({ co_organizer_ids: ['nope'] })),
			    /^co_organizer_ids(\.0)?$/, 'format');
		});
	});

	test('only admins and organizers create events; nothing is stored otherwise', async () => {
		await dataUnchanged(async () => {
			expectUnauthorized(await post(eventBody(), null));
			expectUnauthorized(await post(eventBody(), 'bad.token.here'), { invalidToken: true });
			expectProblem(await post(eventBody(), scanner), 403, 'forbidden', 'scanner');
			expectProblem(await post(eventBody(), partner), 403, 'forbidden', 'partner');
		});
	});

	test('bad input: each field named with its code, and the database unchanged', async () => {
		const venue = (v) => ({ venue: { ...eventBody().venue, ...v } });
		const start = hoursFromNow(24 * 40);
		const cases = [
		    [{ title: undefined }, 'title', 'required'],
		    [{ title: '' }, 'title', 'length'],
		    [{ title: 'ก'.repeat(501) }, 'title', 'length'],
		    [{ title: 42 }, 'title', 'type'],
		    [{ kind: undefined }, 'kind', 'required'],
		    [{ kind: 'party' }, 'kind', 'enum'],
		    [{ starts_at: undefined }, 'starts_at', 'required'],
		    [{ starts_at: 'พรุ่งนี้' }, 'starts_at', 'format'],
		    [{ starts_at: '2090-01-07 09:00:00+07:00' }, 'starts_at', 'format'],
		    [{ starts_at: '2090-01-07T09:00:00' }, 'starts_at', 'format'],
		    [{ starts_at: '2090-02-30T09:00:00+07:00' }, 'starts_at', 'format'],
		    [{ starts_at: 1578362400 }, 'starts_at', 'type'],
		    [{ ends_at: undefined }, 'ends_at', 'required'],
		    [{ starts_at: bkk(start), ends_at: bkk(start.getTime() - 3600e3) }, 'ends_at', 'range'],
		    [{ starts_at: bkk(start), ends_at: bkk(start) }, 'ends_at', 'range'],
		    [{ venue: undefined }, 'venue', 'required'],
		    [{ venue: 'โรงแรม' }, 'venue', 'type'],
		    [venue({ name: undefined }), 'venue.name', 'required'],
		    [venue({ name: '' }), 'venue.name', 'length'],
		    [venue({ province_code: undefined }), 'venue.province_code', 'required'],
		    [venue({ province_code: '99' }), 'venue.province_code', 'not_found'],
		    [venue({ province_code: 'ลป' }), 'venue.province_code', 'format'],
		    [venue({ province_code: '520' }), 'venue.province_code', 'format'],
		    [venue({ district_code: '9999' }), 'venue.district_code', 'not_found'],
		    // เมืองลำพูน is a district of Lamphun, not of Lampang.
		    [venue({ district_code: '5101', subdistrict_code: null }), 'venue.district_code', 'mismatch'],
		    [venue({ subdistrict_code: '999999' }), 'venue.subdistrict_code', 'not_found'],
		    // ริมปิง (Lamphun) is not in เมืองลำปาง.
		    [venue({ subdistrict_code: '510106' }), 'venue.subdistrict_code', 'mismatch'],
		    [venue({ district_code: null }), 'venue.subdistrict_code', ['mismatch', 'required']],
		    [venue({ floor: 2 }), 'venue.floor', 'unknown'],
		    [{ capacity: undefined }, 'capacity', 'required'],
		    [{ capacity: 0, quotas: [] }, 'capacity', 'range'],
		    [{ capacity: 100001 }, 'capacity', 'range'],
		    [{ capacity: '128' }, 'capacity', 'type'],
		    [{ capacity: 12.5 }, 'capacity', 'type'],
		    [{ capacity: 127 }, 'quotas', 'range'],
		    [{ capacity: 10, quotas: [{ target_group: 'general', seats: 11 }] }, 'quotas', 'range'],
		    [{ quotas: [{ target_group: 'general', seats: 1 }, { target_group: 'general', seats: 2 }] },
			'quotas', 'duplicate'],
		    [{ quotas: [{ target_group: 'astronaut', seats: 1 }] }, 'quotas', 'not_found'],
		    [{ quotas: [{ target_group: 'general', seats: -1 }] }, 'quotas.0.seats', 'range'],
		    [{ quotas: [{ target_group: 'general' }] }, 'quotas.0.seats', 'required'],
		    [{ quotas: [{ seats: 1 }] }, 'quotas.0.target_group', 'required'],
		    [{ quotas: { general: 1 } }, 'quotas', 'type'],
		    [{ registration_opens_at: bkk(hoursFromNow(5)), registration_closes_at: bkk(hoursFromNow(4)) },
			'registration_closes_at', 'range'],
		    [{ registration_opens_at: 'เมื่อวาน' }, 'registration_opens_at', 'format'],
		    [{ agency_id: 'not-a-uuid' }, 'agency_id', 'format'],
		    [{ status: 'published' }, 'status', 'unknown'],
		    [{ fiscal_year_be: 2563 }, 'fiscal_year_be', 'unknown'],
		    [{ ชื่อโครงการ: 'x' }, 'ชื่อโครงการ', 'unknown'],
		];
		await dataUnchanged(async () => {
			for (const [overrides, field, code] of cases) {
				const body = eventBody(overrides);
				for (const [k, v] of Object.entries(overrides)) {
					if (v === undefined)
						delete body[k];
				}
				if (body.venue && typeof body.venue === 'object') {
					for (const [k, v] of Object.entries(body.venue)) {
						if (v === undefined)
							delete body.venue[k];
					}
				}
				expectFieldError(await post(body), field, code,
				    JSON.stringify(overrides).slice(0, 100));
			}
		});
		// The limits themselves are accepted.
		expectStatus(await post(eventBody({ title: 'ก'.repeat(500) })), 201, '500-char title');
		expectStatus(await post(eventBody({ capacity: 128, quotas: [
		    { target_group: 'labour_volunteer', seats: 100 },
		    { target_group: 'volunteer_mentor', seats: 28 }] })), 201, 'quotas = capacity');
		expectStatus(await post(eventBody({ capacity: 100000, quotas: [] })), 201, 'capacity 100000');
	});

	test('Thai text round-trips byte for byte', async () => {
		// Tone marks, Thai digits, the repetition and abbreviation signs,
		// a zero-width space and NFD-sensitive sequences must come back unchanged.
		const title = `สัมมนาเชิงปฏิบัติการ “แรงงานนอกระบบ” ปีงบประมาณ พ.ศ. ๒๕๖๓ ฯลฯ ต่าง ๆ\u200bน้ำ่ ${uniq('')}`;
		const description = 'บรรทัดแรก\nบรรทัดที่สอง\tมีแท็บ และ "อัญประกาศ" กับ \\ แบ็กสแลช 🙏';
		const presiding = 'นายอรรษิษฐ์ สัมพันธรัตน์ ผู้ว่าราชการจังหวัดลำพูน';
		const res = expectStatus(await post(eventBody({ title, description,
		    presiding_official: presiding, venue: { name: 'สวนไม้ไทยพ่อเลี้ยงหมื่น', room: 'ศาลาไทย',
		    province_code: '51', district_code: '5101', subdistrict_code: '510106' } })), 201);
		const e = res.json;
		assert.equal(e.title, title);
		assert.equal(e.description, description);
		assert.equal(e.presiding_official, presiding);
		assert.ok(Buffer.from(e.title, 'utf8').equals(Buffer.from(title, 'utf8')), 'title bytes');
		assert.ok(res.bytes.includes(Buffer.from(title, 'utf8')), 'the raw answer holds the UTF-8 bytes of the title');
		assert.equal(e.venue.province_name, 'ลำพูน');
		assert.equal(e.venue.district_name, 'เมืองลำพูน');
		assert.equal(e.venue.subdistrict_name, 'ริมปิง');
		assert.equal(sql("select encode(convert_to(title, 'UTF8'), 'hex') from event where id = $1::uuid", [e.id]),
		    Buffer.from(title, 'utf8').toString('hex'), 'stored bytes');
		assert.equal(sql("select encode(convert_to(description, 'UTF8'), 'hex') from event where id = $1::uuid",
		    [e.id]), Buffer.from(description, 'utf8').toString('hex'));
		const got = expectStatus(await get(e.id, organizer), 200);
		assert.ok(Buffer.from(got.json.title, 'utf8').equals(Buffer.from(title, 'utf8')));
		assert.equal(got.json.description, description);
	});
});

describe('fiscal year', () => {
	test('fiscal_year_be follows 1 October in Bangkok time, named by the BE year it ends', async () => {
		const cases = [
		    ['2020-01-07T09:00:00+07:00', 2563],	// Lampang, 7 Jan 2020
		    ['2017-12-07T13:30:00+07:00', 2561],	// Lamphun, 7 Dec 2017
		    ['2018-09-04T09:00:00+07:00', 2561],	// Phichit, 4 Sep 2018
		    ['2021-02-25T09:00:00+07:00', 2564],	// Phayao, 25 Feb 2021
		    ['2022-08-17T09:00:00+07:00', 2565],	// Samut Prakan, 17 Aug 2022
		    ['2090-09-30T23:59:00+07:00', 2633],
		    ['2090-10-01T00:00:00+07:00', 2634],	// 2090-09-30T17:00Z: UTC would say 2633
		    ['2090-09-30T17:00:00Z', 2634],
		    ['2090-09-30T16:59:59Z', 2633],
		];
		for (const [starts, fy] of cases) {
			const ends = new Date(Date.parse(starts) + 3600e3);
			const e = expectStatus(await post(eventBody({ starts_at: starts, ends_at: bkk(ends),
			    registration_opens_at: null, registration_closes_at: null })), 201, starts).json;
			assert.equal(e.fiscal_year_be, fy, starts);
		}
	});
});

describe('GET /v1/events/{id} and drafts', () => {
	test('a draft is visible to its agency and admins only; published to everyone', async () => {
		const { event, etag } = await createEvent();
		expectStatus(await get(event.id, organizer), 200, 'own organizer');
		expectStatus(await get(event.id, admin), 200, 'admin');
		for (const [who, token] of [['anonymous', undefined], ['scanner of the same agency', scanner],
		    ['partner', partner], ['organizer of another agency', phichitOrganizer]])
			expectProblem(await get(event.id, token), 404, 'not-found', who);
		await patchEvent(event.id, { status: 'published' }, { token: organizer, etag });
		for (const token of [undefined, scanner, partner, phichitOrganizer, organizer, admin]) {
			const res = expectStatus(await get(event.id, token), 200);
			assert.equal(res.json.status, 'published');
			assert.match(res.headers.get('etag'), ETAG_RE);
		}
		assert.equal(dbVersion(event.id), 2);
		expectUnauthorized(await get(event.id, 'garbage'), { invalidToken: true });
	});

	test('unknown and malformed ids are 404', async () => {
		for (const id of [newUuid(), 'not-a-uuid', 'e0000000-0000-4000-8000-00000000000g', '1'])
			expectProblem(await get(encodeURIComponent(id), admin), 404, 'not-found', id);
	});
});

describe('PATCH /v1/events/{id}', () => {
	test('If-Match: 428 without, 412 when stale, 200 with the current ETag', async () => {
		const { event, etag } = await createEvent();
		await dataUnchanged(async () => {
			expectProblem(await patch(event.id, { title: 'ไม่มี If-Match' }), 428, 'precondition-required');
			expectProblem(await patch(event.id, { title: 'เก่า' }, '"7"'), 412, 'precondition-failed');
			expectProblem(await patch(event.id, { title: 'เก่า' }, '"0"'), 412, 'precondition-failed');
			expectProblem(await patch(event.id, { title: 'เก่า' }, '"1"'), 412, 'precondition-failed',
			    'the row version is not the tag');
			expectProblem(await patch(event.id, { title: 'เก่า' }, `W/${etag}`), 412, 'precondition-failed',
			    'a weak tag never matches');
		});
		const title = `ชื่อใหม่ ${uniq('')}`;
		const res = expectStatus(await patch(event.id, { title }, etag), 200);
		assert.equal(res.json.title, title);
		assert.match(res.headers.get('etag'), ETAG_RE);
		assert.notEqual(res.headers.get('etag'), etag);
		assert.equal(dbVersion(event.id), 2);
		assert.equal(sql('select title from event where id = $1::uuid', [event.id]), title);
		// The old ETag is stale now.
		await dataUnchanged(async () => {
			expectProblem(await patch(event.id, { title: 'อีกครั้ง' }, etag), 412, 'precondition-failed');
		});
		assert.equal(sql('select title from event where id = $1::uuid', [event.id]), title);
	});

	test('fields change; venue and quotas are replaced as a whole', async () => {
		const { event, etag } = await createEvent();
		const res = expectStatus(await patch(event.id, {
		    kind: 'seminar',
		    capacity: 200,
		    venue: { name: 'โรงแรมพะเยาเกทเวย์', room: 'ห้องประชุมพุดตาน', province_code: '56',
			district_code: '5601', subdistrict_code: '560101' },
		    quotas: [{ target_group: 'informal_worker', seats: 150 }],
		    co_organizer_ids: ['a0000000-0000-4000-8000-000000000006'],
		    presiding_official: null,
		}, etag), 200);
		const e = res.json;
		assert.equal(e.kind, 'seminar');
		assert.equal(e.capacity, 200);
		assert.equal(e.presiding_official, null);
		assert.deepEqual(e.venue, { name: 'โรงแรมพะเยาเกทเวย์', room: 'ห้องประชุมพุดตาน',
		    province_code: '56', province_name: 'พะเยา', district_code: '5601',
		    district_name: 'เมืองพะเยา', subdistrict_code: '560101', subdistrict_name: 'เวียง' });
		assert.deepEqual(e.quotas, [{ target_group: 'informal_worker', seats: 150 }]);
		assert.deepEqual(e.co_organizer_ids, ['a0000000-0000-4000-8000-000000000006']);
		assert.equal(e.title, event.title, 'untouched fields stay');
		assert.equal(sql(`select string_agg(target_group || '=' || seats, ',') from event_quota
		    where event_id = $1::uuid`, [event.id]), 'informal_worker=150');
		// An empty quota list removes them all.
		const cleared = expectStatus(await patch(event.id, { quotas: [] }, res.headers.get('etag')), 200);
		assert.deepEqual(cleared.json.quotas, []);
		assert.equal(sqlInt('select count(*) from event_quota where event_id = $1::uuid', [event.id]), 0);
	});

	test('bad changes are 422 and leave the event as it was', async () => {
		const { event, etag } = await createEvent();
		const cases = [
		    [{ capacity: 100 }, 'quotas', 'range'],	// quotas hold 128 seats
		    [{ quotas: [{ target_group: 'general', seats: 129 }] }, 'quotas', 'range'],
		    [{ ends_at: event.starts_at }, 'ends_at', 'range'],
		    [{ starts_at: bkk(Date.parse(event.ends_at) + 3600e3) }, 'ends_at', 'range'],
		    [{ venue: { name: 'x', province_code: '52', district_code: '5101' } }, 'venue.district_code', 'mismatch'],
		    [{ venue: { name: 'x', province_code: '99' } }, 'venue.province_code', 'not_found'],
		    [{ kind: 'concert' }, 'kind', 'enum'],
		    [{ status: 'open' }, 'status', 'enum'],
		    [{ title: null }, 'title', 'type'],
		    [{ id: newUuid() }, 'id', 'unknown'],
		    [{ fiscal_year_be: 2570 }, 'fiscal_year_be', 'unknown'],
		];
		await dataUnchanged(async () => {
			for (const [body, field, code] of cases)
				expectFieldError(await patch(event.id, body, etag), field, code, JSON.stringify(body));
		});
		assert.equal(dbVersion(event.id), 1);
	});

	test('an organizer cannot move an event to another agency; an admin can', async () => {
		const { event, etag } = await createEvent();
		await dataUnchanged(async () => {
			expectProblem(await patch(event.id, { agency_id: PHICHIT_AGENCY }, etag), 403, 'forbidden');
		});
		const moved = expectStatus(await patch(event.id, { agency_id: PHICHIT_AGENCY }, etag, admin), 200);
		assert.equal(moved.json.agency_id, PHICHIT_AGENCY);
		// Now it is a Phichit draft: invisible to the Lampang organizer.
		expectProblem(await get(event.id, organizer), 404, 'not-found');
		expectStatus(await get(event.id, phichitOrganizer), 200);
	});

	test('roles: scanners and partners 403, anonymous 401, another agency 403 (published) or 404 (draft)', async () => {
		const draft = await createEvent();
		const pub = await openEvent();
		await dataUnchanged(async () => {
			for (const { event, etag } of [draft, pub]) {
				expectUnauthorized(await patch(event.id, { title: 'x' }, etag, null));
				expectProblem(await patch(event.id, { title: 'x' }, etag, scanner), 403, 'forbidden');
				expectProblem(await patch(event.id, { title: 'x' }, etag, partner), 403, 'forbidden');
			}
			expectProblem(await patch(draft.event.id, { title: 'x' }, draft.etag, phichitOrganizer),
			    404, 'not-found', 'a draft of another agency');
			expectProblem(await patch(pub.event.id, { title: 'x' }, pub.etag, phichitOrganizer),
			    403, 'forbidden', 'a published event of another agency');
			expectProblem(await patch(newUuid(), { title: 'x' }, '"1"'), 404, 'not-found');
			expectProblem(await patch('nope', { title: 'x' }, '"1"'), 404, 'not-found');
		});
		// Admins change any event.
		expectStatus(await patch(pub.event.id, { title: `แก้โดยผู้ดูแล ${uniq('')}` }, pub.etag, admin), 200);
	});
});

describe('status life cycle', () => {
	test('draft -> published -> closed; every other move is 409 and changes nothing', async () => {
		let { event, etag } = await createEvent();
		const refused = async (status, why) => {
			await dataUnchanged(async () => {
				expectProblem(await patch(event.id, { status }, etag), 409, 'conflict', why);
			});
		};
		await refused('closed', 'draft -> closed');
		await refused('cancelled', 'draft -> cancelled by PATCH');
		assert.equal(dbStatus(event.id), 'draft');

		({ event, etag } = await patchEvent(event.id, { status: 'published' }, { token: organizer, etag }));
		assert.equal(event.status, 'published');
		assert.equal(dbStatus(event.id), 'published');
		await refused('draft', 'published -> draft');
		await refused('cancelled', 'published -> cancelled by PATCH');

		({ event, etag } = await patchEvent(event.id, { status: 'closed' }, { token: organizer, etag }));
		assert.equal(event.status, 'closed');
		await refused('published', 'closed -> published');
		await refused('draft', 'closed -> draft');
		await refused('cancelled', 'closed -> cancelled by PATCH');
		assert.equal(dbStatus(event.id), 'closed');

		// A closed event can still be cancelled.
		const c = expectStatus(await cancel(event.id), 200);
		assert.equal(c.json.status, 'cancelled');
		assert.equal(dbVersion(event.id), 4);
		assert.equal(c.headers.get('etag'), await etagOf(`/v1/events/${event.id}`, organizer),
		    'the answer carries the tag GET gives');
		etag = c.headers.get('etag');
		// Nothing changes a cancelled event.
		for (const body of [{ status: 'published' }, { status: 'closed' }, { status: 'draft' },
		    { title: 'ฟื้นงานที่ยกเลิก' }, { capacity: 5, quotas: [] }]) {
			await dataUnchanged(async () => {
				expectProblem(await patch(event.id, body, etag), 409, 'conflict', JSON.stringify(body));
			});
		}
		await dataUnchanged(async () => {
			expectProblem(await cancel(event.id), 409, 'conflict', 'cancel twice');
		});
		assert.equal(dbStatus(event.id), 'cancelled');
	});
});

describe('POST /v1/events/{id}/cancel', () => {
	test('a draft and a published event cancel, with or without a reason', async () => {
		const { event: d } = await createEvent();
		const r1 = expectStatus(await cancel(d.id), 200);
		assert.equal(r1.json.status, 'cancelled');
		assert.equal(r1.json.id, d.id);
		assert.equal(dbStatus(d.id), 'cancelled');
		const { event: p } = await openEvent();
		const r2 = expectStatus(await cancel(p.id, organizer,
		    { reason: 'เลื่อนการจัดงานเนื่องจากสถานการณ์โรคติดเชื้อไวรัสโคโรนา 2019' }), 200);
		assert.equal(r2.json.status, 'cancelled');
		// A cancelled event is still public (not a draft), and says so.
		const pub = expectStatus(await get(p.id), 200);
		assert.equal(pub.json.status, 'cancelled');
		const { event: q } = await openEvent();
		expectStatus(await cancel(q.id, organizer, { reason: null }), 200, 'reason null');
	});

	test('who may cancel: staff only; a bad body is 422; nothing changes when refused', async () => {
		const draft = await createEvent();
		const { event } = await openEvent();
		await dataUnchanged(async () => {
			expectUnauthorized(await cancel(event.id, null));
			expectProblem(await cancel(event.id, scanner), 403, 'forbidden', 'scanner');
			expectProblem(await cancel(event.id, partner), 403, 'forbidden', 'partner');
			expectProblem(await cancel(event.id, phichitOrganizer), 403, 'forbidden', 'other agency, published');
			expectProblem(await cancel(draft.event.id, phichitOrganizer), 404, 'not-found', 'other agency, draft');
			expectProblem(await cancel(newUuid()), 404, 'not-found');
			expectFieldError(await cancel(event.id, organizer, { reason: 42 }), 'reason', 'type');
			expectFieldError(await cancel(event.id, organizer, { why: 'x' }), 'why', 'unknown');
			expectFieldError(await cancel(event.id, organizer, { reason: 'ก'.repeat(1001) }), 'reason', 'length');
			expectProblem(await api('POST', `/v1/events/${event.id}/cancel`, { token: organizer,
			    raw: '{"reason":', headers: { 'content-type': 'application/json' } }), 400, 'malformed-json');
			expectProblem(await api('POST', `/v1/events/${event.id}/cancel`, { token: organizer,
			    raw: 'reason=x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type');
		});
		assert.equal(dbStatus(event.id), 'published');
		expectStatus(await cancel(event.id, admin), 200, 'admin cancels any event');
	});
});

describe('GET /v1/events: visibility, filters, pagination, search', () => {
	test('drafts are listed for their agency and admins only', async () => {
		const tag = uniq('zvis');
		const { event: draft } = await createEvent({ title: `ร่างงาน ${tag}` });
		const { event: pub } = await openEvent({ title: `งานเผยแพร่ ${tag}` });
		const { event: gone } = await openEvent({ title: `งานยกเลิก ${tag}` });
		expectStatus(await cancel(gone.id), 200);
		const { event: phichitDraft } = await createEvent({ title: `ร่างพิจิตร ${tag}` }, phichitOrganizer);
		const sameSet = (a, b) => assert.deepEqual([...a].sort(), [...b].sort());
		sameSet(await listIds({ q: tag }), [pub.id, gone.id]);
		sameSet(await listIds({ q: tag }, scanner), [pub.id, gone.id]);
		sameSet(await listIds({ q: tag }, partner), [pub.id, gone.id]);
		sameSet(await listIds({ q: tag }, organizer), [draft.id, pub.id, gone.id]);
		sameSet(await listIds({ q: tag }, phichitOrganizer), [pub.id, gone.id, phichitDraft.id]);
		sameSet(await listIds({ q: tag }, admin), [draft.id, pub.id, gone.id, phichitDraft.id]);
		// Asking for drafts does not reveal them.
		sameSet(await listIds({ q: tag, status: 'draft' }), []);
		sameSet(await listIds({ q: tag, status: 'draft' }, organizer), [draft.id]);
		sameSet(await listIds({ q: tag, status: 'cancelled' }), [gone.id]);
		sameSet(await listIds({ q: tag, status: 'published' }), [pub.id]);
		expectUnauthorized(await list({ q: tag }, 'not-a-token'), { invalidToken: true });
	});

	test('filters: province, district, kind, agency, fiscal year, from/to in Bangkok dates', async () => {
		const tag = uniq('zflt');
		const mk = async (o, token = organizer) => (await openEvent({ title: `งานกรอง ${tag}`,
		    registration_opens_at: null, registration_closes_at: null, ...o }, token)).event;
		// A: late on 10 March 2091 in Bangkok; B: just after midnight on the 11th
		// (still the 10th in UTC).
		const a = await mk({ starts_at: '2091-03-10T23:30:00+07:00', ends_at: '2091-03-10T23:50:00+07:00',
		    kind: 'seminar' });
		const b = await mk({ starts_at: '2091-03-11T00:30:00+07:00', ends_at: '2091-03-11T08:00:00+07:00',
		    kind: 'training', venue: { name: 'สวนไม้ไทยพ่อเลี้ยงหมื่น', province_code: '51',
		    district_code: '5101', subdistrict_code: '510106' }, quotas: [] });
		const c = await mk({ starts_at: '2091-10-01T09:00:00+07:00', ends_at: '2091-10-01T16:00:00+07:00',
		    kind: 'meeting', agency_id: LAMPHUN_AGENCY, venue: { name: 'ห้องประชุมอำเภอบ้านธิ',
		    province_code: '51', district_code: '5107', subdistrict_code: '510115' }, quotas: [] }, admin);
		assert.equal(a.fiscal_year_be, 2634);
		assert.equal(b.fiscal_year_be, 2634);
		assert.equal(c.fiscal_year_be, 2635);
		const eq = async (query, ids) => assert.deepEqual(await listIds({ q: tag, ...query }), ids,
		    JSON.stringify(query));
		await eq({}, [a.id, b.id, c.id]);			// ordered by starts_at
		await eq({ province: '52' }, [a.id]);
		await eq({ province: '51' }, [b.id, c.id]);
		await eq({ district: '5101' }, [b.id]);
		await eq({ district: '5107' }, [c.id]);
		await eq({ province: '51', district: '5107' }, [c.id]);
		await eq({ province: '10' }, []);
		await eq({ kind: 'training' }, [b.id]);
		await eq({ kind: 'workshop' }, []);
		await eq({ agency: LAMPHUN_AGENCY }, [c.id]);
		await eq({ agency: LAMPANG_AGENCY }, [a.id, b.id]);
		await eq({ fiscal_year_be: '2634' }, [a.id, b.id]);
		await eq({ fiscal_year_be: '2635' }, [c.id]);
		await eq({ from: '2091-03-11' }, [b.id, c.id]);
		await eq({ from: '2091-03-10' }, [a.id, b.id, c.id]);
		await eq({ to: '2091-03-10' }, [a.id]);
		await eq({ to: '2091-03-11' }, [a.id, b.id]);
		await eq({ from: '2091-03-11', to: '2091-03-11' }, [b.id]);
		await eq({ from: '2091-03-12', to: '2091-09-30' }, []);
		await eq({ from: '2091-10-01', to: '2091-10-01' }, [c.id]);
		await eq({ from: '2091-03-10', to: '2091-03-11', kind: 'seminar' }, [a.id]);
	});

	test('bad filter values are 422 naming the parameter', async () => {
		for (const [param, value] of [
		    ['province', '5'], ['province', 'ลำปาง'], ['district', '52'], ['district', 'abcd'],
		    ['from', '2020-13-01'], ['from', '07/01/2020'], ['from', '2020-02-30'], ['to', 'tomorrow'],
		    ['status', 'open'], ['kind', 'party'], ['fiscal_year_be', 'two'], ['fiscal_year_be', '2563.5'],
		    ['agency', 'not-a-uuid'], ['limit', '0'], ['limit', '201'], ['limit', 'x'], ['q', ''],
		]) {
			const res = await list({ [param]: value });
			expectFieldError(res, param, undefined, `${param}=${value}`);
		}
		expectProblem(await list({ cursor: 'not-a-cursor' }), 400, 'bad-request', 'bad cursor');
	});

	test('keyset pagination: every event once, in order, stable under inserts', async () => {
		const tag = uniq('zpg');
		const ids = [];
		for (let i = 0; i < 5; i++) {
			const start = new Date(Date.UTC(2092, 0, 1 + i, 2));
			ids.push((await openEvent({ title: `งานแบ่งหน้า ${i} ${tag}`, starts_at: bkk(start),
			    ends_at: bkk(start.getTime() + 3600e3), registration_opens_at: null,
			    registration_closes_at: null })).event.id);
		}
		const seen = [];
		let cursor = null;
		let pages = 0;
		do {
			const query = { q: tag, limit: '2' };
			if (cursor)
				query.cursor = cursor;
			const res = expectStatus(await list(query), 200);
			assert.ok(res.json.items.length <= 2);
			seen.push(...res.json.items.map((e) => e.id));
			cursor = res.json.next_cursor;
			pages++;
			if (pages === 1) {
				// An event inserted before the cursor does not shift the pages.
				const start = new Date(Date.UTC(2091, 11, 31, 2));
				await openEvent({ title: `งานแทรก ${tag}`, starts_at: bkk(start),
				    ends_at: bkk(start.getTime() + 3600e3), registration_opens_at: null,
				    registration_closes_at: null });
			}
		} while (cursor && pages < 10);
		assert.deepEqual(seen, ids, 'each event once, ordered by starts_at');
		assert.equal(pages, 3);
		const all = expectStatus(await list({ q: tag, limit: '200' }), 200).json;
		assert.equal(all.items.length, 6);
		assert.equal(all.next_cursor, null);
		const starts = all.items.map((e) => Date.parse(e.starts_at));
		assert.deepEqual(starts, [...starts].sort((x, y) => x - y));
		const dflt = expectStatus(await list({}), 200).json;
		assert.ok(dflt.items.length <= 50, 'default limit 50');
	});

	test('q=แรงงานนอกระบบ finds the events whose title or venue contains it, and only those', async () => {
		const tag = uniq('zq');
		const { event: hit } = await openEvent({
		    title: `สัมมนาเชิงปฏิบัติการสร้างความตระหนักรู้เพื่อพัฒนาคุณภาพชีวิตที่ดีของแรงงานนอกระบบในภาคการเกษตร ${tag}` });
		const { event: hit2 } = await openEvent({ title: `ประชุมหารือ ${tag}`,
		    venue: { name: 'ศูนย์ประสานงานแรงงานนอกระบบจังหวัดสมุทรปราการ', province_code: '11' },
		    quotas: [] });
		const { event: miss } = await openEvent({ title: `อบรมอาสาสมัครแรงงานในระบบ ${tag}` });
		const { event: draftHit } = await createEvent({ title: `ร่าง แรงงานนอกระบบ ${tag}` });
		const res = expectStatus(await api('GET',
		    `/v1/events?q=${encodeURIComponent('แรงงานนอกระบบ')}&limit=200`), 200);
		const ids = res.json.items.map((e) => e.id);
		assert.ok(ids.includes(hit.id), 'title match found');
		assert.ok(ids.includes(hit2.id), 'venue match found');
		assert.ok(!ids.includes(miss.id), 'no match without the phrase');
		assert.ok(!ids.includes(draftHit.id), 'drafts stay hidden from the public');
		for (const e of res.json.items) {
			assert.ok(`${e.title} ${e.venue.name}`.includes('แรงงานนอกระบบ'),
			    `every hit contains the phrase: ${e.title}`);
		}
		// A substring in the middle of a Thai word, with the tag to scope it.
		assert.deepEqual(await listIds({ q: `ตระหนักรู้เพื่อพัฒนา` }).then((x) => x.includes(hit.id)), true);
		assert.deepEqual((await listIds({ q: tag })).sort(), [hit.id, hit2.id, miss.id].sort());
		// SQL wildcards are literal.
		assert.deepEqual(await listIds({ q: `%${tag}` }), []);
		assert.deepEqual(await listIds({ q: `${tag}_` }), []);
	});
});

// Registrations (issue 3): by participant id or inline (one person is one
// participant, found by national id), consent required, confirmed or
// waitlisted by quota group and the shared pool, one registration per
// person and event, only while the event is published and its window open,
// cancel with promotion of the oldest waitlisted of the same group, reads,
// lists with filters and pagination, and who may do what.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectUnauthorized,
    sql, sqlInt, uniq, newUuid, bkk, hoursFromNow, participantBody, createParticipant,
    createEvent, openEvent, patchEvent, registerInline, otherOrganizer, dataUnchanged,
    nationalId, badChecksum, dashedNationalId, maskedNationalId, PHICHIT_AGENCY, ETAG_RE } from './lib.mjs';

let admin, organizer, scanner, partner, phichitOrganizer;
let ev; // published, window open, default quotas (100/14/14 of 128)
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
	ev = (await openEvent()).event;
});

const reg = (eventId, body, token = organizer) => api('POST', `/v1/events/${eventId}/registrations`,
    { token, body });
const getReg = (id, token = organizer) => api('GET', `/v1/registrations/${id}`, { token });
const cancelReg = (id, token = organizer) => api('POST', `/v1/registrations/${id}/cancel`, { token });
const listRegs = (eventId, query = {}, token = organizer) => api('GET',
    `/v1/events/${eventId}/registrations?${new URLSearchParams(query)}`, { token });
const dbReg = (id) => sql(`select status || '|' || target_group || '|' || source || '|' || version
    from registration where id = $1::uuid`, [id]);
const eventCounts = async (id) => expectStatus(await api('GET', `/v1/events/${id}`, { token: organizer }),
    200).json.counts;

describe('POST /v1/events/{id}/registrations', () => {
	test('by participant_id: 201, Location, ETag, confirmed, the group defaults to the person\'s', async () => {
		const p = await createParticipant({ target_group: 'volunteer_mentor' });
		const res = expectStatus(await reg(ev.id, { participant_id: p.id }), 201);
		const r = res.json;
		assert.equal(res.headers.get('location'), `/v1/registrations/${r.id}`);
		assert.match(res.headers.get('etag'), ETAG_RE);
		assert.equal(r.event_id, ev.id);
		assert.equal(r.participant_id, p.id);
		assert.equal(r.status, 'confirmed');
		assert.equal(r.source, 'api');
		assert.equal(r.target_group, 'volunteer_mentor');
		assert.equal(r.waitlist_position, null);
		assert.equal(r.cancelled_at, null);
		assert.deepEqual(r.participant, { display_name: p.display_name,
		    national_id_masked: p.national_id_masked, target_group: 'volunteer_mentor' });
		assert.equal(dbReg(r.id), 'confirmed|volunteer_mentor|api|1');
		// An explicit group wins over the person's.
		const q = await createParticipant({ target_group: 'volunteer_mentor' });
		const r2 = expectStatus(await reg(ev.id, { participant_id: q.id, target_group: 'anti_trafficking_officer' },
		    admin), 201).json;
		assert.equal(r2.target_group, 'anti_trafficking_officer');
		assert.equal(r2.participant.target_group, 'volunteer_mentor');
	});

	test('registration answers are personal data: Cache-Control no-store on POST too', async () => {
		const res = expectStatus(await registerInline(ev.id), 201);
		assert.match(res.headers.get('cache-control') ?? '', /no-store/,
		    `POST /v1/events/{id}/registrations: Cache-Control is "${res.headers.get('cache-control')}"`);
	});

	test('inline: a new person is created once; the same national id later reuses them', async () => {
		const nid = nationalId();
		const before = sqlInt('select count(*) from participant');
		const body = participantBody({ national_id: nid, first_name: 'สมาน', last_name: 'จันทร์แก้ว',
		    title_th: 'นาย', target_group: 'labour_volunteer' });
		const r1 = expectStatus(await reg(ev.id, { participant: body }), 201).json;
		assert.equal(sqlInt('select count(*) from participant'), before + 1);
		assert.equal(r1.participant.display_name, 'นายสมาน จันทร์แก้ว');
		assert.equal(r1.participant.national_id_masked, maskedNationalId(nid));
		assert.equal(r1.target_group, 'labour_volunteer');
		// Another event, the same number written with dashes and a newer consent.
		const { event: ev2 } = await openEvent();
		const consent = bkk(hoursFromNow(-0.5));
		const r2 = expectStatus(await reg(ev2.id, { participant: participantBody({
		    national_id: dashedNationalId(nid), first_name: 'ชื่อที่ไม่ใช้', pdpa_consent_at: consent,
		    pdpa_consent_version: '2566-2' }) }), 201).json;
		assert.equal(r2.participant_id, r1.participant_id, 'one person, one participant');
		assert.equal(sqlInt('select count(*) from participant'), before + 1);
		const p = expectStatus(await api('GET', `/v1/participants/${r1.participant_id}`, { token: organizer }), 200).json;
		assert.equal(p.first_name, 'สมาน', 'the stored name stays');
		assert.equal(p.pdpa_consent_version, '2566-2', 'the newer consent is recorded');
		assert.equal(p.pdpa_consent_at, consent);
	});

	test('consent is required: 422 pdpa_consent_at consent; inline consent fixes it', async () => {
		const nid = nationalId();
		const p = await createParticipant({ national_id: nid, pdpa_consent_at: null,
		    pdpa_consent_version: null });
		await dataUnchanged(async () => {
			expectFieldError(await reg(ev.id, { participant_id: p.id }), 'pdpa_consent_at', 'consent');
			const inline = participantBody();
			delete inline.pdpa_consent_at;
			delete inline.pdpa_consent_version;
			expectFieldError(await reg(ev.id, { participant: inline }), /^(participant\.)?pdpa_consent_at$/,
			    'consent', 'new inline person without consent');
			const known = participantBody({ national_id: nid });
			delete known.pdpa_consent_at;
			delete known.pdpa_consent_version;
			expectFieldError(await reg(ev.id, { participant: known }), /^(participant\.)?pdpa_consent_at$/,
			    'consent', 'known person without consent, inline without consent');
		});
		// The same person inline, with consent given now: registered, consent stored.
		const consent = bkk(hoursFromNow(-0.1));
		const r = expectStatus(await reg(ev.id, { participant: participantBody({ national_id: nid,
		    pdpa_consent_at: consent, pdpa_consent_version: '2567-1' }) }), 201).json;
		assert.equal(r.participant_id, p.id);
		assert.equal(sql(`select pdpa_consent_version from participant where id = $1::uuid`, [p.id]), '2567-1');
	});

	test('a person without a group needs target_group; unknown groups are 422', async () => {
		const p = await createParticipant({ target_group: null });
		await dataUnchanged(async () => {
			expectFieldError(await reg(ev.id, { participant_id: p.id }), 'target_group', 'required');
			expectFieldError(await reg(ev.id, { participant_id: p.id, target_group: 'astronaut' }),
			    'target_group', 'not_found');
		});
		const r = expectStatus(await reg(ev.id, { participant_id: p.id, target_group: 'general' }), 201).json;
		assert.equal(r.target_group, 'general');
		assert.equal(r.participant.target_group, null);
	});

	test('once per person and event: 409 conflict with registration_id, in any status', async () => {
		const p = await createParticipant();
		const r = expectStatus(await reg(ev.id, { participant_id: p.id }), 201).json;
		await dataUnchanged(async () => {
			const again = expectProblem(await reg(ev.id, { participant_id: p.id }), 409, 'conflict');
			assert.equal(again.json.registration_id, r.id);
		});
		expectStatus(await cancelReg(r.id), 200);
		await dataUnchanged(async () => {
			const after = expectProblem(await reg(ev.id, { participant_id: p.id }), 409, 'conflict',
			    'cancelled registrations count too');
			assert.equal(after.json.registration_id, r.id);
		});
	});

	test('the same person inline twice: 409 with the first registration', async () => {
		const nid = nationalId();
		const r = expectStatus(await reg(ev.id, { participant: participantBody({ national_id: nid }) }), 201).json;
		await dataUnchanged(async () => {
			const again = expectProblem(await reg(ev.id, { participant: participantBody({
			    national_id: dashedNationalId(nid) }) }), 409, 'conflict');
			assert.equal(again.json.registration_id, r.id);
		});
	});

	test('only published events with the window open take registrations: 409 event-not-open', async () => {
		const { event: draft } = await createEvent();
		const { event: future } = await openEvent({ registration_opens_at: bkk(hoursFromNow(2)),
		    registration_closes_at: bkk(hoursFromNow(48)) });
		const { event: past } = await openEvent({ registration_opens_at: bkk(hoursFromNow(-48)),
		    registration_closes_at: bkk(hoursFromNow(-1)) });
		const { event: closed, etag } = await openEvent();
		await patchEvent(closed.id, { status: 'closed' }, { token: organizer, etag });
		const { event: cancelled } = await openEvent();
		expectStatus(await api('POST', `/v1/events/${cancelled.id}/cancel`, { token: organizer }), 200);
		const p = await createParticipant();
		await dataUnchanged(async () => {
			for (const [what, e] of [['draft', draft], ['window not open yet', future],
			    ['window closed', past], ['closed', closed], ['cancelled', cancelled]]) {
				expectProblem(await reg(e.id, { participant_id: p.id }), 409, 'event-not-open', what);
				expectProblem(await reg(e.id, { participant: participantBody() }), 409, 'event-not-open',
				    `${what}, inline`);
			}
		});
		// No window at all: open while published.
		const { event: always } = await openEvent({ registration_opens_at: null, registration_closes_at: null });
		expectStatus(await reg(always.id, { participant_id: p.id }), 201, 'no window');
	});

	test('bad bodies are 422 naming the field; nothing is stored', async () => {
		const p = await createParticipant();
		const nid = nationalId();
		const cases = [
		    [{}, 'participant_id', 'required'],
		    [{ target_group: 'general' }, 'participant_id', 'required'],
		    [{ participant_id: p.id, participant: participantBody() }, 'participant', 'format'],
		    [{ participant_id: newUuid() }, 'participant_id', 'not_found'],
		    [{ participant_id: 'not-a-uuid' }, 'participant_id', 'format'],
		    [{ participant_id: 12 }, 'participant_id', 'type'],
		    [{ participant: 'สมชาย' }, 'participant', 'type'],
		    [{ participant: participantBody({ national_id: badChecksum(nid) }) }, 'participant.national_id', 'checksum'],
		    [{ participant: participantBody({ national_id: '12345' }) }, 'participant.national_id', 'format'],
		    [{ participant: participantBody({ phone: '999' }) }, 'participant.phone', 'format'],
		    [{ participant: participantBody({ district_code: '5101', subdistrict_code: null }) },
			'participant.district_code', 'mismatch'],
		    [{ participant: participantBody({ province_code: '99', district_code: null, subdistrict_code: null }) },
			'participant.province_code', 'not_found'],
		    [{ participant: { ...participantBody(), first_name: undefined } }, 'participant.first_name', 'required'],
		    [{ participant: { ...participantBody(), nickname: 'แดง' } }, 'participant.nickname', 'unknown'],
		    [{ participant_id: p.id, target_group: 'astronaut' }, 'target_group', 'not_found'],
		    [{ participant_id: p.id, status: 'confirmed' }, 'status', 'unknown'],
		];
		await dataUnchanged(async () => {
			for (const [body, field, code] of cases) {
				if (body.participant && typeof body.participant === 'object') {
					for (const [k, v] of Object.entries(body.participant)) {
						if (v === undefined)
							delete body.participant[k];
					}
				}
				expectFieldError(await reg(ev.id, body), field, code, JSON.stringify(body).slice(0, 100));
			}
		});
	});

	test('who may register people: staff of the event only', async () => {
		const { event: draft } = await createEvent();
		const p = await createParticipant();
		await dataUnchanged(async () => {
			expectUnauthorized(await reg(ev.id, { participant_id: p.id }, null));
			expectProblem(await reg(ev.id, { participant_id: p.id }, scanner), 403, 'forbidden', 'scanner');
			expectProblem(await reg(ev.id, { participant_id: p.id }, partner), 403, 'forbidden', 'partner');
			expectProblem(await reg(ev.id, { participant_id: p.id }, phichitOrganizer), 403, 'forbidden',
			    'organizer of another agency, published');
			expectProblem(await reg(draft.id, { participant_id: p.id }, phichitOrganizer), 404, 'not-found',
			    'organizer of another agency, draft');
			expectProblem(await reg(newUuid(), { participant_id: p.id }), 404, 'not-found');
			expectProblem(await reg('nope', { participant_id: p.id }), 404, 'not-found');
		});
	});
});

describe('seats: quotas, the shared pool and the waitlist', () => {
	test('a quota group fills its own seats; the others share capacity minus the quotas', async () => {
		const { event } = await openEvent({ capacity: 5,
		    quotas: [{ target_group: 'labour_volunteer', seats: 2 }] });
		const go = async (group) => expectStatus(await registerInline(event.id,
		    { participant: { target_group: group } }), 201).json;
		const lv = [await go('labour_volunteer'), await go('labour_volunteer'), await go('labour_volunteer')];
		assert.deepEqual(lv.map((r) => r.status), ['confirmed', 'confirmed', 'waitlisted']);
		assert.equal(lv[2].waitlist_position, 1);
		const pool = [await go('general'), await go('informal_worker'), await go('general'),
		    await go('general'), await go('informal_worker')];
		assert.deepEqual(pool.map((r) => r.status), ['confirmed', 'confirmed', 'confirmed', 'waitlisted',
		    'waitlisted'], 'three pool seats shared by the groups without a quota');
		assert.deepEqual(pool.slice(3).map((r) => r.waitlist_position), [1, 2], 'positions per pool');
		assert.equal(sqlInt(`select count(*) from registration where event_id = $1::uuid and status = 'confirmed'`,
		    [event.id]), 5, 'never over capacity');
		assert.deepEqual(await eventCounts(event.id), { confirmed: 5, waitlisted: 3 });
		// A quota of 0 seats waitlists its group at once.
		const { event: zero } = await openEvent({ capacity: 3,
		    quotas: [{ target_group: 'health_staff', seats: 0 }] });
		const z = expectStatus(await registerInline(zero.id, { participant: { target_group: 'health_staff' } }),
		    201).json;
		assert.equal(z.status, 'waitlisted');
	});

	test('cancelling a confirmed seat promotes the oldest waitlisted of its own group', async () => {
		const { event } = await openEvent({ capacity: 2,
		    quotas: [{ target_group: 'labour_volunteer', seats: 1 }] });
		const go = async (group) => expectStatus(await registerInline(event.id,
		    { participant: { target_group: group } }), 201).json;
		const a = await go('labour_volunteer');	// confirmed (quota)
		const b = await go('labour_volunteer');	// waitlisted, LV #1
		const c = await go('general');		// confirmed (pool)
		const d = await go('general');		// waitlisted, pool #1
		const e = await go('labour_volunteer');	// waitlisted, LV #2
		assert.deepEqual([a, b, c, d, e].map((r) => r.status),
		    ['confirmed', 'waitlisted', 'confirmed', 'waitlisted', 'waitlisted']);
		assert.equal(e.waitlist_position, 2);

		// a leaves: b (LV), not d (older in the pool), takes the seat.
		const r1 = expectStatus(await cancelReg(a.id), 200);
		assert.match(r1.headers.get('cache-control') ?? '', /no-store/);
		assert.equal(r1.json.registration.id, a.id);
		assert.equal(r1.json.registration.status, 'cancelled');
		assert.ok(r1.json.registration.cancelled_at);
		assert.equal(r1.json.promoted.id, b.id);
		assert.equal(r1.json.promoted.status, 'confirmed');
		assert.equal(r1.json.promoted.waitlist_position, null);
		assert.equal(dbReg(a.id).split('|')[0], 'cancelled');
		assert.equal(dbReg(b.id).split('|')[0], 'confirmed');
		assert.equal(dbReg(d.id).split('|')[0], 'waitlisted');
		const eNow = expectStatus(await getReg(e.id), 200).json;
		assert.equal(eNow.waitlist_position, 1, 'e moved up');

		// c leaves: d (pool) is promoted.
		const r2 = expectStatus(await cancelReg(c.id), 200).json;
		assert.equal(r2.promoted.id, d.id);
		// A waitlisted registration leaves: nobody is promoted.
		const r3 = expectStatus(await cancelReg(e.id), 200).json;
		assert.equal(r3.registration.status, 'cancelled');
		assert.equal(r3.promoted, null);
		// b leaves: nobody is waiting in LV any more.
		const r4 = expectStatus(await cancelReg(b.id), 200).json;
		assert.equal(r4.promoted, null);
		assert.deepEqual(await eventCounts(event.id), { confirmed: 1, waitlisted: 0 });
		// Cancelling twice is 409 and changes nothing.
		await dataUnchanged(async () => {
			expectProblem(await cancelReg(a.id), 409, 'conflict');
			expectProblem(await cancelReg(e.id), 409, 'conflict');
		});
		// The freed LV seat goes to the next LV registration at once.
		assert.equal((await go('labour_volunteer')).status, 'confirmed');
	});

	test('cancel: staff only; others cannot even see the registration', async () => {
		const r = expectStatus(await registerInline(ev.id), 201).json;
		await dataUnchanged(async () => {
			expectUnauthorized(await cancelReg(r.id, null));
			expectProblem(await cancelReg(r.id, scanner), 403, 'forbidden');
			expectProblem(await cancelReg(r.id, partner), 403, 'forbidden');
			expectProblem(await cancelReg(r.id, phichitOrganizer), 404, 'not-found', 'another agency');
			expectProblem(await cancelReg(newUuid()), 404, 'not-found');
			expectProblem(await cancelReg('nope'), 404, 'not-found');
		});
		assert.equal(dbReg(r.id).split('|')[0], 'confirmed');
		expectStatus(await cancelReg(r.id, admin), 200, 'admin cancels');
	});
});

describe('reading registrations', () => {
	test('GET /v1/registrations/{id}: staff of the event; ETag; no-store; others 401/403/404', async () => {
		const r = expectStatus(await registerInline(ev.id), 201).json;
		for (const token of [organizer, admin]) {
			const res = expectStatus(await getReg(r.id, token), 200);
			assert.deepEqual(res.json, r);
			assert.match(res.headers.get('etag'), ETAG_RE);
			assert.match(res.headers.get('cache-control') ?? '', /no-store/);
		}
		expectUnauthorized(await getReg(r.id, null));
		expectProblem(await getReg(r.id, scanner), 403, 'forbidden');
		expectProblem(await getReg(r.id, partner), 403, 'forbidden');
		expectProblem(await getReg(r.id, phichitOrganizer), 404, 'not-found', 'another agency');
		expectProblem(await getReg(newUuid()), 404, 'not-found');
		expectProblem(await getReg('x'), 404, 'not-found');
	});

	test('GET /v1/events/{id}/registrations: filters status, target_group, q, checked_in; order; pages', async () => {
		const { event } = await openEvent({ capacity: 3, quotas: [] });
		const tag = uniq('').slice(-6);
		const made = [];
		for (const [first, group] of [[`กมล${tag}`, 'labour_volunteer'], [`ขวัญ${tag}`, 'general'],
		    [`คำ${tag}`, 'labour_volunteer'], [`งาม${tag}`, 'general'], [`จันทร์${tag}`, 'informal_worker']]) {
			made.push(expectStatus(await registerInline(event.id, { participant: { first_name: first,
			    last_name: 'ทดสอบ', target_group: group } }), 201).json);
		}
		expectStatus(await cancelReg(made[1].id), 200);	// ขวัญ leaves; งาม is promoted
		const ids = async (query) => {
			const res = expectStatus(await listRegs(event.id, { limit: '200', ...query }), 200, JSON.stringify(query));
			assert.match(res.headers.get('cache-control') ?? '', /no-store/);
			return res.json.items.map((x) => x.id);
		};
		const all = made.map((x) => x.id);
		assert.deepEqual(await ids({}), all, 'ordered by creation');
		assert.deepEqual(await ids({ status: 'confirmed' }), [all[0], all[2], all[3]]);
		assert.deepEqual(await ids({ status: 'waitlisted' }), [all[4]]);
		assert.deepEqual(await ids({ status: 'cancelled' }), [all[1]]);
		assert.deepEqual(await ids({ target_group: 'labour_volunteer' }), [all[0], all[2]]);
		assert.deepEqual(await ids({ target_group: 'health_staff' }), []);
		assert.deepEqual(await ids({ q: `คำ${tag}` }), [all[2]]);
		assert.deepEqual(await ids({ q: tag }), all);
		assert.deepEqual(await ids({ q: 'ทดสอบ', status: 'confirmed', target_group: 'general' }), [all[3]]);
		assert.deepEqual(await ids({ checked_in: 'false' }), all, 'nobody has checked in yet');
		assert.deepEqual(await ids({ checked_in: 'true' }), []);
		// Pages of two.
		const seen = [];
		let cursor = null;
		let pages = 0;
		do {
			const query = { limit: '2' };
			if (cursor)
				query.cursor = cursor;
			const res = expectStatus(await listRegs(event.id, query), 200);
			seen.push(...res.json.items.map((x) => x.id));
			cursor = res.json.next_cursor;
			pages++;
		} while (cursor && pages < 10);
		assert.deepEqual(seen, all);
		assert.equal(pages, 3);
		for (const [param, value] of [['status', 'done'], ['target_group', 'กลุ่ม'], ['checked_in', 'yes'],
		    ['limit', '0'], ['limit', '201'], ['q', '']])
			expectFieldError(await listRegs(event.id, { [param]: value }), param, undefined, `${param}=${value}`);
		expectProblem(await listRegs(event.id, { cursor: 'x' }), 400, 'bad-request');
	});

	test('list: staff only', async () => {
		const { event: draft } = await createEvent();
		expectUnauthorized(await listRegs(ev.id, {}, null));
		expectProblem(await listRegs(ev.id, {}, scanner), 403, 'forbidden');
		expectProblem(await listRegs(ev.id, {}, partner), 403, 'forbidden');
		expectProblem(await listRegs(ev.id, {}, phichitOrganizer), 403, 'forbidden', 'another agency, published');
		expectProblem(await listRegs(draft.id, {}, phichitOrganizer), 404, 'not-found', 'another agency, draft');
		expectProblem(await listRegs(newUuid()), 404, 'not-found');
		expectStatus(await listRegs(ev.id, {}, admin), 200);
	});
});

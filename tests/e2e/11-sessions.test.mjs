// Sessions of an event (issue 3): list (whoever sees the event), create,
// PATCH with If-Match, DELETE; times inside the event's; staff only;
// refused requests leave the database unchanged.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectUnauthorized,
    sql, sqlInt, uniq, newUuid, bkk, createEvent, openEvent, patchEvent, otherOrganizer,
    dataUnchanged, PHICHIT_AGENCY } from './lib.mjs';

let admin, organizer, scanner, partner, phichitOrganizer;
let ev; // a published event: 2090-12-07 09:00-16:30 Bangkok
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
	ev = (await openEvent({ starts_at: '2090-12-07T09:00:00+07:00',
	    ends_at: '2090-12-07T16:30:00+07:00' })).event;
});

const base = (eventId) => `/v1/events/${eventId}/sessions`;
const listS = (eventId, token) => api('GET', base(eventId), { token });
const postS = (eventId, body, token = organizer) => api('POST', base(eventId), { token, body });
const patchS = (eventId, sid, body, etag, token = organizer) => api('PATCH', `${base(eventId)}/${sid}`,
    { token, body, headers: etag === undefined ? {} : { 'If-Match': etag } });
const delS = (eventId, sid, token = organizer) => api('DELETE', `${base(eventId)}/${sid}`, { token });

function sessionBody(overrides = {}) {
	return {
	    title: `การเรียนรู้เชิงปฏิบัติการ กลุ่มที่ 1 ความปลอดภัยและอาชีวอนามัย ${uniq('')}`,
	    kind: 'workshop',
	    starts_at: '2090-12-07T13:00:00+07:00',
	    ends_at: '2090-12-07T14:30:00+07:00',
	    room: 'ศาลาริมน้ำ',
	    speakers: [
		{ name: 'นางสาวศิริพร ใจดี', affiliation: 'สำนักงานสวัสดิการและคุ้มครองแรงงานจังหวัดลำพูน' },
		{ name: 'นายสมชาย แสนดี' },
	    ],
	    capacity: 20,
	    ...overrides,
	};
}

describe('POST /v1/events/{id}/sessions', () => {
	test('staff add sessions: 201, ETag, Location, Thai speakers; GET lists them by start time', async () => {
		const { event } = await openEvent({ starts_at: '2090-12-07T09:00:00+07:00',
		    ends_at: '2090-12-07T16:30:00+07:00' });
		const late = expectStatus(await postS(event.id, sessionBody()), 201);
		assert.equal(late.headers.get('etag'), '"1"');
		assert.equal(late.headers.get('location'), `/v1/events/${event.id}/sessions/${late.json.id}`);
		const s = late.json;
		assert.equal(s.event_id, event.id);
		assert.equal(s.kind, 'workshop');
		assert.equal(s.starts_at, '2090-12-07T13:00:00+07:00');
		assert.equal(s.ends_at, '2090-12-07T14:30:00+07:00');
		assert.equal(s.room, 'ศาลาริมน้ำ');
		assert.equal(s.capacity, 20);
		assert.deepEqual(s.speakers, [
		    { name: 'นางสาวศิริพร ใจดี', affiliation: 'สำนักงานสวัสดิการและคุ้มครองแรงงานจังหวัดลำพูน' },
		    { name: 'นายสมชาย แสนดี', affiliation: null },
		]);
		// The edges of the event are inside; Z times are converted.
		const opening = expectStatus(await postS(event.id, { title: 'พิธีเปิด', kind: 'opening',
		    starts_at: '2090-12-07T02:00:00Z', ends_at: '2090-12-07T09:30:00+07:00' }, admin), 201).json;
		assert.equal(opening.starts_at, '2090-12-07T09:00:00+07:00');
		assert.equal(opening.room, null);
		assert.equal(opening.capacity, null);
		assert.deepEqual(opening.speakers, []);
		const closing = expectStatus(await postS(event.id, { title: 'เสวนาแลกเปลี่ยน', kind: 'panel',
		    starts_at: '2090-12-07T15:00:00+07:00', ends_at: '2090-12-07T16:30:00+07:00' }), 201).json;
		assert.equal(sqlInt('select count(*) from event_session where event_id = $1::uuid', [event.id]), 3);
		assert.equal(sql("select encode(convert_to(speakers->0->>'name', 'UTF8'), 'hex') from event_session where id = $1::uuid",
		    [s.id]), Buffer.from('นางสาวศิริพร ใจดี').toString('hex'));
		for (const token of [null, scanner, partner, phichitOrganizer, organizer]) {
			const res = expectStatus(await listS(event.id, token), 200);
			assert.deepEqual(res.json.items.map((x) => x.id), [opening.id, s.id, closing.id]);
			assert.deepEqual(res.json.items[1], s);
		}
	});

	test('times outside the event, and other bad fields, are 422; nothing is stored', async () => {
		const cases = [
		    [{ starts_at: '2090-12-07T08:59:00+07:00' }, 'starts_at', 'range'],
		    [{ starts_at: '2090-12-06T13:00:00+07:00', ends_at: '2090-12-06T14:00:00+07:00' }, 'starts_at', 'range'],
		    [{ ends_at: '2090-12-07T16:31:00+07:00' }, 'ends_at', 'range'],
		    [{ starts_at: '2090-12-07T16:00:00+07:00', ends_at: '2090-12-08T10:00:00+07:00' }, 'ends_at', 'range'],
		    [{ ends_at: '2090-12-07T13:00:00+07:00' }, 'ends_at', 'range'],
		    [{ ends_at: '2090-12-07T12:00:00+07:00' }, 'ends_at', 'range'],
		    [{ title: undefined }, 'title', 'required'],
		    [{ title: '' }, 'title', 'length'],
		    [{ kind: undefined }, 'kind', 'required'],
		    [{ kind: 'coffee_break' }, 'kind', 'enum'],
		    [{ starts_at: undefined }, 'starts_at', 'required'],
		    [{ starts_at: '13.00 น.' }, 'starts_at', 'format'],
		    [{ ends_at: undefined }, 'ends_at', 'required'],
		    [{ speakers: 'วิทยากร' }, 'speakers', 'type'],
		    [{ speakers: [{ affiliation: 'สสส.' }] }, 'speakers.0.name', 'required'],
		    [{ speakers: [{ name: '' }] }, 'speakers.0.name', 'length'],
		    [{ speakers: [{ name: 'ก', email: 'x@example.org' }] }, 'speakers.0.email', 'unknown'],
		    [{ capacity: 0 }, 'capacity', 'range'],
		    [{ capacity: 'ยี่สิบ' }, 'capacity', 'type'],
		    [{ event_id: newUuid() }, 'event_id', 'unknown'],
		];
		await dataUnchanged(async () => {
			for (const [overrides, field, code] of cases) {
				const body = sessionBody(overrides);
				for (const [k, v] of Object.entries(overrides)) {
					if (v === undefined)
						delete body[k];
				}
				expectFieldError(await postS(ev.id, body), field, code, JSON.stringify(overrides));
			}
		});
	});

	test('who may add sessions: staff of the event only', async () => {
		const { event: draft } = await createEvent();
		await dataUnchanged(async () => {
			expectUnauthorized(await postS(ev.id, sessionBody(), null));
			expectProblem(await postS(ev.id, sessionBody(), scanner), 403, 'forbidden', 'scanner');
			expectProblem(await postS(ev.id, sessionBody(), partner), 403, 'forbidden', 'partner');
			expectProblem(await postS(ev.id, sessionBody(), phichitOrganizer), 403, 'forbidden',
			    'organizer of another agency, published event');
			expectProblem(await postS(draft.id, sessionBody({ starts_at: draft.starts_at,
			    ends_at: draft.ends_at }), phichitOrganizer), 404, 'not-found', 'another agency\'s draft');
			expectProblem(await postS(newUuid(), sessionBody()), 404, 'not-found', 'unknown event');
			expectProblem(await postS('nope', sessionBody()), 404, 'not-found', 'malformed event id');
		});
		// The draft's own staff may plan it.
		expectStatus(await postS(draft.id, sessionBody({ starts_at: draft.starts_at,
		    ends_at: draft.ends_at })), 201, 'own draft');
	});

	test('a draft\'s sessions are hidden like the draft; a cancelled event takes no new ones', async () => {
		const { event: draft } = await createEvent();
		for (const token of [null, scanner, partner, phichitOrganizer])
			expectProblem(await listS(draft.id, token), 404, 'not-found');
		expectStatus(await listS(draft.id, organizer), 200);
		expectProblem(await listS(newUuid()), 404, 'not-found');
		const { event } = await openEvent({ starts_at: '2090-12-07T09:00:00+07:00',
		    ends_at: '2090-12-07T16:30:00+07:00' });
		expectStatus(await api('POST', `/v1/events/${event.id}/cancel`, { token: organizer }), 200);
		await dataUnchanged(async () => {
			expectProblem(await postS(event.id, sessionBody()), 409, 'conflict');
		});
	});
});

describe('PATCH and DELETE /v1/events/{id}/sessions/{sid}', () => {
	test('PATCH: 428 without If-Match, 412 when stale, 200 and a new ETag with it', async () => {
		const created = expectStatus(await postS(ev.id, sessionBody()), 201);
		const s = created.json;
		const etag = created.headers.get('etag');
		await dataUnchanged(async () => {
			expectProblem(await patchS(ev.id, s.id, { room: 'ห้องใหม่' }), 428, 'precondition-required');
			expectProblem(await patchS(ev.id, s.id, { room: 'ห้องใหม่' }, '"9"'), 412, 'precondition-failed');
		});
		const res = expectStatus(await patchS(ev.id, s.id, { room: 'ห้องประชุมใหญ่',
		    speakers: [{ name: 'นางสาวมาลี ศรีสุข', affiliation: null }], capacity: null,
		    kind: 'lecture' }, etag), 200);
		assert.equal(res.headers.get('etag'), '"2"');
		assert.equal(res.json.room, 'ห้องประชุมใหญ่');
		assert.equal(res.json.kind, 'lecture');
		assert.equal(res.json.capacity, null);
		assert.deepEqual(res.json.speakers, [{ name: 'นางสาวมาลี ศรีสุข', affiliation: null }]);
		assert.equal(res.json.title, s.title, 'untouched fields stay');
		assert.equal(sql('select room || \'|\' || version from event_session where id = $1::uuid', [s.id]),
		    'ห้องประชุมใหญ่|2');
		await dataUnchanged(async () => {
			expectProblem(await patchS(ev.id, s.id, { room: 'x' }, etag), 412, 'precondition-failed', 'old ETag');
		});
	});

	test('PATCH: times must stay inside the event; bad fields 422; roles; wrong event 404', async () => {
		const created = expectStatus(await postS(ev.id, sessionBody()), 201);
		const s = created.json;
		const etag = created.headers.get('etag');
		const { event: other } = await openEvent();
		await dataUnchanged(async () => {
			expectFieldError(await patchS(ev.id, s.id, { starts_at: '2090-12-07T08:00:00+07:00' }, etag),
			    'starts_at', 'range');
			expectFieldError(await patchS(ev.id, s.id, { ends_at: '2090-12-07T17:00:00+07:00' }, etag),
			    'ends_at', 'range');
			expectFieldError(await patchS(ev.id, s.id, { ends_at: '2090-12-07T12:59:00+07:00' }, etag),
			    'ends_at', 'range', 'before its own start');
			expectFieldError(await patchS(ev.id, s.id, { kind: 'party' }, etag), 'kind', 'enum');
			expectFieldError(await patchS(ev.id, s.id, { title: null }, etag), 'title', 'type');
			expectFieldError(await patchS(ev.id, s.id, { id: newUuid() }, etag), 'id', 'unknown');
			expectUnauthorized(await patchS(ev.id, s.id, { room: 'x' }, etag, null));
			expectProblem(await patchS(ev.id, s.id, { room: 'x' }, etag, scanner), 403, 'forbidden');
			expectProblem(await patchS(ev.id, s.id, { room: 'x' }, etag, partner), 403, 'forbidden');
			expectProblem(await patchS(ev.id, s.id, { room: 'x' }, etag, phichitOrganizer), 403, 'forbidden');
			expectProblem(await patchS(other.id, s.id, { room: 'x' }, etag), 404, 'not-found',
			    'session under another event');
			expectProblem(await patchS(ev.id, newUuid(), { room: 'x' }, etag), 404, 'not-found');
			expectProblem(await patchS(ev.id, 'nope', { room: 'x' }, etag), 404, 'not-found');
		});
	});

	test('the event\'s own times cannot leave a session outside', async () => {
		const { event, etag } = await openEvent({ starts_at: '2090-12-07T09:00:00+07:00',
		    ends_at: '2090-12-07T16:30:00+07:00' });
		expectStatus(await postS(event.id, sessionBody()), 201);
		await dataUnchanged(async () => {
			const res = await api('PATCH', `/v1/events/${event.id}`, { token: organizer,
			    body: { ends_at: '2090-12-07T12:00:00+07:00' }, headers: { 'If-Match': etag } });
			expectFieldError(res, /^(starts_at|ends_at)$/, 'range');
		});
		// Moving the whole event later without moving the session is refused too.
		await dataUnchanged(async () => {
			const res = await api('PATCH', `/v1/events/${event.id}`, { token: organizer,
			    body: { starts_at: '2090-12-08T09:00:00+07:00', ends_at: '2090-12-08T16:30:00+07:00' },
			    headers: { 'If-Match': etag } });
			expectFieldError(res, /^(starts_at|ends_at)$/, 'range');
		});
		// A change that keeps the session inside is fine.
		await patchEvent(event.id, { ends_at: '2090-12-07T17:00:00+07:00' }, { token: organizer, etag });
	});

	test('DELETE: 204 without a body, then gone; staff only', async () => {
		const s = expectStatus(await postS(ev.id, sessionBody()), 201).json;
		await dataUnchanged(async () => {
			expectUnauthorized(await delS(ev.id, s.id, null));
			expectProblem(await delS(ev.id, s.id, scanner), 403, 'forbidden');
			expectProblem(await delS(ev.id, s.id, partner), 403, 'forbidden');
			expectProblem(await delS(ev.id, s.id, phichitOrganizer), 403, 'forbidden');
			expectProblem(await delS(ev.id, newUuid()), 404, 'not-found');
		});
		const res = expectStatus(await delS(ev.id, s.id), 204);
		assert.equal(res.text, '');
		assert.equal(sqlInt('select count(*) from event_session where id = $1::uuid', [s.id]), 0);
		const listed = expectStatus(await listS(ev.id), 200).json.items.map((x) => x.id);
		assert.ok(!listed.includes(s.id));
		expectProblem(await delS(ev.id, s.id), 404, 'not-found', 'deleted twice');
		expectProblem(await patchS(ev.id, s.id, { room: 'x' }, '"1"'), 404, 'not-found', 'patch deleted');
		const s2 = expectStatus(await postS(ev.id, sessionBody()), 201).json;
		expectStatus(await delS(ev.id, s2.id, admin), 204, 'admin deletes');
	});
});

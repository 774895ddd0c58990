// registrations.csv (issue 3): UTF-8 with a BOM, CRLF, RFC 4180 quoting,
// the fixed header row; national ids and phones masked for everyone by
// default (issue 14), in clear on ?reveal=...&purpose=... for admins and
// the organising agency's organizers only (audited: 74-*), never for a
// co-organising agency; everyone else refused.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectUnauthorized, sql, newUuid, createEvent,
    openEvent, participantBody, otherOrganizer, parseCsv, maskedNationalId, dashedNationalId,
    nationalId, LAMPHUN_AGENCY, PHICHIT_AGENCY } from './lib.mjs';

const HEADER = ['registration_id', 'status', 'target_group', 'title', 'first_name', 'last_name',
    'national_id', 'phone', 'province', 'district', 'subdistrict', 'registered_at'];

let admin, organizer, scanner, partner, phichitOrganizer, lamphunOrganizer;
let event, people, regs;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);	// co-organiser below
	lamphunOrganizer = await otherOrganizer(LAMPHUN_AGENCY);	// unrelated
	event = (await openEvent({ capacity: 2, quotas: [], co_organizer_ids: [PHICHIT_AGENCY] })).event;
	people = [
	    participantBody({ title_th: 'นาง', first_name: 'บัวคำ', last_name: 'ปัญญาดี', target_group: 'informal_worker' }),
	    participantBody({ title_th: 'นาย', first_name: 'สมาน, "แดง"', last_name: 'จันทร์แก้ว',
		national_id: dashedNationalId(nationalId()), phone: '053-223-344', target_group: 'general' }),
	    participantBody({ title_th: null, first_name: 'มาลี', last_name: 'ศรีสุข', phone: null,
		province_code: null, district_code: null, subdistrict_code: null, target_group: 'health_staff' }),
	];
	regs = [];
	for (const p of people) {
		regs.push(expectStatus(await api('POST', `/v1/events/${event.id}/registrations`,
		    { token: organizer, body: { participant: p } }), 201).json);
	}
	expectStatus(await api('POST', `/v1/registrations/${regs[0].id}/cancel`, { token: organizer }), 200);
});

const REVEAL = '?reveal=national_id,phone&purpose=' + encodeURIComponent('ทดสอบการส่งออก');
const exportCsv = (eventId, token, query = '') => api('GET', `/v1/events/${eventId}/registrations.csv${query}`,
    { token });
const digits = (s) => s.replace(/[^0-9]/g, '');

function parseExport(res) {
	expectStatus(res, 200, 'export');
	assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
	assert.equal(res.headers.get('content-disposition'),
	    `attachment; filename="registrations-${event.id}.csv"`);
	assert.match(res.headers.get('cache-control') ?? '', /no-store/);
	assert.deepEqual([...res.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
	assert.ok(res.text.startsWith('\uFEFF'));
	const text = res.text.slice(1);
	assert.ok(text.endsWith('\r\n'), 'CRLF line ends');
	assert.ok(!/[^\r]\n/.test(text), 'every line ends in CRLF');
	const rows = parseCsv(text);
	assert.deepEqual(rows[0], HEADER);
	return rows.slice(1).map((r) => Object.fromEntries(HEADER.map((h, i) => [h, r[i]])));
}

test('the organising agency\'s organizer, revealing, gets every registration with national ids and phones in clear', async () => {
	const res = await exportCsv(event.id, organizer, REVEAL);
	const rows = parseExport(res);
	assert.deepEqual(rows.map((r) => r.registration_id), regs.map((r) => r.id), 'oldest first, cancelled included');
	assert.deepEqual(rows.map((r) => r.status), ['cancelled', 'confirmed', 'confirmed'], 'the waitlisted one was promoted');
	assert.deepEqual(rows.map((r) => r.target_group), ['informal_worker', 'general', 'health_staff']);
	assert.deepEqual(rows.map((r) => r.national_id), people.map((p) => digits(p.national_id)));
	assert.deepEqual(rows.map((r) => r.phone), [people[0].phone, '053223344', '']);
	assert.deepEqual(rows[1], {
	    registration_id: regs[1].id, status: 'confirmed', target_group: 'general', title: 'นาย',
	    first_name: 'สมาน, "แดง"', last_name: 'จันทร์แก้ว', national_id: digits(people[1].national_id),
	    phone: '053223344', province: 'ลำปาง', district: 'เมืองลำปาง', subdistrict: 'เวียงเหนือ',
	    registered_at: regs[1].created_at,
	});
	assert.deepEqual([rows[2].title, rows[2].province, rows[2].district, rows[2].subdistrict], ['', '', '', '']);
	// Thai text byte for byte, and the quoting of a cell with a comma and quotes.
	assert.ok(res.bytes.includes(Buffer.from('บัวคำ,ปัญญาดี', 'utf8')));
	assert.ok(res.bytes.includes(Buffer.from('"สมาน, ""แดง"""', 'utf8')));
	for (const r of rows)
		assert.match(r.registered_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
});

test('admins get the clear numbers too, revealing; masks without', async () => {
	const masked = parseExport(await exportCsv(event.id, admin));
	assert.deepEqual(masked.map((r) => r.national_id), people.map((p) => maskedNationalId(digits(p.national_id))));
	const rows = parseExport(await exportCsv(event.id, admin, REVEAL));
	assert.deepEqual(rows.map((r) => r.national_id), people.map((p) => digits(p.national_id)));
	assert.equal(rows[0].phone, people[0].phone);
});

test('a co-organising agency\'s organizer gets masks only, and may not reveal', async () => {
	expectProblem(await exportCsv(event.id, phichitOrganizer, REVEAL), 403, 'forbidden');
	const res = await exportCsv(event.id, phichitOrganizer);
	const rows = parseExport(res);
	assert.equal(rows.length, 3);
	assert.deepEqual(rows.map((r) => r.national_id), people.map((p) => maskedNationalId(digits(p.national_id))));
	assert.deepEqual(rows.map((r) => r.phone), [`xxx-xxx-${people[0].phone.slice(-4)}`, 'xxx-xxx-3344', '']);
	for (const p of people) {
		const nid = digits(p.national_id);
		assert.ok(!res.text.includes(nid) && !res.text.includes(dashedNationalId(nid)), 'no clear national id');
	}
	assert.ok(!res.text.includes(people[0].phone), 'no clear phone');
});

test('everyone else is refused: scanners and partners 403, other agencies 403 or 404, anonymous 401', async () => {
	expectProblem(await exportCsv(event.id, scanner), 403, 'forbidden', 'scanner');
	expectProblem(await exportCsv(event.id, partner), 403, 'forbidden', 'partner');
	expectProblem(await exportCsv(event.id, lamphunOrganizer), 403, 'forbidden', 'unrelated agency');
	expectUnauthorized(await exportCsv(event.id, null));
	const { event: draft } = await createEvent();
	expectProblem(await exportCsv(draft.id, lamphunOrganizer), 404, 'not-found', 'another agency\'s draft');
	expectProblem(await exportCsv(newUuid(), organizer), 404, 'not-found');
	expectProblem(await exportCsv('nope', organizer), 404, 'not-found');
});

test('an event without registrations exports the header row alone', async () => {
	const { event: empty } = await openEvent();
	const res = expectStatus(await exportCsv(empty.id, organizer), 200);
	assert.equal(res.text, `\uFEFF${HEADER.join(',')}\r\n`);
	assert.equal(sql('select count(*) from registration where event_id = $1::uuid', [empty.id]), '0');
});

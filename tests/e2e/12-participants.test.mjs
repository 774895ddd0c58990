// Participants (issue 3): national ids checked (13 digits, mod-11), stored
// only as a keyed hash and a ciphertext (never in clear, never answered in
// clear), found again by the number; phones masked; consent time and
// version together; search by name or national id; no-store. Since issue
// 14 an organizer reads only the people registered at their agency's
// events, and POST answers alike for a known and a new person (73-*).
// (lib.mjs's api() also fails any JSON answer holding a test's national id.)

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectUnauthorized,
    sql, sqlInt, uniq, newUuid, participantBody, openEvent, nationalId, badChecksum,
    dashedNationalId, maskedNationalId, isValidNationalId, otherOrganizer, dataUnchanged,
    assertNoClearNationalId, nationalIdCheckDigit, PHICHIT_AGENCY, ETAG_RE } from './lib.mjs';

let admin, organizer, scanner, partner, phichitOrganizer, ev;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
	ev = (await openEvent({ capacity: 1000, quotas: [] })).event;
});

// A person registered at a Lampang event, so Lampang's organizer reads
// them; returns the participant as an admin reads it.
async function createParticipant(overrides = {}) {
	const r = expectStatus(await api('POST', `/v1/events/${ev.id}/registrations`, { token: organizer,
	    body: { participant: participantBody(overrides), target_group: 'general' } }), 201).json;
	return expectStatus(await api('GET', `/v1/participants/${r.participant_id}`, { token: admin }), 200).json;
}

const post = (body, token = organizer) => api('POST', '/v1/participants', { token, body });
const get = (id, token = organizer) => api('GET', `/v1/participants/${id}`, { token });
const search = (query, token = organizer) => api('GET',
    `/v1/participants?${new URLSearchParams(query)}`, { token });

function expectNoStore(res, what) {
	assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control no-store`);
}

test('the national id helpers: check digits, and the JSON leak guard that api() applies', () => {
	// 1-1017-00230-70-?: 1*13 + 1*12 + 0*11 + 1*10 + 7*9 + 0*8 + 0*7 + 2*6 + 3*5
	// + 0*4 + 7*3 + 0*2 = 146; 146 mod 11 = 3; (11 - 3) mod 10 = 8.
	assert.equal(nationalIdCheckDigit('110170023070'), 8);
	assert.equal(nationalIdCheckDigit('352010012345'), 7);
	const nid = nationalId();
	assert.ok(isValidNationalId(nid));
	assert.ok(!isValidNationalId(badChecksum(nid)));
	assert.equal(maskedNationalId('1101700230705'), 'x-xxxx-xxxxx-70-5');
	assert.equal(dashedNationalId('1101700230705'), '1-1017-00230-70-5');
	// The guard catches a remembered id in either spelling, and any dashed id.
	assert.throws(() => assertNoClearNationalId('test', JSON.stringify({ a: `x${nid}` })), /in clear/);
	assert.throws(() => assertNoClearNationalId('test', JSON.stringify({ a: dashedNationalId(nid) })), /in clear/);
	assert.throws(() => assertNoClearNationalId('test', '{"a":"3-5201-00123-45-7"}'), /in clear/);
	assertNoClearNationalId('test', JSON.stringify({ a: maskedNationalId(nid), b: 'e0000000-0000-4000-8000-000000000001' }));
});

describe('POST /v1/participants', () => {
	test('an organizer records a person: 200, the id and what was sent, masked; stored with Thai names; no-store', async () => {
		const body = participantBody({ phone: '081-234-5678' });
		const res = expectStatus(await post(body), 200);
		expectNoStore(res, 'POST');
		assert.deepEqual(res.json, { id: res.json.id, display_name: `นางสาว${body.first_name} ใจงาม`,
		    national_id_masked: maskedNationalId(body.national_id), phone_masked: 'xxx-xxx-5678',
		    target_group: 'labour_volunteer' });
		assert.ok(!res.text.includes(body.national_id));
		// As stored (an admin reads everyone; phones masked unless revealed).
		const g = expectStatus(await get(res.json.id, admin), 200);
		assert.match(g.headers.get('etag'), ETAG_RE);
		const p = g.json;
		assert.equal(p.title_th, 'นางสาว');
		assert.equal(p.first_name, body.first_name);
		assert.equal(p.last_name, 'ใจงาม');
		assert.equal(p.display_name, `นางสาว${body.first_name} ใจงาม`);
		assert.equal(p.national_id_masked, maskedNationalId(body.national_id));
		assert.equal(p.national_id, null);
		assert.equal(p.phone, null);
		assert.equal(p.phone_masked, 'xxx-xxx-5678');
		assert.equal(p.province_name, 'ลำปาง');
		assert.equal(p.district_name, 'เมืองลำปาง');
		assert.equal(p.subdistrict_name, 'เวียงเหนือ');
		assert.equal(p.occupation, 'เกษตรกร');
		assert.equal(p.target_group, 'labour_volunteer');
		assert.equal(p.section40, true);
		assert.equal(p.pdpa_consent_at, body.pdpa_consent_at);
		assert.equal(p.pdpa_consent_version, '2562-1');
		assert.ok(!g.text.includes(body.national_id));
	});

	test('the database keeps a keyed hash and a ciphertext, never the number or the phone', async () => {
		const nid = nationalId();
		const phone = '0898765432';
		const p = expectStatus(await post(participantBody({ national_id: dashedNationalId(nid),
		    phone })), 200).json;
		const row = sql(`select length(national_id_hmac) || '|' || national_id_last3 || '|' ||
		    length(national_id_enc) || '|' || phone_last4 || '|' || length(phone_enc)
		    from participant where id = $1::uuid`, [p.id]).split('|');
		assert.equal(row[0], '32', 'HMAC-SHA-256: 32 bytes');
		assert.equal(row[1], nid.slice(10));
		assert.ok(Number(row[2]) >= 24 + 13 + 16, 'nonce + ciphertext + tag');
		assert.equal(row[3], '5432');
		assert.ok(Number(row[4]) >= 24 + 10 + 16);
		// The whole row as text holds neither the id nor the phone, in any spelling.
		const text = sql(`select t::text || encode(national_id_enc, 'escape') || encode(phone_enc, 'escape')
		    from participant t where id = $1::uuid`, [p.id]);
		for (const secret of [nid, dashedNationalId(nid), phone, nid.slice(0, 10)])
			assert.ok(!text.includes(secret), `row text does not contain ${secret.slice(0, 3)}...`);
		// Not a bare (unkeyed) hash of the number either.
		const hmac = sql("select encode(national_id_hmac, 'hex') from participant where id = $1::uuid", [p.id]);
		assert.notEqual(hmac, createHash('sha256').update(nid).digest('hex'));
		// Two people, two different ciphertexts (random nonces) and hashes.
		const q = expectStatus(await post(participantBody()), 200).json;
		assert.equal(sqlInt(`select count(distinct national_id_hmac) + count(distinct national_id_enc)
		    from participant where id in ($1::uuid, $2::uuid)`, [p.id, q.id]), 4);
	});

	test('the same national id again, in any spelling: the same id, what this caller sent, nothing changed', async () => {
		const nid = nationalId();
		const first = expectStatus(await post(participantBody({ national_id: nid })), 200).json;
		await dataUnchanged(async () => {
			for (const spelling of [nid, dashedNationalId(nid),
			    `${nid.slice(0, 1)} ${nid.slice(1, 5)} ${nid.slice(5, 10)} ${nid.slice(10, 12)} ${nid[12]}`]) {
				const res = expectStatus(await post(participantBody({ national_id: spelling,
				    first_name: 'ชื่ออื่น' })), 200, spelling);
				assert.equal(res.json.id, first.id);
				assert.equal(res.json.display_name, 'นางสาวชื่ออื่น ใจงาม');
			}
			expectProblem(await post(participantBody({ national_id: nid }), scanner), 403, 'forbidden',
			    'scanner');
		});
		assert.notEqual(sql('select first_name from participant where id = $1::uuid', [first.id]), 'ชื่ออื่น');
	});

	test('scanners record nobody and read nobody: 403, nothing stored', async () => {
		const p = await createParticipant();
		await dataUnchanged(async () => {
			const res = expectProblem(await post(participantBody(), scanner), 403, 'forbidden');
			expectNoStore(res, 'scanner POST');
			expectProblem(await get(p.id, scanner), 403, 'forbidden');
		});
	});

	test('minimal body: no phone, place, group or consent', async () => {
		const nid = nationalId();
		const id = expectStatus(await post({ first_name: 'บุญมี', last_name: 'คำแสน', national_id: nid }), 200)
		    .json.id;
		const p = expectStatus(await get(id, admin), 200).json;
		assert.equal(p.title_th, null);
		assert.equal(p.display_name, 'บุญมี คำแสน');
		assert.equal(p.phone, null);
		assert.equal(p.phone_masked, null);
		assert.equal(p.province_code, null);
		assert.equal(p.province_name, null);
		assert.equal(p.target_group, null);
		assert.equal(p.section40, false);
		assert.equal(p.pdpa_consent_at, null);
		assert.equal(p.pdpa_consent_version, null);
		assert.equal(p.national_id_masked, maskedNationalId(nid));
	});

	test('bad input: each field named with its code; nothing is stored', async () => {
		const nid = nationalId();
		const cases = [
		    [{ national_id: undefined }, 'national_id', 'required'],
		    [{ national_id: '' }, 'national_id', ['format', 'length']],
		    [{ national_id: '123' }, 'national_id', 'format'],
		    [{ national_id: badChecksum(nid) }, 'national_id', 'checksum'],
		    [{ national_id: dashedNationalId(badChecksum(nid)) }, 'national_id', 'checksum'],
		    [{ national_id: `${nid}0` }, 'national_id', 'format'],
		    [{ national_id: nid.slice(0, 12) }, 'national_id', 'format'],
		    [{ national_id: `${nid.slice(0, 12)}x` }, 'national_id', 'format'],
		    [{ national_id: '๑๒๓๔๕๖๗๘๙๐๑๒๓' }, 'national_id', 'format'],
		    [{ national_id: Number(nid) }, 'national_id', 'type'],
		    [{ phone: '12345' }, 'phone', 'format'],
		    [{ phone: '1812345678' }, 'phone', 'format'],
		    [{ phone: '08123456789' }, 'phone', 'format'],
		    [{ phone: '08-ABC-1234' }, 'phone', 'format'],
		    [{ first_name: undefined }, 'first_name', 'required'],
		    [{ first_name: '' }, 'first_name', 'length'],
		    [{ last_name: undefined }, 'last_name', 'required'],
		    [{ last_name: 'ก'.repeat(201) }, 'last_name', 'length'],
		    [{ title_th: 'ก'.repeat(51) }, 'title_th', 'length'],
		    [{ province_code: '99', district_code: null, subdistrict_code: null }, 'province_code', 'not_found'],
		    [{ province_code: 'ลป' }, 'province_code', 'format'],
		    [{ district_code: '5101', subdistrict_code: null }, 'district_code', 'mismatch'],
		    [{ district_code: '9999', subdistrict_code: null }, 'district_code', 'not_found'],
		    [{ subdistrict_code: '510106' }, 'subdistrict_code', 'mismatch'],
		    [{ subdistrict_code: '999999' }, 'subdistrict_code', 'not_found'],
		    [{ target_group: 'astronaut' }, 'target_group', 'not_found'],
		    [{ section40: 'ใช่' }, 'section40', 'type'],
		    [{ pdpa_consent_version: undefined }, 'pdpa_consent_version', 'required'],
		    [{ pdpa_consent_at: undefined }, 'pdpa_consent_at', 'required'],
		    [{ pdpa_consent_at: 'วันนี้' }, 'pdpa_consent_at', 'format'],
		    [{ national_id_hmac: 'ab' }, 'national_id_hmac', 'unknown'],
		    [{ email: 'x@example.org' }, 'email', 'unknown'],
		];
		await dataUnchanged(async () => {
			for (const [overrides, field, code] of cases) {
				const body = participantBody(overrides);
				for (const [k, v] of Object.entries(overrides)) {
					if (v === undefined)
						delete body[k];
				}
				expectFieldError(await post(body), field, code, JSON.stringify(overrides));
			}
		});
		// Nine digits starting with 0 is a landline: fine.
		expectStatus(await post(participantBody({ phone: '053 223 344' })), 200, 'landline');
	});

	test('roles: partners 403, anonymous 401; nothing stored', async () => {
		await dataUnchanged(async () => {
			expectProblem(await post(participantBody(), partner), 403, 'forbidden');
			expectUnauthorized(await post(participantBody(), null));
			expectUnauthorized(await post(participantBody(), 'x.y.z'), { invalidToken: true });
		});
	});
});

describe('GET /v1/participants/{id}', () => {
	test('admins and the registering agency\'s organizers read a participant; ETag; no-store; others 401/403/404', async () => {
		const p = await createParticipant();
		for (const token of [admin, organizer]) {
			const res = expectStatus(await get(p.id, token), 200);
			expectNoStore(res, 'GET');
			assert.match(res.headers.get('etag'), ETAG_RE);
			assert.equal(res.json.id, p.id);
			assert.equal(res.json.national_id_masked, p.national_id_masked);
		}
		expectProblem(await get(p.id, partner), 403, 'forbidden');
		expectProblem(await get(p.id, scanner), 403, 'forbidden');
		expectProblem(await get(p.id, phichitOrganizer), 404, 'not-found', 'not registered at Phichit\'s events');
		expectUnauthorized(await get(p.id, null));
		expectProblem(await get(newUuid()), 404, 'not-found');
		expectProblem(await get('not-a-uuid'), 404, 'not-found');
	});
});

describe('GET /v1/participants', () => {
	test('q finds by part of a Thai name, or by a whole national id (by its hash)', async () => {
		const tag = uniq('').slice(-6);
		const nid = nationalId();
		const a = await createParticipant({ first_name: `บัวคำ${tag}`, last_name: 'ปัญญาดี', national_id: nid });
		const b = await createParticipant({ first_name: `บัวผัน${tag}`, last_name: 'ทองดี' });
		const ids = async (q, token = organizer) => {
			const res = expectStatus(await search({ q, limit: '200' }, token), 200, q);
			expectNoStore(res, 'search');
			return res.json.items.map((x) => x.id);
		};
		assert.deepEqual((await ids(tag)).sort(), [a.id, b.id].sort());
		assert.deepEqual(await ids(`บัวคำ${tag}`), [a.id]);
		assert.deepEqual(await ids(`ผัน${tag} ทอง`), [b.id], 'across first and last name');
		assert.deepEqual(await ids(nid), [a.id], 'whole national id');
		assert.deepEqual(await ids(dashedNationalId(nid)), [a.id], 'dashed national id');
		assert.deepEqual(await ids(nid, admin), [a.id]);
		assert.deepEqual(await ids(badChecksum(nid)), [], 'a wrong number finds nobody');
		assert.deepEqual(await ids(nid.slice(0, 9)), [], 'part of a number is not a search by number');
		assert.ok(isValidNationalId(nid));
	});

	test('paginates by creation order; bad limit 422, bad cursor 400, empty q 422', async () => {
		const tag = uniq('').slice(-7);
		const made = [];
		for (let i = 0; i < 5; i++)
			made.push((await createParticipant({ last_name: `หน้า${tag}` })).id);
		const seen = [];
		let cursor = null;
		let pages = 0;
		do {
			const query = { q: `หน้า${tag}`, limit: '2' };
			if (cursor)
				query.cursor = cursor;
			const res = expectStatus(await search(query), 200);
			seen.push(...res.json.items.map((x) => x.id));
			cursor = res.json.next_cursor;
			pages++;
		} while (cursor && pages < 10);
		assert.deepEqual(seen, made);
		assert.equal(pages, 3);
		expectFieldError(await search({ limit: '0' }), 'limit');
		expectFieldError(await search({ limit: '201' }), 'limit');
		expectFieldError(await search({ q: '' }), 'q');
		expectProblem(await search({ cursor: 'nope' }), 400, 'bad-request');
	});

	test('only admins and organizers search: scanners and partners 403, anonymous 401', async () => {
		expectProblem(await search({ q: 'สม' }, scanner), 403, 'forbidden');
		expectProblem(await search({ q: 'สม' }, partner), 403, 'forbidden');
		expectUnauthorized(await search({ q: 'สม' }, null));
		expectStatus(await search({}, admin), 200);
	});
});

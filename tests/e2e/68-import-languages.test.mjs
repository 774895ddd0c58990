// Import row errors in Thai and English (issue 15, item 4): the errors of
// each row of a CSV import (checked in C: cells, national ids; and in SQL:
// places, target groups) and the refusals of a whole file are Thai by
// default and English with Accept-Language: en, with Content-Language and
// Vary; codes and columns do not change with the language.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectFieldError, sqlInt, openEvent, nationalId, badChecksum,
    phoneNumber, uniq } from './lib.mjs';

let organizer, event;
before(async () => {
	organizer = await tokenFor('organizer');
	({ event } = await openEvent({ capacity: 50, quotas: [] }));
});

const THAI = /[\u0E00-\u0E7F]/;
const HEADER = ['ชื่อ', 'นามสกุล', 'เลขประจำตัวประชาชน', 'โทรศัพท์', 'ตำบล', 'อำเภอ', 'จังหวัด',
    'กลุ่มเป้าหมาย'];

function row(o = {}) {
	const r = { first: `บัวคำ${uniq('').slice(-5)}`, last: 'ปัญญาดี', nid: nationalId(), phone: phoneNumber(),
	    sub: 'ริมปิง', dist: 'เมืองลำพูน', prov: 'ลำพูน', group: 'แรงงานนอกระบบ', ...o };
	return [r.first, r.last, r.nid, r.phone, r.sub, r.dist, r.prov, r.group];
}

const csv = (rows) => rows.map((r) => r.join(',')).join('\r\n') + '\r\n';

function importCsv(body, al, dryRun = true) {
	return api('POST', `/v1/events/${event.id}/registrations/import?dry_run=${dryRun}`, {
	    token: organizer, raw: body, timeout: 60000,
	    headers: { 'content-type': 'text/csv', ...(al === undefined ? {} : { 'accept-language': al }) } });
}

function lang(res, want) {
	assert.equal(res.headers.get('content-language'), want, 'Content-Language');
	assert.match(res.headers.get('vary') ?? '', /accept-language/i);
}

const registrations = () => sqlInt('select count(*) from registration where event_id = $1::uuid', [event.id]);

describe('row errors', () => {
	const file = csv([HEADER,
	    row({ first: '' }),
	    row({ nid: badChecksum(nationalId()) }),
	    row({ prov: 'จังหวัดที่ไม่มี', dist: '', sub: '' }),
	    row().slice(0, 3),
	    row()]);

	test('Thai by default, English when asked; the same codes, nothing stored', async () => {
		const before = registrations();
		const th = await importCsv(file);
		expectStatus(th, 200, 'import');
		lang(th, 'th');
		const en = await importCsv(file, 'en-US, th;q=0.3');
		expectStatus(en, 200, 'import');
		lang(en, 'en');
		const pick = (res, n) => res.json.rows.find((r) => r.row === n).errors;

		assert.deepEqual(pick(th, 1).map((e) => [e.column, e.code, e.message]),
		    [['first_name', 'required', 'ไม่ได้กรอกชื่อ']]);
		assert.deepEqual(pick(en, 1).map((e) => [e.column, e.code, e.message]),
		    [['first_name', 'required', 'The first name is missing.']]);
		assert.equal(pick(th, 2)[0].code, 'checksum');
		assert.equal(pick(th, 2)[0].message, 'เลขตรวจสอบไม่ตรงกัน: มีตัวเลขผิด');
		assert.equal(pick(en, 2)[0].message, 'The check digit does not match: a digit is wrong.');
		// Resolved in SQL.
		assert.deepEqual(pick(th, 3).map((e) => [e.column, e.code, e.message]),
		    [['province', 'not_found', 'ไม่พบจังหวัดที่มีชื่อหรือรหัสนี้']]);
		assert.equal(pick(en, 3)[0].message, 'No province has this name or code.');
		// Numbers filled into the message.
		assert.equal(pick(th, 4)[0].message, 'แถวนี้มี 3 ช่อง แต่แถวหัวตารางมี 8 ช่อง');
		assert.equal(pick(en, 4)[0].message, 'This row has 3 cells; the header has 8.');
		assert.deepEqual(pick(th, 5), []);

		for (const res of [th, en]) {
			assert.deepEqual(res.json.summary, { rows: 5, created: 1, already_registered: 0, waitlisted: 0,
			    failed: 4 });
			for (const r of res.json.rows) {
				for (const e of r.errors) {
					assert.equal(THAI.test(e.message), res === th, e.message);
					assert.equal(e.args, undefined);
				}
			}
		}
		assert.deepEqual(th.json.rows.map((r) => r.errors.map((e) => e.code)),
		    en.json.rows.map((r) => r.errors.map((e) => e.code)));
		assert.equal(registrations(), before, 'a dry run stores nothing');
	});
});

describe('a whole file refused', () => {
	test('an unknown column, and a file that is not text', async () => {
		const before = registrations();
		const file = csv([[...HEADER, 'สีโปรด'], [...row(), 'แดง']]);
		let res = await importCsv(file, undefined, false);
		lang(res, 'th');
		assert.equal(expectFieldError(res, 'สีโปรด', 'unknown').message, 'ระบบนำเข้าไม่รู้จักคอลัมน์นี้');
		res = await importCsv(file, 'en', false);
		lang(res, 'en');
		assert.equal(expectFieldError(res, 'สีโปรด', 'unknown').message, 'This column is not one the import knows.');

		const binary = Buffer.from('ชื่อ\u0000,นามสกุล\r\n', 'utf16le');
		res = await importCsv(binary, 'fr', false);
		lang(res, 'th');
		assert.match(expectFieldError(res, '', 'format').message, /^ไฟล์นี้ไม่ใช่ข้อความ.*"CSV UTF-8"$/);
		res = await importCsv(binary, 'en', false);
		assert.match(expectFieldError(res, '', 'format').message, /NUL bytes/);
		assert.equal(registrations(), before, 'nothing stored');
	});
});

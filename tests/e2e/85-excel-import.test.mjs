// Files from Thai Excel (issue 15, item 5). Thai Excel saves plain "CSV" in
// Windows-874 (TIS-620 and a few punctuation marks): the import tells it
// from UTF-8 by the bytes and converts it, and the Thai is stored exactly.
// UTF-8 with or without a byte order mark works as before. A file that is
// neither is refused whole, naming the line. A place name that is not an
// official one fails its row with the closest official names as
// suggestions, never applied. The Windows-874 bytes come from iconv, as a
// Thai Windows would write them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectFieldError, sql, sqlInt, openEvent, dataUnchanged,
    nationalId, phoneNumber, uniq } from './lib.mjs';

let organizer;
before(async () => {
	organizer = await tokenFor('organizer');
});

const TH_HEADER = ['คำนำหน้า', 'ชื่อ', 'นามสกุล', 'เลขประจำตัวประชาชน', 'โทรศัพท์', 'ตำบล', 'อำเภอ',
    'จังหวัด', 'กลุ่มเป้าหมาย', 'อาชีพ', 'ม.40'];

function cell(v) {
	const s = String(v ?? '');
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvText(rows) {
	return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

// UTF-8 text as Thai Excel's plain "CSV" writes it: Windows-874 bytes.
function cp874(text) {
	return execFileSync('iconv', ['-f', 'UTF-8', '-t', 'CP874'], { input: Buffer.from(text, 'utf8') });
}

function isUtf8(bytes) {
	try {
		new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		return true;
	} catch {
		return false;
	}
}

function importCsv(eventId, body, { dryRun, contentType = 'text/csv' } = {}) {
	const q = dryRun === undefined ? '' : `?dry_run=${dryRun}`;
	// In English: the tests read the messages (Thai is the default).
	return api('POST', `/v1/events/${eventId}/registrations/import${q}`, { token: organizer, raw: body,
	    headers: { 'content-type': contentType, 'accept-language': 'en' }, timeout: 60000 });
}

// A Lamphun row: title, first, last, id, phone, subdistrict, district, province, group, job, s40.
function row(overrides = {}) {
	const r = {
	    title: 'นาง', first: 'บัวคำ', last: 'ปัญญาดี', nid: nationalId(), phone: phoneNumber(),
	    sub: 'ริมปิง', dist: 'เมืองลำพูน', prov: 'ลำพูน', group: 'แรงงานนอกระบบ', job: 'เกษตรกร',
	    s40: 'ใช่', ...overrides,
	};
	return [r.title, r.first, r.last, r.nid, r.phone, r.sub, r.dist, r.prov, r.group, r.job, r.s40];
}

// Thai names with tone marks, vowels above and below, Thai digits, and
// Windows-874's own marks (curly quotes 0x93/0x94, en dash 0x96, baht 0xDF).
const PEOPLE = [
    { title: 'นางสาว', first: 'ฐิติพร', last: 'ศรีสุวรรณ์', job: 'ค้าขาย “ตลาดนัด” – ร้าน ๑๒' },
    { title: 'นาย', first: 'เฉลิมพล', last: 'ฤทธิ์ไกรเกรียงศักดิ์', job: 'รับจ้าง ๓๐๐฿/วัน' },
    { title: 'นาง', first: 'ญาณิศา', last: 'ปัญญาดี', job: 'ทอผ้าฝ้าย' },
];

function peopleRows() {
	return PEOPLE.map((p) => row({ ...p }));
}

// Status, body and the stored participant of each row, as the API and the
// database give them back.
async function storedPeople(out) {
	const got = [];
	for (const r of out.rows) {
		const reg = expectStatus(await api('GET', `/v1/registrations/${r.registration_id}`,
		    { token: organizer }), 200).json;
		const p = expectStatus(await api('GET', `/v1/participants/${reg.participant_id}`,
		    { token: organizer }), 200).json;
		const db = sql(`select encode(convert_to(coalesce(title_th, '') || '|' || first_name || '|' ||
		    last_name || '|' || coalesce(occupation, ''), 'UTF8'), 'hex') from participant
		    where id = $1::uuid`, [reg.participant_id]);
		got.push({ display: reg.participant.display_name, api: [p.title_th, p.first_name, p.last_name,
		    p.occupation, p.subdistrict_code].join('|'), db: Buffer.from(db, 'hex').toString('utf8') });
	}
	return got;
}

function expectPeople(got) {
	assert.deepEqual(got, PEOPLE.map((p) => ({
	    display: `${p.title}${p.first} ${p.last}`,
	    api: [p.title, p.first, p.last, p.job, '510106'].join('|'),
	    db: [p.title, p.first, p.last, p.job].join('|'),
	})));
}

function expectImport(res, { rows, created = 0, failed = 0 }) {
	expectStatus(res, 200, 'import');
	assert.deepEqual(res.json.summary, { rows, created, already_registered: 0, waitlisted: 0, failed },
	    JSON.stringify(res.json.rows.filter((r) => r.outcome === 'failed')).slice(0, 800));
	return res.json;
}

describe('import: files from Thai Excel', () => {
	test('a Windows-874 file (Thai Excel\'s plain "CSV") is read: the Thai names are stored exactly', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		// A no-break space (0xA0) around a cell, as pasted text brings, is trimmed.
		const rows = peopleRows();
		rows[2][8] = '\u00a0แรงงานนอกระบบ\u00a0';
		const body = cp874(csvText([TH_HEADER, ...rows]));
		assert.ok(!isUtf8(body), 'the test file is not UTF-8');
		assert.ok(body.includes(0x93) && body.includes(0x94) && body.includes(0x96) && body.includes(0xdf) &&
		    body.includes(0xa0), 'the test file has Windows-874\'s own marks');
		assert.ok(body.includes(Buffer.from([0xaa, 0xd7, 0xe8, 0xcd])), 'ชื่อ in TIS-620');
		const out = expectImport(await importCsv(event.id, body), { rows: 3, created: 3 });
		assert.deepEqual(out.rows.map((r) => [r.row, r.outcome, r.errors]),
		    [[1, 'created', []], [2, 'created', []], [3, 'created', []]]);
		expectPeople(await storedPeople(out));
		assert.equal(sql(`select string_agg(p.target_group || '/' || p.section40, ',' order by r.id)
		    from registration r join participant p on p.id = r.participant_id where r.event_id = $1::uuid`,
		    [event.id]), 'informal_worker/true,informal_worker/true,informal_worker/true');
	});

	test('the same file in UTF-8, with a byte order mark and without, stores the same', async () => {
		for (const bom of ['\uFEFF', '']) {
			const { event } = await openEvent({ capacity: 100, quotas: [] });
			const text = bom + csvText([TH_HEADER, ...peopleRows()]);
			for (const contentType of ['text/csv', 'text/csv; charset=utf-8']) {
				const body = Buffer.from(contentType === 'text/csv' ? text :
				    text.replace(/\d{13}/g, () => nationalId()), 'utf8');
				const out = expectImport(await importCsv(event.id, body, { contentType }),
				    { rows: 3, created: 3 });
				expectPeople(await storedPeople(out));
			}
		}
	});

	test('an unofficial place name fails its row with the closest official names; nothing of it is stored', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const tag = uniq('').slice(-6);
		const bad = (n) => `ผิด${tag}${n}`;
		const rows = [
		    row(),								// 1 good
		    row({ last: bad(2), sub: 'สันต้นธง' }),				// 2 the Lamphun list's
		    row({ last: bad(3), sub: 'ตำบลตนธง' }),				// 3 prefix, a tone mark missing
		    row({ last: bad(4), dist: 'อ.เมือง', sub: 'ต้นธง' }),		// 4 district
		    row({ last: bad(5), prov: 'ลำพูร' }),				// 5 province
		    row({ last: bad(6), prov: 'แอตแลนติส' }),			// 6 nothing close
		    row({ last: bad(7), sub: 'เวียงเหนือ' }),				// 7 another district's
		    row({ sub: 'ต้นธง' }),						// 8 good, the official name
		];
		const participants = sqlInt('select count(*) from participant');
		const dry = expectImport(await importCsv(event.id, cp874(csvText([TH_HEADER, ...rows])), { dryRun: true }),
		    { rows: 8, created: 2, failed: 6 });
		const out = expectImport(await importCsv(event.id, cp874(csvText([TH_HEADER, ...rows]))),
		    { rows: 8, created: 2, failed: 6 });
		assert.deepEqual(out.rows.map((r) => r.errors), dry.rows.map((r) => r.errors), 'a dry run says the same');

		const err = (n, column) => {
			const r = out.rows.find((x) => x.row === n);
			assert.equal(r.outcome, 'failed', `row ${n}`);
			assert.equal(r.registration_id, null);
			const e = r.errors.find((x) => x.column === column);
			assert.ok(e, `row ${n}: an error for ${column}: ${JSON.stringify(r.errors)}`);
			return e;
		};
		const e2 = err(2, 'subdistrict');
		assert.equal(e2.code, 'not_found');
		assert.deepEqual(e2.suggestions[0], { code: '510107', name: 'ต้นธง' });
		assert.deepEqual(err(3, 'subdistrict').suggestions[0], { code: '510107', name: 'ต้นธง' });
		const e4 = err(4, 'district');
		assert.equal(e4.code, 'not_found');
		assert.deepEqual(e4.suggestions[0], { code: '5101', name: 'เมืองลำพูน' });
		assert.deepEqual(err(5, 'province').suggestions, [{ code: '51', name: 'ลำพูน' }]);
		const e6 = err(6, 'province');
		assert.equal(e6.code, 'not_found');
		assert.deepEqual(e6.suggestions, []);
		const e7 = err(7, 'subdistrict');
		assert.equal(e7.code, 'mismatch');
		assert.ok(e7.suggestions.every((s) => /^5101[0-9]{2}$/.test(s.code)), 'only the district\'s own');
		for (const r of out.rows.filter((x) => x.outcome === 'failed')) {
			for (const e of r.errors) {
				assert.equal('suggestions' in e, ['province', 'district', 'subdistrict'].includes(e.column));
				assert.ok(e.suggestions === undefined || e.suggestions.length <= 3);
			}
		}

		// Never applied: the failed rows' people are not stored at all.
		assert.deepEqual(out.rows.filter((r) => r.outcome === 'created').map((r) => r.row), [1, 8]);
		assert.equal(sqlInt('select count(*) from participant'), participants + 2);
		assert.equal(sqlInt('select count(*) from participant where last_name like $1', [`ผิด${tag}%`]), 0);
		assert.equal(sqlInt('select count(*) from registration where event_id = $1::uuid', [event.id]), 2);
		assert.equal(sql(`select string_agg(p.subdistrict_code, ',' order by p.subdistrict_code)
		    from registration r join participant p on p.id = r.participant_id where r.event_id = $1::uuid`,
		    [event.id]), '510106,510107');
	});

	test('a file neither UTF-8 nor Windows-874 is refused whole with 422 naming the line; nothing stored', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const good = cp874(csvText([TH_HEADER, row(), row()]));
		const lines = good.toString('latin1').split('\r\n');
		// A byte Windows-874 leaves undefined, in line 3's first name.
		const withByte = (b) => Buffer.concat([Buffer.from(`${lines[0]}\r\n${lines[1]}\r\n`, 'latin1'),
		    Buffer.from([b]), Buffer.from(`${lines[2]}\r\n`, 'latin1')]);
		await dataUnchanged(async () => {
			for (const b of [0x81, 0x84, 0x86, 0x90, 0x98, 0x9f, 0xdb, 0xdc, 0xdd, 0xde, 0xfc, 0xfd, 0xfe, 0xff]) {
				const e = expectFieldError(await importCsv(event.id, withByte(b)), '', 'format',
				    `byte 0x${b.toString(16)}`);
				assert.match(e.message, /\bline 3\b/i, e.message);
				assert.match(e.message, /Windows-874/);
			}
			// A byte order mark says UTF-8: a Windows-874 line after it is damage.
			const mixed = Buffer.concat([Buffer.from(`\uFEFF${csvText([TH_HEADER, row()])}`, 'utf8'),
			    cp874(csvText([row()]))]);
			let e = expectFieldError(await importCsv(event.id, mixed), '', 'format', 'BOM, then Windows-874');
			assert.match(e.message, /UTF-8 but line 3\b/, e.message);
			// So is one broken character in a UTF-8 file without one.
			const utf8 = Buffer.from(csvText([TH_HEADER, row(), row()]), 'utf8');
			const cut = utf8.lastIndexOf(Buffer.from('ปัญญาดี', 'utf8'));
			const broken = Buffer.concat([utf8.subarray(0, cut + 2), utf8.subarray(cut + 3)]);
			e = expectFieldError(await importCsv(event.id, broken), '', 'format', 'UTF-8 cut short');
			assert.match(e.message, /UTF-8 but line 3\b/, e.message);
			// Excel's "Unicode Text" is UTF-16: NUL bytes.
			const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]),
			    Buffer.from(csvText([TH_HEADER, row()]), 'utf16le')]);
			e = expectFieldError(await importCsv(event.id, utf16), '', 'format', 'UTF-16');
			assert.match(e.message, /NUL/);
		});
		assert.equal(sqlInt('select count(*) from registration where event_id = $1::uuid', [event.id]), 0);
		// The file without the undefined byte is fine.
		expectImport(await importCsv(event.id, good), { rows: 2, created: 2 });
	});
});

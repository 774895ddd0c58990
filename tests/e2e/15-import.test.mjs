// CSV import of registrations (issue 3): Thai or English headers, a BOM or
// none, CRLF or LF, RFC 4180 quoting, places by Thai name or code, per-row
// outcomes with row numbers and column errors, one bad row never losing
// the good ones, dry runs changing nothing, re-uploads creating nothing,
// whole-file refusals (headers, encoding, size, media type) and roles.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectUnauthorized,
    sql, sqlInt, newUuid, createEvent, openEvent, createParticipant, otherOrganizer,
    dataUnchanged, nationalId, badChecksum, dashedNationalId, phoneNumber, uniq,
    PHICHIT_AGENCY } from './lib.mjs';

let admin, organizer, scanner, partner, phichitOrganizer;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
});

const TH_HEADER = ['คำนำหน้า', 'ชื่อ', 'นามสกุล', 'เลขประจำตัวประชาชน', 'โทรศัพท์', 'ตำบล', 'อำเภอ',
    'จังหวัด', 'กลุ่มเป้าหมาย', 'อาชีพ', 'ม.40'];

// RFC 4180: quote a cell when it holds a comma, a quote or a line break.
function cell(v) {
	const s = String(v ?? '');
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(rows, { bom = true, eol = '\r\n', trailing = true } = {}) {
	const text = rows.map((r) => r.map(cell).join(',')).join(eol) + (trailing ? eol : '');
	return (bom ? '\uFEFF' : '') + text;
}

function importCsv(eventId, body, { token = organizer, dryRun, contentType = 'text/csv; charset=utf-8' } = {}) {
	const q = dryRun === undefined ? '' : `?dry_run=${dryRun}`;
	return api('POST', `/v1/events/${eventId}/registrations/import${q}`, { token, raw: body,
	    headers: contentType === null ? {} : { 'content-type': contentType }, timeout: 60000 });
}

// A Lamphun row in Thai: title, first, last, id, phone, subdistrict, district, province, group, job, s40.
function thRow(overrides = {}) {
	const r = {
	    title: 'นาง', first: `บัวคำ${uniq('').slice(-5)}`, last: 'ปัญญาดี', nid: nationalId(),
	    phone: phoneNumber(), sub: 'ริมปิง', dist: 'เมืองลำพูน', prov: 'ลำพูน', group: 'แรงงานนอกระบบ',
	    job: 'เกษตรกร', s40: 'ใช่', ...overrides,
	};
	return [r.title, r.first, r.last, r.nid, r.phone, r.sub, r.dist, r.prov, r.group, r.job, r.s40];
}

function expectImport(res, { dryRun = false, rows, created = 0, already = 0, waitlisted = 0, failed = 0 }) {
	expectStatus(res, 200, 'import');
	assert.match(res.headers.get('cache-control') ?? '', /no-store/);
	assert.equal(res.json.dry_run, dryRun);
	assert.deepEqual(res.json.summary, { rows, created, already_registered: already, waitlisted, failed },
	    JSON.stringify(res.json.rows.filter((r) => r.outcome === 'failed')).slice(0, 600));
	assert.equal(res.json.rows.length, rows);
	return res.json;
}

describe('import: the happy paths', () => {
	test('Thai headers, BOM, CRLF, quoted cells, places by Thai name: every row registered', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const rows = [
		    thRow(),
		    // A comma and quotes inside cells; a line break inside a quoted cell.
		    thRow({ title: 'นาย', first: 'สมาน, จันทร์แก้ว', last: 'ทอง "ดี"', sub: 'ห้วยยาบ', dist: 'บ้านธิ',
			group: 'informal_worker', s40: 'no', job: 'ค้าขาย\r\nรับจ้างทั่วไป' }),
		    // Prefixed place names, codes, a dashed id and an English group name.
		    thRow({ nid: dashedNationalId(nationalId()), sub: 'ตำบลทากาศ', dist: 'อำเภอแม่ทา',
			prov: 'จังหวัดลำพูน', group: 'Labour volunteer', s40: '' }),
		    thRow({ sub: '510106', dist: '5101', prov: '51', group: 'community_leader', phone: '' }),
		];
		const res = await importCsv(event.id, csv([TH_HEADER, ...rows]));
		const out = expectImport(res, { rows: 4, created: 4 });
		assert.deepEqual(out.rows.map((r) => [r.row, r.outcome, r.errors.length]),
		    [[1, 'created', 0], [2, 'created', 0], [3, 'created', 0], [4, 'created', 0]]);
		for (const r of out.rows) {
			assert.equal(sql(`select status || '|' || source from registration where id = $1::uuid
			    and event_id = $2::uuid`, [r.registration_id, event.id]), 'confirmed|import');
		}
		// What was stored, byte for byte, with places resolved to codes.
		const stored = (i) => sql(`select p.title_th || '|' || p.first_name || '|' || p.last_name || '|' ||
		    coalesce(p.subdistrict_code, '-') || '|' || coalesce(p.district_code, '-') || '|' ||
		    coalesce(p.province_code, '-') || '|' || coalesce(p.target_group, '-') || '|' || p.section40 || '|' ||
		    p.pdpa_consent_version || '|' || coalesce(p.phone_last4, '-')
		    from participant p join registration r on r.participant_id = p.id where r.id = $1::uuid`,
		    [out.rows[i].registration_id]);
		assert.equal(stored(0), `นาง|${rows[0][1]}|ปัญญาดี|510106|5101|51|informal_worker|true|import|${rows[0][4].slice(-4)}`);
		assert.equal(stored(1), `นาย|สมาน, จันทร์แก้ว|ทอง "ดี"|510115|5107|51|informal_worker|false|import|${rows[1][4].slice(-4)}`);
		assert.equal(stored(2).split('|').slice(3, 8).join('|'), '510203|5102|51|labour_volunteer|false');
		assert.equal(stored(3).split('|').slice(3, 10).join('|'), '510106|5101|51|community_leader|true|import|-');
		assert.equal(sql(`select encode(convert_to(p.first_name, 'UTF8'), 'hex') from participant p
		    join registration r on r.participant_id = p.id where r.id = $1::uuid`, [out.rows[1].registration_id]),
		    Buffer.from('สมาน, จันทร์แก้ว').toString('hex'));
		assert.equal(sql(`select occupation from participant p join registration r on r.participant_id = p.id
		    where r.id = $1::uuid`, [out.rows[1].registration_id]).replace(/\r/g, ''), 'ค้าขาย\nรับจ้างทั่วไป');
		const p = sql(`select pdpa_consent_at is not null from participant p join registration r
		    on r.participant_id = p.id where r.id = $1::uuid`, [out.rows[0].registration_id]);
		assert.equal(p, 't', 'an import records consent collected on paper');
	});

	test('English headers in any case with spaces, LF, no BOM, codes; extra empty column ignored', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const header = [' First_Name ', 'LAST_NAME', 'National_ID', 'province', 'District', 'subdistrict',
		    'target_group', 'Section40', 'title', 'phone', 'occupation'];
		const nid = nationalId();
		const rows = [[`Somchai${uniq('').slice(-4)}`, 'ใจดี', nid, '52', '5201', '520101', 'general', 'TRUE', 'นาย',
		    '053 223 344', 'รับจ้าง']];
		const body = csv([header, ...rows], { bom: false, eol: '\n', trailing: false });
		const out = expectImport(await importCsv(event.id, body, { contentType: 'text/csv' }), { rows: 1, created: 1 });
		assert.equal(sql(`select p.province_code || p.district_code || p.subdistrict_code || '|' || p.section40
		    from participant p join registration r on r.participant_id = p.id where r.id = $1::uuid`,
		    [out.rows[0].registration_id]), '525201520101|true');
	});

	test('dry_run=true answers what would happen and changes nothing; the real run then matches', async () => {
		const { event } = await openEvent({ capacity: 2, quotas: [] });
		const body = csv([TH_HEADER, thRow(), thRow(), thRow(), thRow({ nid: badChecksum(nationalId()) })]);
		const dry = await dataUnchanged(async () => expectImport(await importCsv(event.id, body, { dryRun: true }),
		    { dryRun: true, rows: 4, created: 2, waitlisted: 1, failed: 1 }));
		for (const r of dry.rows.filter((x) => x.registration_id)) {
			assert.equal(sqlInt('select count(*) from registration where id = $1::uuid', [r.registration_id]), 0,
			    'a dry run keeps no registration');
		}
		assert.equal(sqlInt('select count(*) from registration where event_id = $1::uuid', [event.id]), 0);
		const real = expectImport(await importCsv(event.id, body, { dryRun: false }),
		    { rows: 4, created: 2, waitlisted: 1, failed: 1 });
		assert.deepEqual(real.rows.map((r) => r.outcome), dry.rows.map((r) => r.outcome));
		assert.deepEqual(real.rows.map((r) => r.errors), dry.rows.map((r) => r.errors));
		assert.equal(sql(`select string_agg(status, ',' order by created_at, id) from registration
		    where event_id = $1::uuid`, [event.id]).split(',').sort().join(','), 'confirmed,confirmed,waitlisted');
	});

	test('a re-upload of the same file creates nothing: already_registered with the same ids', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const body = csv([TH_HEADER, thRow(), thRow(), thRow()]);
		const first = expectImport(await importCsv(event.id, body), { rows: 3, created: 3 });
		const second = await dataUnchanged(async () => expectImport(await importCsv(event.id, body),
		    { rows: 3, already: 3 }));
		assert.deepEqual(second.rows.map((r) => r.registration_id), first.rows.map((r) => r.registration_id));
		assert.ok(second.rows.every((r) => r.outcome === 'already_registered' && r.errors.length === 0));
		// The same person twice in one file: the second row is already registered.
		const nid = nationalId();
		const twice = expectImport(await importCsv(event.id, csv([TH_HEADER, thRow({ nid }),
		    thRow({ nid: dashedNationalId(nid) })])), { rows: 2, created: 1, already: 1 });
		assert.equal(twice.rows[1].registration_id, twice.rows[0].registration_id);
	});

	test('people already known are reused; people registered through the API are already_registered', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		// Known to the registry, without consent, registered nowhere yet.
		const nidKnown = nationalId();
		const known = await createParticipant({ national_id: nidKnown, pdpa_consent_at: null,
		    pdpa_consent_version: null, target_group: 'health_staff' });
		// Registered at another Lampang event: Lampang reads them (issue 14).
		const nidOurs = nationalId();
		const { event: earlier } = await openEvent({ capacity: 10, quotas: [] });
		const ours = expectStatus(await api('POST', `/v1/events/${earlier.id}/registrations`, { token: organizer,
		    body: { participant: { first_name: 'เคย', last_name: 'มาแล้ว', national_id: nidOurs,
		    target_group: 'volunteer_mentor', pdpa_consent_at: '2026-01-01T09:00:00+07:00',
		    pdpa_consent_version: 'v1' } } }), 201).json;
		const nidReg = nationalId();
		const r = expectStatus(await api('POST', `/v1/events/${event.id}/registrations`, { token: organizer,
		    body: { participant: { first_name: 'ลงทะเบียน', last_name: 'ก่อนแล้ว', national_id: nidReg,
		    target_group: 'general', pdpa_consent_at: '2026-01-01T09:00:00+07:00',
		    pdpa_consent_version: 'v1' } } }), 201).json;
		// The person's own group for an empty cell only when the agency reads
		// them already; otherwise the row says so, as for a new person.
		const dry = expectImport(await importCsv(event.id, csv([TH_HEADER, thRow({ nid: nidKnown, group: '' }),
		    thRow({ group: '' })]), { dryRun: true }), { dryRun: true, rows: 2, failed: 2 });
		assert.deepEqual(dry.rows.map((x) => x.errors.map((e) => e.column + ':' + e.code)),
		    [['target_group:required'], ['target_group:required']]);
		const before = sqlInt('select count(*) from participant');
		const out = expectImport(await importCsv(event.id, csv([TH_HEADER,
		    thRow({ nid: nidOurs, group: '' }), thRow({ nid: nidKnown, group: 'health_staff' }),
		    thRow({ nid: nidReg })])), { rows: 3, created: 2, already: 1 });
		assert.equal(sqlInt('select count(*) from participant'), before, 'no new participant');
		assert.equal(sql('select participant_id || target_group from registration where id = $1::uuid',
		    [out.rows[0].registration_id]), `${ours.participant_id}volunteer_mentor`,
		    'the person\'s own group when the cell is empty');
		assert.equal(sql('select participant_id::text from registration where id = $1::uuid',
		    [out.rows[1].registration_id]), known.id);
		assert.equal(out.rows[2].registration_id, r.id);
		assert.equal(sql('select pdpa_consent_version from participant where id = $1::uuid', [known.id]), 'import');
	});
});

describe('import: bad rows and bad files', () => {
	test('one bad row never loses the good ones; each error names its row and column', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const good = [thRow(), thRow(), thRow()];
		const lines = [
		    TH_HEADER,
		    good[0],							// 1
		    thRow({ nid: badChecksum(nationalId()) }),			// 2 checksum
		    thRow({ nid: '12345' }),					// 3 format
		    thRow({ phone: '12-34' }),					// 4 phone
		    thRow({ first: '' }),					// 5 first name missing
		    thRow({ prov: 'แอตแลนติส' }),				// 6 unknown province
		    thRow({ dist: 'เมืองลำปาง' }),				// 7 district of another province
		    thRow({ sub: 'เวียงเหนือ' }),				// 8 subdistrict of another district
		    thRow({ group: 'นักบินอวกาศ' }),				// 9 unknown group
		    thRow({ s40: 'บางที' }),					// 10 section40
		    good[1],							// 11
		    thRow().slice(0, 5),					// 12 too few cells
		    thRow({ nid: '' }),						// 13 id missing
		    good[2],							// 14
		];
		const out = expectImport(await importCsv(event.id, csv(lines)), { rows: 14, created: 3, failed: 11 });
		const byRow = Object.fromEntries(out.rows.map((r) => [r.row, r]));
		const expectErr = (row, column, code) => {
			const r = byRow[row];
			assert.equal(r.outcome, 'failed', `row ${row}`);
			assert.equal(r.registration_id, null);
			assert.ok(r.errors.some((e) => e.column === column && e.code === code),
			    `row ${row}: expected ${column}/${code}, got ${JSON.stringify(r.errors)}`);
		};
		expectErr(2, 'national_id', 'checksum');
		expectErr(3, 'national_id', 'format');
		expectErr(4, 'phone', 'format');
		expectErr(5, 'first_name', 'required');
		expectErr(6, 'province', 'not_found');
		expectErr(7, 'district', 'mismatch');
		expectErr(8, 'subdistrict', 'mismatch');
		expectErr(9, 'target_group', 'not_found');
		expectErr(10, 'section40', 'format');
		expectErr(12, '', 'format');
		expectErr(13, 'national_id', 'required');
		for (const row of [1, 11, 14]) {
			assert.equal(byRow[row].outcome, 'created', `row ${row}`);
			assert.deepEqual(byRow[row].errors, []);
		}
		assert.equal(sqlInt('select count(*) from registration where event_id = $1::uuid', [event.id]), 3);
		assert.deepEqual(sql(`select string_agg(r.id::text, ',' order by r.id) from registration r
		    where r.event_id = $1::uuid`, [event.id]).split(','),
		    [1, 11, 14].map((n) => byRow[n].registration_id).sort());
	});

	test('row numbers count the spreadsheet\'s rows: blank lines are skipped but counted', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const body = `\uFEFF${TH_HEADER.join(',')}\r\n${thRow().map(cell).join(',')}\r\n\r\n` +
		    `${thRow({ nid: '1' }).map(cell).join(',')}\r\n`;
		const out = expectImport(await importCsv(event.id, body), { rows: 2, created: 1, failed: 1 });
		assert.deepEqual(out.rows.map((r) => [r.row, r.outcome]), [[1, 'created'], [3, 'failed']]);
	});

	test('an unterminated quote fails its row, not the file', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const body = `${TH_HEADER.join(',')}\n${thRow().map(cell).join(',')}\n` +
		    `นาย,"สมชาย,ใจดี,${nationalId()},,,,,,,\n`;
		const out = expectImport(await importCsv(event.id, body), { rows: 2, created: 1, failed: 1 });
		assert.equal(out.rows[1].outcome, 'failed');
		assert.equal(out.rows[1].errors[0].column, '');
		assert.equal(out.rows[1].errors[0].code, 'format');
	});

	test('headers: an unknown, a repeated or a missing required column refuses the whole file', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const row = thRow();
		await dataUnchanged(async () => {
			expectFieldError(await importCsv(event.id, csv([[...TH_HEADER, 'อีเมล'], [...row, 'a@b.c']])),
			    'อีเมล', 'unknown');
			expectFieldError(await importCsv(event.id, csv([[...TH_HEADER, 'first_name'], [...row, 'x']])),
			    /^(first_name|ชื่อ)$/, 'duplicate');
			const noId = TH_HEADER.filter((h) => h !== 'เลขประจำตัวประชาชน');
			expectFieldError(await importCsv(event.id, csv([noId, row.filter((_c, i) => i !== 3)])),
			    /^(national_id|เลขประจำตัวประชาชน)$/, 'required');
			expectFieldError(await importCsv(event.id, csv([['first_name', 'last_name'], ['ก', 'ข']])),
			    /^(national_id|เลขประจำตัวประชาชน)$/, 'required');
			expectFieldError(await importCsv(event.id, ''), '', undefined, 'an empty file');
			expectFieldError(await importCsv(event.id, '\uFEFF'), '', undefined, 'only a BOM');
		});
	});

	test('neither UTF-8 nor Windows-874 (TIS-620 is read: 85-excel-import) is 422; nothing stored', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		// "ชื่อ" in TIS-620 is 0xAA 0xD7 0xE8 0xCD; 0xFF is in no Thai encoding.
		const tis = Buffer.concat([Buffer.from('first_name,last_name,national_id\r\n'),
		    Buffer.from([0xaa, 0xd7, 0xe8, 0xcd, 0xff]), Buffer.from(`,x,${nationalId()}\r\n`)]);
		await dataUnchanged(async () => {
			expectFieldError(await importCsv(event.id, tis), '', 'format');
		});
	});

	test('more than 5000 data rows is 413; exactly the body type text/csv is accepted (415 otherwise)', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const line = `ก,ข,${'1'.repeat(13)}\n`;
		const big = `first_name,last_name,national_id\n${line.repeat(5001)}`;
		await dataUnchanged(async () => {
			expectProblem(await importCsv(event.id, big), 413, 'payload-too-large');
			const body = csv([TH_HEADER, thRow()]);
			for (const ct of ['application/json', 'text/plain', 'application/vnd.ms-excel',
			    'multipart/form-data; boundary=x', 'text/csvx'])
				expectProblem(await importCsv(event.id, body, { contentType: ct }), 415, 'unsupported-media-type', ct);
			expectProblem(await importCsv(event.id, Buffer.from(body), { contentType: null }), 415,
			    'unsupported-media-type', 'no content type');
			expectFieldError(await importCsv(event.id, body, { dryRun: 'maybe' }), 'dry_run');
		});
	});

	test('only staff of a published event import; drafts and cancelled events are 409 event-not-open', async () => {
		const { event } = await openEvent({ capacity: 100, quotas: [] });
		const { event: draft } = await createEvent();
		const { event: gone } = await openEvent();
		expectStatus(await api('POST', `/v1/events/${gone.id}/cancel`, { token: organizer }), 200);
		const body = csv([TH_HEADER, thRow()]);
		await dataUnchanged(async () => {
			expectUnauthorized(await importCsv(event.id, body, { token: null }));
			expectProblem(await importCsv(event.id, body, { token: scanner }), 403, 'forbidden', 'scanner');
			expectProblem(await importCsv(event.id, body, { token: partner }), 403, 'forbidden', 'partner');
			expectProblem(await importCsv(event.id, body, { token: phichitOrganizer }), 403, 'forbidden',
			    'another agency, published');
			expectProblem(await importCsv(draft.id, body, { token: phichitOrganizer }), 404, 'not-found',
			    'another agency, draft');
			expectProblem(await importCsv(draft.id, body), 409, 'event-not-open', 'draft');
			expectProblem(await importCsv(gone.id, body), 409, 'event-not-open', 'cancelled');
			expectProblem(await importCsv(newUuid(), body), 404, 'not-found');
		});
		expectImport(await importCsv(event.id, body, { token: admin }), { rows: 1, created: 1 });
	});
});

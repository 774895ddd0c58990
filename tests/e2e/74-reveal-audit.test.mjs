// National ids and phones masked by default, revealed only on purpose
// (issue 14, item 5). registrations.csv and participant reads show masks
// to everyone; `?reveal=national_id,phone&purpose=...` gives clear values
// to admins and organizers of the organising agency (not co-organisers),
// and every reveal served is written to the audit in the same statement
// as the read: who, when, which event or person, how many rows, the
// fields and the purpose. Admins read it at GET /v1/audit?kind=reveal.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, sql, sqlInt, participantBody,
    openEvent, otherOrganizer, parseCsv, maskedNationalId, dashedNationalId, nationalId, dataUnchanged,
    DEMO, LAMPHUN_AGENCY, PHICHIT_AGENCY } from './lib.mjs';

const PURPOSE = 'จ่ายค่าพาหนะผู้เข้าร่วมอบรม (travel allowance)';
const FAIL_PURPOSE = 'ทดสอบบันทึกการเปิดเผยล้มเหลว';

let admin, organizer, scanner, partner, phichit, lamphun;
let event, people, regs, participantIds;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phichit = await otherOrganizer(PHICHIT_AGENCY);	// co-organiser below
	lamphun = await otherOrganizer(LAMPHUN_AGENCY);	// unrelated
	event = (await openEvent({ capacity: 5, quotas: [], co_organizer_ids: [PHICHIT_AGENCY] })).event;
	people = [
	    participantBody({ phone: '0811111111' }),
	    participantBody({ national_id: dashedNationalId(nationalId()), phone: '053-223-344' }),
	    participantBody({ phone: null }),
	];
	regs = [];
	for (const p of people) {
		regs.push(expectStatus(await api('POST', `/v1/events/${event.id}/registrations`,
		    { token: organizer, body: { participant: p } }), 201).json);
	}
	participantIds = regs.map((r) => r.participant_id);
});

after(() => {
	sql('drop trigger if exists reveal_audit_fails on partner_audit');
	sql('drop function if exists test_reveal_audit_fails()');
});

const digits = (s) => s.replace(/[^0-9]/g, '');
const exportCsv = (token, query) => api('GET', `/v1/events/${event.id}/registrations.csv${query ?
    `?${new URLSearchParams(query)}` : ''}`, { token });
const getP = (id, token, query) => api('GET', `/v1/participants/${id}${query ?
    `?${new URLSearchParams(query)}` : ''}`, { token });
const lastAudit = () => sqlInt('select coalesce(max(id), 0) from partner_audit');
const reveals = () => sqlInt('select count(*) from partner_audit a where to_jsonb(a)->>\'kind\' = \'reveal\'');

function rowsOf(res) {
	expectStatus(res, 200, 'export');
	const rows = parseCsv(res.text.slice(1));
	const header = rows[0];
	return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

function assertMasked(rows, what) {
	assert.deepEqual(rows.map((r) => r.national_id),
	    people.map((p) => maskedNationalId(digits(p.national_id))), `${what}: national ids masked`);
	assert.deepEqual(rows.map((r) => r.phone), ['xxx-xxx-1111', 'xxx-xxx-3344', ''], `${what}: phones masked`);
}

describe('masked by default', () => {
	test('registrations.csv: masks for the organising agency, admins and co-organisers alike; nothing audited', async () => {
		const n = reveals();
		for (const [what, token] of [['organizer', organizer], ['admin', admin], ['co-organiser', phichit]]) {
			const res = await exportCsv(token);
			assertMasked(rowsOf(res), what);
			for (const p of people)
				assert.ok(!res.text.includes(digits(p.national_id)), `${what}: no clear national id`);
		}
		assert.equal(reveals(), n, 'a masked export is no reveal');
	});

	test('participant reads: phone and national id null, masks shown, to everyone', async () => {
		for (const token of [organizer, admin, phichit]) {
			const p = expectStatus(await getP(participantIds[0], token), 200).json;
			assert.equal(p.phone, null);
			assert.equal(p.national_id, null);
			assert.equal(p.phone_masked, 'xxx-xxx-1111');
			assert.equal(p.national_id_masked, maskedNationalId(people[0].national_id));
		}
		const list = expectStatus(await api('GET', `/v1/participants?q=${encodeURIComponent(people[0].first_name)}`,
		    { token: organizer }), 200).json.items;
		assert.deepEqual(list.map((p) => [p.id, p.phone, p.national_id]), [[participantIds[0], null, null]]);
	});
});

describe('asking for a reveal', () => {
	test('a reveal needs known fields and a purpose: 422 naming the parameter, nothing audited', async () => {
		const cases = [
		    [{ reveal: 'national_id,phone' }, 'purpose', 'required'],
		    [{ reveal: 'phone', purpose: '' }, 'purpose', 'length'],
		    [{ reveal: 'phone', purpose: 'ดูๆ' }, 'purpose', 'length'],
		    [{ reveal: 'phone', purpose: 'ก'.repeat(201) }, 'purpose', 'length'],
		    [{ reveal: 'phone', purpose: 'ตรวจสอบ\u0007ระบบ' }, 'purpose', 'format'],
		    [{ reveal: 'phone', purpose: `ตรวจสอบ ${digits(people[0].national_id)}` }, 'purpose', 'personal_data'],
		    [{ reveal: 'phone', purpose: 'โทรหา 0811111111 ด่วน' }, 'purpose', 'personal_data'],
		    [{ reveal: '', purpose: PURPOSE }, 'reveal', 'enum'],
		    [{ reveal: 'email', purpose: PURPOSE }, 'reveal', 'enum'],
		    [{ reveal: 'phone,phone', purpose: PURPOSE }, 'reveal', 'duplicate'],
		    [{ reveal: 'national_id,', purpose: PURPOSE }, 'reveal', 'enum'],
		    [{ purpose: PURPOSE }, 'purpose', 'unexpected'],
		];
		const n = reveals();
		await dataUnchanged(async () => {
			for (const [query, field, code] of cases) {
				const what = JSON.stringify(query);
				expectFieldError(await exportCsv(organizer, query), field, code, `export ${what}`);
				expectFieldError(await getP(participantIds[0], organizer, query), field, code,
				    `participant ${what}`);
			}
			// Lists never reveal.
			expectFieldError(await api('GET', `/v1/participants?${new URLSearchParams({ reveal: 'phone',
			    purpose: PURPOSE })}`, { token: organizer }), 'reveal', 'unsupported');
		});
		assert.equal(reveals(), n);
	});

	test('co-organisers, other agencies, scanners and partners are refused; nothing audited', async () => {
		const q = { reveal: 'national_id,phone', purpose: PURPOSE };
		const n = reveals();
		await dataUnchanged(async () => {
			for (const [what, token, status] of [['co-organiser', phichit, 403], ['other agency', lamphun, 403],
			    ['scanner', scanner, 403], ['partner', partner, 403]]) {
				const res = expectProblem(await exportCsv(token, q), status,
				    status === 403 ? 'forbidden' : 'not-found', `export, ${what}`);
				assert.ok(!res.text.includes(digits(people[0].national_id)));
			}
			// The co-organiser reads the person, masked, but may not reveal.
			expectProblem(await getP(participantIds[0], phichit, q), 403, 'forbidden', 'co-organiser');
			expectProblem(await getP(participantIds[0], lamphun, q), 404, 'not-found', 'other agency');
			expectProblem(await getP(participantIds[0], scanner, q), 403, 'forbidden', 'scanner');
			expectProblem(await getP(participantIds[0], partner, q), 403, 'forbidden', 'partner');
		});
		assert.equal(reveals(), n);
	});
});

describe('a reveal served is a reveal audited', () => {
	test('the organising agency reveals the export: clear values, and one audit entry with the rows and the purpose', async () => {
		const t0 = sql('select api.ts(now() - interval \'1 second\')');
		const last = lastAudit();
		const rows = rowsOf(await exportCsv(organizer, { reveal: 'national_id,phone', purpose: PURPOSE }));
		assert.deepEqual(rows.map((r) => r.national_id), people.map((p) => digits(p.national_id)));
		assert.deepEqual(rows.map((r) => r.phone), ['0811111111', '053223344', '']);

		// Only what was asked: the phone alone.
		const phones = rowsOf(await exportCsv(organizer, { reveal: 'phone', purpose: 'โทรแจ้งเลื่อนวันอบรม' }));
		assert.deepEqual(phones.map((r) => r.phone), ['0811111111', '053223344', '']);
		assert.deepEqual(phones.map((r) => r.national_id), people.map((p) => maskedNationalId(digits(p.national_id))));

		const res = expectStatus(await api('GET', `/v1/audit?${new URLSearchParams({ kind: 'reveal',
		    client: DEMO.organizer.id, from: t0 })}`, { token: admin }), 200);
		const mine = res.json.items.filter((e) => e.id > last);
		assert.ok(mine.every((e) => e.event_id === event.id));
		assert.equal(mine.length, 2);
		assert.deepEqual(mine[0], { ...mine[0], kind: 'reveal', actor_id: DEMO.organizer.id, actor_kind: 'user',
		    route: '/v1/events/{id}/registrations.csv', status: 200, rows: 3, participant_id: null,
		    fields: ['national_id', 'phone'], purpose: PURPOSE });
		assert.deepEqual([mine[1].fields, mine[1].purpose, mine[1].rows], [['phone'], 'โทรแจ้งเลื่อนวันอบรม', 3]);
		assert.match(mine[0].at, /\+07:00$/);
	});

	test('a single participant read: the national id in clear, audited with the person and one row', async () => {
		const t0 = sql('select api.ts(now() - interval \'1 second\')');
		const last = lastAudit();
		const res = expectStatus(await getP(participantIds[1], organizer, { reveal: 'national_id',
		    purpose: PURPOSE }), 200);
		assert.match(res.headers.get('cache-control') ?? '', /no-store/);
		assert.equal(res.json.national_id, digits(people[1].national_id));
		assert.equal(res.json.phone, null, 'the phone was not asked for');
		const both = expectStatus(await getP(participantIds[0], admin, { reveal: 'phone,national_id',
		    purpose: PURPOSE }), 200).json;
		assert.deepEqual([both.national_id, both.phone], [digits(people[0].national_id), '0811111111']);

		const entries = expectStatus(await api('GET', `/v1/audit?${new URLSearchParams({ kind: 'reveal',
		    from: t0 })}`, { token: admin }), 200).json.items.filter((e) => e.id > last);
		assert.deepEqual(entries.map((e) => [e.actor_id, e.route, e.participant_id, e.event_id, e.rows, e.fields,
		    e.purpose]), [
		    [DEMO.organizer.id, '/v1/participants/{id}', participantIds[1], null, 1, ['national_id'], PURPOSE],
		    [DEMO.admin.id, '/v1/participants/{id}', participantIds[0], null, 1, ['national_id', 'phone'], PURPOSE],
		]);
	});

	test('the audit filters by kind; partner reads and reveals share it', async () => {
		const all = expectStatus(await api('GET', '/v1/audit?kind=reveal&limit=200', { token: admin }), 200)
		    .json.items;
		assert.ok(all.length >= 4 && all.every((e) => e.kind === 'reveal' && e.purpose && e.fields.length));
		expectStatus(await api('GET', '/v1/stats/attendance', { token: partner }), 200);
		const reads = expectStatus(await api('GET', `/v1/audit?kind=partner_read&client=${DEMO.partner.id}`,
		    { token: admin }), 200).json.items;
		assert.ok(reads.length >= 1 && reads.every((e) => e.kind === 'partner_read' && e.purpose === null &&
		    e.fields === null && e.event_id === null && e.participant_id === null));
		const mixed = expectStatus(await api('GET', '/v1/audit?limit=200', { token: admin }), 200).json.items;
		assert.ok(mixed.length > 0);
		expectFieldError(await api('GET', '/v1/audit?kind=everything', { token: admin }), 'kind', 'enum');
		expectProblem(await api('GET', '/v1/audit?kind=reveal', { token: organizer }), 403, 'forbidden');
	});

	test('a reveal that cannot be audited is not served', async () => {
		sql(`create function test_reveal_audit_fails() returns trigger language plpgsql as $f$
		    begin
			if new.purpose = '${FAIL_PURPOSE}' then
				raise exception 'audit refused';
			end if;
			return new;
		    end $f$`);
		sql(`create trigger reveal_audit_fails before insert on partner_audit
		    for each row execute function test_reveal_audit_fails()`);
		try {
			const n = reveals();
			for (const res of [await exportCsv(organizer, { reveal: 'national_id,phone', purpose: FAIL_PURPOSE }),
			    await getP(participantIds[0], organizer, { reveal: 'national_id,phone', purpose: FAIL_PURPOSE })]) {
				assert.ok(res.status >= 500, `${res.status} ${res.text.slice(0, 200)}`);
				assert.ok(!res.text.includes(digits(people[0].national_id)) && !res.text.includes('0811111111'));
			}
			assert.equal(reveals(), n);
		} finally {
			sql('drop trigger if exists reveal_audit_fails on partner_audit');
			sql('drop function if exists test_reveal_audit_fails()');
		}
		// Audited again, served again.
		expectStatus(await exportCsv(organizer, { reveal: 'phone', purpose: PURPOSE }), 200);
	});
});

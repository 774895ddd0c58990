// Agencies: list (filters, keyset pagination), get with ETag, create
// (admin only) with validation; failed writes leave the database as it was.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, expectBadQuery, createAgency,
    sql, sqlInt, unchanged, uniq, newUuid, LAMPANG_AGENCY, ETAG_RE } from './lib.mjs';

let admin;
before(async () => {
	admin = await tokenFor('admin');
});

const post = (body, token = admin) => api('POST', '/v1/agencies', { token, body });

test('any signed-in role lists agencies', async () => {
	for (const who of ['admin', 'organizer', 'scanner', 'partner']) {
		const res = await api('GET', '/v1/agencies', { token: await tokenFor(who) });
		expectStatus(res, 200, who);
		assert.ok(res.json.items.length >= 7, `${who} sees the demo agencies`);
		assert.ok('next_cursor' in res.json);
	}
});

test('GET /v1/agencies/{id} answers the agency with an ETag and resolved province name', async () => {
	const res = expectStatus(await api('GET', `/v1/agencies/${LAMPANG_AGENCY}`,
	    { token: await tokenFor('scanner') }), 200);
	assert.equal(res.json.id, LAMPANG_AGENCY);
	assert.equal(res.json.name, 'สำนักงานแรงงานจังหวัดลำปาง');
	assert.equal(res.json.kind, 'ministry_office');
	assert.equal(res.json.province_code, '52');
	assert.equal(res.json.province_name, 'ลำปาง');
	assert.match(res.headers.get('etag'), ETAG_RE);
	const civil = expectStatus(await api('GET', '/v1/agencies/a0000000-0000-4000-8000-000000000006',
	    { token: admin }), 200);
	assert.equal(civil.json.province_code, null);
	assert.equal(civil.json.province_name, null);
});

test('unknown or malformed agency ids are 404 problem+json', async () => {
	for (const id of [newUuid(), 'not-a-uuid', '12345', 'a0000000-0000-4000-8000-00000000000Z',
	    "a0000000-0000-4000-8000-000000000001'--"]) {
		expectProblem(await api('GET', `/v1/agencies/${encodeURIComponent(id)}`, { token: admin }),
		    404, 'not-found', id);
	}
});

test('admin creates an agency: 201, Location, ETag, Thai name stored byte for byte', async () => {
	const name = `สำนักงานแรงงานจังหวัดลำปาง สาขา ${uniq('')} — ทดสอบ “อักขระ” ๑๒๓`;
	const res = await post({ name, kind: 'ministry_office', province_code: '52' });
	expectStatus(res, 201);
	const a = res.json;
	assert.equal(a.name, name);
	assert.equal(a.kind, 'ministry_office');
	assert.equal(a.province_code, '52');
	assert.equal(a.province_name, 'ลำปาง');
	assert.equal(res.headers.get('location'), `/v1/agencies/${a.id}`);
	assert.match(res.headers.get('etag'), ETAG_RE);
	assert.equal(sql('select name from agency where id = $1::uuid', [a.id]), name);
	assert.equal(sql("select encode(convert_to(name, 'UTF8'), 'hex') from agency where id = $1::uuid", [a.id]),
	    Buffer.from(name, 'utf8').toString('hex'));
	const got = expectStatus(await api('GET', res.headers.get('location'),
	    { token: await tokenFor('partner') }), 200);
	assert.deepEqual(got.json, a);
	assert.equal(got.headers.get('etag'), res.headers.get('etag'), 'the same body, the same tag');

	// Without a province, and with an explicit null.
	const b = expectStatus(await post({ name: 'ศูนย์ทดสอบไม่มีจังหวัด', kind: 'civil_society' }), 201).json;
	assert.equal(b.province_code, null);
	const c = expectStatus(await post({ name: 'มูลนิธิทดสอบ', kind: 'partner_foundation',
	    province_code: null }), 201).json;
	assert.equal(c.province_code, null);
	for (const kind of ['local_government', 'other'])
		expectStatus(await post({ name: `อปท. ${kind}`, kind }), 201, kind);
	// 300 characters is the limit (Thai characters count as one each).
	expectStatus(await post({ name: 'ก'.repeat(300), kind: 'other' }), 201, '300 chars');
});

test('only admins create agencies: 403 for other roles, nothing stored', async () => {
	for (const who of ['organizer', 'scanner', 'partner']) {
		await unchanged(async () => {
			const res = await post({ name: 'ไม่ควรถูกสร้าง', kind: 'other' }, await tokenFor(who));
			expectProblem(res, 403, 'forbidden', who);
		}, ['agency']);
	}
	assert.equal(sqlInt("select count(*) from agency where name = 'ไม่ควรถูกสร้าง'"), 0);
});

test('agency validation: each bad field named, nothing stored', async () => {
	const cases = [
	    [{ kind: 'other' }, 'name', 'required'],
	    [{ name: 'x' }, 'kind', 'required'],
	    [{ name: '', kind: 'other' }, 'name', 'length'],
	    [{ name: 'ก'.repeat(301), kind: 'other' }, 'name', 'length'],
	    [{ name: 42, kind: 'other' }, 'name', 'type'],
	    [{ name: ['x'], kind: 'other' }, 'name', 'type'],
	    [{ name: 'x', kind: 'ministry' }, 'kind', 'enum'],
	    [{ name: 'x', kind: 1 }, 'kind', 'type'],
	    [{ name: 'x', kind: 'other', province_code: 52 }, 'province_code', 'type'],
	    [{ name: 'x', kind: 'other', province_code: '99' }, 'province_code', 'not_found'],
	    [{ name: 'x', kind: 'other', province_code: 'ลำปาง' }, 'province_code', ['format', 'length', 'not_found']],
	    [{ name: 'x', kind: 'other', website: 'https://example.org' }, 'website', 'unknown'],
	    [{ name: 'x', kind: 'other', id: newUuid() }, 'id', 'unknown'],
	];
	for (const [body, field, code] of cases) {
		await unchanged(async () => {
			expectFieldError(await post(body), field, code, JSON.stringify(body).slice(0, 80));
		}, ['agency']);
	}
	// Several problems at once are all named.
	const res = await post({ name: 7, kind: 'nope', extra: true });
	expectFieldError(res, 'name', 'type');
	expectFieldError(res, 'kind', 'enum');
	expectFieldError(res, 'extra', 'unknown');
});

test('agency filters: kind and province', async () => {
	const token = await tokenFor('organizer');
	const mine = await createAgency({ name: 'องค์การบริหารส่วนตำบลทดสอบ', kind: 'local_government',
	    province_code: '56' });
	let res = expectStatus(await api('GET', '/v1/agencies?kind=local_government&limit=200', { token }), 200);
	assert.ok(res.json.items.length > 0);
	assert.ok(res.json.items.every((a) => a.kind === 'local_government'));
	assert.ok(res.json.items.some((a) => a.id === mine.id));
	res = expectStatus(await api('GET', '/v1/agencies?province=56&limit=200', { token }), 200);
	assert.ok(res.json.items.every((a) => a.province_code === '56'));
	assert.ok(res.json.items.some((a) => a.id === mine.id));
	assert.ok(res.json.items.some((a) => a.id === 'a0000000-0000-4000-8000-000000000005'));
	res = expectStatus(await api('GET', '/v1/agencies?province=56&kind=ministry_office', { token }), 200);
	assert.ok(res.json.items.every((a) => a.province_code === '56' && a.kind === 'ministry_office'));
	assert.ok(res.json.items.some((a) => a.id === 'a0000000-0000-4000-8000-000000000005'));
	assert.ok(!res.json.items.some((a) => a.id === mine.id), 'the local government one is filtered out');
	res = expectStatus(await api('GET', `/v1/agencies?province=${encodeURIComponent('96')}&kind=other`, { token }), 200);
	assert.ok(res.json.items.every((a) => a.province_code === '96' && a.kind === 'other'));
});

test('agency pagination: limit/cursor walk sees every agency once, in order', async () => {
	for (let i = 0; i < 5; i++)
		await createAgency({ name: `หน่วยงานหน้า ${i}` });
	const total = sqlInt('select count(*) from agency');
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const q = `/v1/agencies?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
		const res = expectStatus(await api('GET', q, { token: admin }), 200);
		assert.ok(res.json.items.length <= 3);
		if (res.json.next_cursor)
			assert.equal(res.json.items.length, 3, 'only the last page is short');
		seen.push(...res.json.items.map((a) => a.id));
		cursor = res.json.next_cursor;
		assert.ok(++pages < 1000, 'pagination ends');
	} while (cursor);
	assert.equal(new Set(seen).size, seen.length, 'no agency appears twice');
	assert.equal(seen.length, total, 'every agency appears');
	const expected = sql('select id from agency order by created_at, id').split('\n');
	assert.deepEqual(seen, expected, 'ordered by creation time, then id');

	// Default page size is 50; 200 is allowed.
	const all = expectStatus(await api('GET', '/v1/agencies', { token: admin }), 200);
	assert.equal(all.json.items.length, Math.min(50, total));
	expectStatus(await api('GET', '/v1/agencies?limit=200', { token: admin }), 200);
	expectStatus(await api('GET', '/v1/agencies?limit=1', { token: admin }), 200);
});

test('agency pagination is stable under inserts', async () => {
	const first = expectStatus(await api('GET', '/v1/agencies?limit=2', { token: admin }), 200).json;
	const added = await createAgency({ name: 'แทรกระหว่างหน้า' });
	const rest = [];
	let cursor = first.next_cursor;
	while (cursor) {
		const res = expectStatus(await api('GET',
		    `/v1/agencies?limit=50&cursor=${encodeURIComponent(cursor)}`, { token: admin }), 200);
		rest.push(...res.json.items.map((a) => a.id));
		cursor = res.json.next_cursor;
	}
	const ids = [...first.items.map((a) => a.id), ...rest];
	assert.equal(new Set(ids).size, ids.length, 'no repeats after an insert');
	assert.equal(ids.at(-1), added.id, 'the new agency comes last');
});

test('bad limit is 422 naming limit; bad cursor is 400 bad-request', async () => {
	for (const limit of ['0', '201', '-1', 'abc', '1.5', '1e2', '50x', '99999999999999999999']) {
		expectFieldError(await api('GET', `/v1/agencies?limit=${encodeURIComponent(limit)}`,
		    { token: admin }), 'limit', undefined, `limit=${limit}`);
	}
	for (const cursor of ['garbage', 'x', '!!!', Buffer.from('123:not-a-uuid').toString('base64url'),
	    Buffer.from('hello').toString('base64url'), 'ก'.repeat(10), 'A'.repeat(500)]) {
		expectProblem(await api('GET', `/v1/agencies?cursor=${encodeURIComponent(cursor)}`,
		    { token: admin }), 400, 'bad-request', `cursor=${cursor}`);
	}
});

test('bad filter values are refused naming the filter (400 or 422)', async () => {
	expectBadQuery(await api('GET', '/v1/agencies?kind=ministry', { token: admin }), 'kind');
	expectBadQuery(await api('GET', '/v1/agencies?province=5', { token: admin }), 'province');
	expectBadQuery(await api('GET', '/v1/agencies?province=xx', { token: admin }), 'province');
});

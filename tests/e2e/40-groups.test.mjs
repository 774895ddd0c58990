// Vocational groups (issue 5): create with places resolved to Thai names,
// phones sealed (clear to staff, masked to others), who may write (province
// of the organizer's agency), PATCH with If-Match, list filters and paging,
// bad input leaving the database unchanged.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, sql, sqlInt,
    otherOrganizer, uniq, ETAG_RE, etagOf } from './lib.mjs';

const PHAYAO_AGENCY = 'a0000000-0000-4000-8000-000000000005';
let admin, lampang, phayao, scanner, partner;
before(async () => {
	admin = await tokenFor('admin');
	lampang = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phayao = await otherOrganizer(PHAYAO_AGENCY);
});

const groupBody = (o = {}) => ({ name: uniq('กลุ่มทอผ้าบ้านทดสอบ'), category: 'textiles',
    province_code: '56', district_code: '5601', subdistrict_code: '560101',
    contact: { name: 'นางสมศรี ทดสอบ', phone: '081-234-5678' }, members_count: 12,
    is_community_enterprise: true, ...o });
const groups = () => sqlInt('select count(*) from vocational_group');

test('the demo Phayao groups are there, public, with Thai place names', async () => {
	const res = expectStatus(await api('GET', '/v1/groups?province=56&limit=200'), 200);
	const names = res.json.items.map((g) => g.name);
	for (const n of ['กลุ่มเย็บผ้าและถักโคเชต์นิตติ้ง', 'กลุ่มวิสาหกิจผลิตภัณฑ์บัวกว๊านพะเยา',
	    'กลุ่มหัตถกรรมล้านนาสันปูเลย', 'กลุ่มผ้าพื้นเมืองกัญยานี', 'กลุ่มจักสานกล่องข้าว',
	    'กลุ่มผักปลอดสาร', 'กลุ่มเดคูพาจ', 'กลุ่มผลิตจานใบไม้'])
		assert.ok(names.includes(n), n);
	const bua = res.json.items.find((g) => g.name.includes('บัวกว๊าน'));
	assert.equal(bua.is_community_enterprise, true);
	assert.equal(bua.province_name, 'พะเยา');
	assert.equal(bua.can_manage, false);
	const cats = expectStatus(await api('GET', '/v1/group-categories'), 200);
	assert.deepEqual(cats.json.items.map((c) => c.code).sort(),
	    ['agriculture', 'food', 'handicraft', 'household', 'other', 'textiles']);
});

test('an organizer of the province creates a group; the phone is sealed', async () => {
	const res = expectStatus(await api('POST', '/v1/groups', { token: phayao, body: groupBody() }), 201);
	const g = res.json;
	assert.match(res.headers.get('etag'), ETAG_RE);
	assert.equal(res.headers.get('location'), `/v1/groups/${g.id}`);
	assert.equal(g.province_name, 'พะเยา');
	assert.equal(g.district_name, 'เมืองพะเยา');
	assert.equal(g.subdistrict_name, 'เวียง');
	assert.equal(g.agency_id, PHAYAO_AGENCY);
	assert.equal(g.contact.phone, '0812345678');
	assert.equal(g.contact.phone_masked, 'xxx-xxx-5678');
	assert.equal(g.can_manage, true);
	// Stored sealed: no clear phone in the row.
	const row = sql('select phone_last4 || \'|\' || encode(phone_enc, \'hex\') from vocational_group where id = $1', [g.id]);
	assert.ok(row.startsWith('5678|'));
	assert.ok(!row.includes(Buffer.from('0812345678').toString('hex')));
	// The public and partners see it masked; admins and organizers clear.
	for (const t of [undefined, partner, scanner]) {
		const r = expectStatus(await api('GET', `/v1/groups/${g.id}`, { token: t }), 200);
		assert.equal(r.json.contact.phone, null);
		assert.equal(r.json.contact.phone_masked, 'xxx-xxx-5678');
	}
	for (const t of [admin, lampang]) {
		const r = expectStatus(await api('GET', `/v1/groups/${g.id}`, { token: t }), 200);
		assert.equal(r.json.contact.phone, '0812345678');
	}
});

test('who may write: other provinces 403, scanners/partners 403, anonymous 401', async () => {
	const before = groups();
	expectProblem(await api('POST', '/v1/groups', { token: lampang, body: groupBody() }), 403, 'forbidden');
	expectProblem(await api('POST', '/v1/groups', { token: scanner, body: groupBody() }), 403, 'forbidden');
	expectProblem(await api('POST', '/v1/groups', { token: partner, body: groupBody() }), 403, 'forbidden');
	expectStatus(await api('POST', '/v1/groups', { body: groupBody() }), 401);
	assert.equal(groups(), before);
	// Lampang's organizer manages Lampang groups.
	expectStatus(await api('POST', '/v1/groups', { token: lampang,
	    body: groupBody({ province_code: '52', district_code: null, subdistrict_code: null }) }), 201);
	const g = expectStatus(await api('POST', '/v1/groups', { token: admin, body: groupBody() }), 201).json;
	const r = await api('PATCH', `/v1/groups/${g.id}`, { token: lampang, body: { members_count: 3 },
	    headers: { 'If-Match': await etagOf(`/v1/groups/${g.id}`, lampang) } });
	expectProblem(r, 403, 'forbidden');
	assert.equal(sqlInt('select members_count from vocational_group where id = $1', [g.id]), 12);
});

test('bad input is 422 and changes nothing', async () => {
	const before = groups();
	const cases = [
		[{ category: 'jewellery' }, 'category'],
		[{ province_code: '99' }, 'province_code'],
		[{ district_code: '5201' }, 'district_code'],
		[{ subdistrict_code: '520101', district_code: '5601' }, 'subdistrict_code'],
		[{ contact: { phone: '12345' } }, 'contact.phone'],
		[{ members_count: -1 }, 'members_count'],
		[{ members_count: 1.5 }, 'members_count'],
		[{ name: '' }, 'name'],
	];
	for (const [o, field] of cases) {
		const res = await api('POST', '/v1/groups', { token: phayao, body: groupBody(o) });
		expectStatus(res, 422, JSON.stringify(o));
		assert.ok(res.json.errors.some((e) => e.field === field), `${field}: ${res.text}`);
	}
	assert.equal(groups(), before);
});

test('PATCH needs If-Match; changes move the version', async () => {
	const g = expectStatus(await api('POST', '/v1/groups', { token: phayao, body: groupBody() }), 201).json;
	expectProblem(await api('PATCH', `/v1/groups/${g.id}`, { token: phayao, body: { members_count: 40 } }),
	    428, 'precondition-required');
	expectProblem(await api('PATCH', `/v1/groups/${g.id}`, { token: phayao, body: { members_count: 40 },
	    headers: { 'If-Match': '"7"' } }), 412, 'precondition-failed');
	const tag = await etagOf(`/v1/groups/${g.id}`, phayao);
	expectProblem(await api('PATCH', `/v1/groups/${g.id}`, { token: phayao, body: { members_count: 40 },
	    headers: { 'If-Match': `W/${tag}` } }), 412, 'precondition-failed');
	const res = expectStatus(await api('PATCH', `/v1/groups/${g.id}`, { token: phayao,
	    body: { members_count: 40, category: 'handicraft', contact: null },
	    headers: { 'If-Match': tag } }), 200);
	assert.match(res.headers.get('etag'), ETAG_RE);
	assert.notEqual(res.headers.get('etag'), tag);
	assert.equal(sqlInt('select version from vocational_group where id = $1', [g.id]), 2);
	assert.equal(res.json.members_count, 40);
	assert.equal(res.json.category, 'handicraft');
	assert.equal(res.json.contact.phone_masked, null);
	expectFieldError(await api('PATCH', `/v1/groups/${g.id}`, { token: phayao,
	    body: { district_code: '5201' }, headers: { 'If-Match': res.headers.get('etag') } }), 'district_code',
	    'mismatch');
	expectStatus(await api('GET', '/v1/groups/00000000-0000-4000-8000-000000000000'), 404);
});

test('list filters and keyset paging', async () => {
	const q = uniq('กลุ่มค้นหา');
	for (let i = 0; i < 3; i++)
		expectStatus(await api('POST', '/v1/groups', { token: admin,
		    body: groupBody({ name: `${q}ที่${i}`, category: 'food' }) }), 201);
	let res = expectStatus(await api('GET', `/v1/groups?${new URLSearchParams({ q })}`), 200);
	assert.equal(res.json.items.length, 3);
	res = expectStatus(await api('GET', `/v1/groups?${new URLSearchParams({ q, limit: 2 })}`), 200);
	assert.equal(res.json.items.length, 2);
	assert.ok(res.json.next_cursor);
	const p2 = expectStatus(await api('GET', `/v1/groups?${new URLSearchParams({ q, limit: 2,
	    cursor: res.json.next_cursor })}`), 200);
	assert.equal(p2.json.items.length, 1);
	assert.equal(p2.json.next_cursor, null);
	res = expectStatus(await api('GET', `/v1/groups?${new URLSearchParams({ q, category: 'textiles' })}`), 200);
	assert.equal(res.json.items.length, 0);
	res = expectStatus(await api('GET', '/v1/groups?category=agriculture&province=56'), 200);
	assert.ok(res.json.items.some((g) => g.name === 'กลุ่มผักปลอดสาร'));
	expectStatus(await api('GET', '/v1/groups?province=5'), 422);
	expectStatus(await api('GET', '/v1/groups?category=BAD'), 422);
	expectStatus(await api('GET', '/v1/groups?cursor=nope'), 400);
});

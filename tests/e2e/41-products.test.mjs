// Products and the catalogue (issue 5): integer satang (negative, fractional
// or quoted prices are 422 and change nothing), soft delete, who may write,
// Thai substring search over name, description and group name, price bounds
// at their edges, sorts with keyset paging, products at events.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, sqlInt, otherOrganizer, uniq, ETAG_RE, etagOf } from './lib.mjs';

const PHAYAO_AGENCY = 'a0000000-0000-4000-8000-000000000005';
const PHAYAO_EVENT = 'e0000000-0000-4000-8000-000000000004';
let admin, lampang, phayao, scanner, partner, group;
before(async () => {
	admin = await tokenFor('admin');
	lampang = await tokenFor('organizer');
	scanner = await tokenFor('scanner');
	partner = await tokenFor('partner');
	phayao = await otherOrganizer(PHAYAO_AGENCY);
	group = expectStatus(await api('POST', '/v1/groups', { token: phayao, body: {
	    name: uniq('กลุ่มทดสอบสินค้า'), category: 'food', province_code: '56' } }), 201).json;
});

const products = () => sqlInt('select count(*) from product');
const create = (body, token = phayao, g = group.id) =>
    api('POST', `/v1/groups/${g}/products`, { token, body });
const catalogue = (q) => api('GET', `/v1/products?${new URLSearchParams(q)}`);

test('create, get, patch and delete a product; prices are satang', async () => {
	const res = expectStatus(await create({ name: 'น้ำพริกตาแดง', description: 'น้ำพริกสูตรโบราณ',
	    price_satang: 4500, unit: 'กระปุก', tags: ['อาหาร', 'ของฝาก'] }), 201);
	const p = res.json;
	assert.equal(p.price_satang, 4500);
	assert.equal(p.currency, 'THB');
	assert.equal(p.availability, 'in_stock');
	assert.equal(p.group.name, group.name);
	assert.equal(p.group.province_name, 'พะเยา');
	assert.equal(res.headers.get('location'), `/v1/products/${p.id}`);
	expectStatus(await api('GET', `/v1/products/${p.id}`), 200);
	const g = expectStatus(await api('GET', `/v1/groups/${group.id}/products`), 200);
	assert.ok(g.json.items.some((x) => x.id === p.id));
	expectStatus(await api('PATCH', `/v1/products/${p.id}`, { token: phayao, body: { price_satang: 1 } }), 428);
	const up = expectStatus(await api('PATCH', `/v1/products/${p.id}`, { token: phayao,
	    body: { price_satang: 0, availability: 'made_to_order' },
	    headers: { 'If-Match': res.headers.get('etag') } }), 200);
	assert.equal(up.json.price_satang, 0);
	assert.match(up.headers.get('etag'), ETAG_RE);
	assert.equal(up.headers.get('etag'), await etagOf(`/v1/products/${p.id}`, phayao));
	expectProblem(await api('DELETE', `/v1/products/${p.id}`, { token: lampang }), 403, 'forbidden');
	expectStatus(await api('DELETE', `/v1/products/${p.id}`, { token: phayao }), 204);
	assert.equal(sqlInt('select count(*) from product where id = $1 and deleted_at is not null', [p.id]), 1);
	expectStatus(await api('GET', `/v1/products/${p.id}`), 404);
	expectStatus(await api('GET', `/v1/products/${p.id}`, { token: partner }), 404);
	const staff = expectStatus(await api('GET', `/v1/products/${p.id}`, { token: phayao }), 200);
	assert.ok(staff.json.deleted_at);
	const after = expectStatus(await api('GET', `/v1/groups/${group.id}/products`), 200);
	assert.ok(!after.json.items.some((x) => x.id === p.id));
	expectProblem(await api('PATCH', `/v1/products/${p.id}`, { token: phayao, body: { price_satang: 5 },
	    headers: { 'If-Match': staff.headers.get('etag') } }), 409, 'conflict');
});

test('bad prices and bad input are 422; other roles 403; nothing changes', async () => {
	const before = products();
	for (const price of [-1, 12.5, '100', null, 1e11]) {
		const res = await create({ name: 'ผ้าทอ', price_satang: price, unit: 'ผืน' });
		expectStatus(res, 422, String(price));
		assert.equal(res.json.errors[0].field, 'price_satang');
	}
	expectStatus(await create({ name: 'ผ้าทอ', price_satang: 100, unit: '' }), 422);
	expectStatus(await create({ name: 'ผ้าทอ', price_satang: 100, unit: 'ผืน', availability: 'sold' }), 422);
	expectStatus(await create({ name: 'ผ้าทอ', price_satang: 100, unit: 'ผืน', tags: ['a', 'a'] }), 422);
	for (const t of [lampang, scanner, partner])
		expectProblem(await create({ name: 'ผ้าทอ', price_satang: 100, unit: 'ผืน' }, t), 403, 'forbidden');
	expectStatus(await create({ name: 'ผ้าทอ', price_satang: 100, unit: 'ผืน' }, null), 401);
	assert.equal(products(), before);
});

test('catalogue: Thai search in the description and the group name', async () => {
	const word = uniq('ใยกล้วยพิเศษ');
	const p = expectStatus(await create({ name: 'กระเป๋าสาน', price_satang: 30000, unit: 'ใบ',
	    description: `กระเป๋าสานจาก${word}ย้อมสีธรรมชาติ` }), 201).json;
	let res = expectStatus(await catalogue({ q: word }), 200);
	assert.deepEqual(res.json.items.map((x) => x.id), [p.id]);
	res = expectStatus(await catalogue({ q: group.name }), 200);
	assert.ok(res.json.items.some((x) => x.id === p.id));
	res = expectStatus(await catalogue({ q: 'ก้านบัว' }), 200);
	assert.ok(res.json.items.some((x) => x.name === 'ผ้าพันคอใยก้านบัว'));
	assert.ok(res.json.items.every((x) => x.group.province_code === '56'));
	res = expectStatus(await catalogue({ q: 'ไม่มีสินค้านี้แน่นอน' }), 200);
	assert.equal(res.json.items.length, 0);
});

test('catalogue: price bounds are inclusive, one satang outside is out', async () => {
	const g = expectStatus(await api('POST', '/v1/groups', { token: admin, body: {
	    name: uniq('กลุ่มราคา'), category: 'other', province_code: '52' } }), 201).json;
	for (const price of [9999, 10000, 20000, 20001])
		expectStatus(await create({ name: `สินค้า ${price}`, price_satang: price, unit: 'ชิ้น' },
		    admin, g.id), 201);
	const prices = async (q) => expectStatus(await catalogue({ group: g.id, sort: 'price_asc', ...q }),
	    200).json.items.map((x) => x.price_satang);
	assert.deepEqual(await prices({ min_price_satang: 10000, max_price_satang: 20000 }), [10000, 20000]);
	assert.deepEqual(await prices({ min_price_satang: 10001, max_price_satang: 19999 }), []);
	assert.deepEqual(await prices({ min_price_satang: 9999 }), [9999, 10000, 20000, 20001]);
	assert.deepEqual(await prices({ max_price_satang: 9999 }), [9999]);
	for (const bad of ['-1', '1.5', 'abc', ''])
		expectStatus(await catalogue({ min_price_satang: bad }), 422, bad);
	expectStatus(await catalogue({ max_price_satang: '10.00' }), 422);
	// Sorts and paging by price, both ways.
	let r = expectStatus(await catalogue({ group: g.id, sort: 'price_desc', limit: 3 }), 200);
	assert.deepEqual(r.json.items.map((x) => x.price_satang), [20001, 20000, 10000]);
	r = expectStatus(await catalogue({ group: g.id, sort: 'price_desc', limit: 3,
	    cursor: r.json.next_cursor }), 200);
	assert.deepEqual(r.json.items.map((x) => x.price_satang), [9999]);
	r = expectStatus(await catalogue({ group: g.id, sort: 'price_asc', limit: 2 }), 200);
	const c = r.json.next_cursor;
	r = expectStatus(await catalogue({ group: g.id, sort: 'price_asc', limit: 2, cursor: c }), 200);
	assert.deepEqual(r.json.items.map((x) => x.price_satang), [20000, 20001]);
	expectStatus(await catalogue({ group: g.id, sort: 'newest', cursor: c }), 400);
	r = expectStatus(await catalogue({ group: g.id, limit: 3 }), 200);
	assert.deepEqual(r.json.items.map((x) => x.price_satang), [20001, 20000, 10000]);
	r = expectStatus(await catalogue({ group: g.id, limit: 3, cursor: r.json.next_cursor }), 200);
	assert.deepEqual(r.json.items.map((x) => x.price_satang), [9999]);
	expectStatus(await catalogue({ sort: 'cheapest' }), 422);
	r = expectStatus(await catalogue({ category: 'other', province: '52', group: g.id }), 200);
	assert.equal(r.json.items.length, 4);
	r = expectStatus(await catalogue({ category: 'food', group: g.id }), 200);
	assert.equal(r.json.items.length, 0);
});

test('products at events: demo stalls, PUT/DELETE by the event staff only', async () => {
	let r = expectStatus(await api('GET', `/v1/events/${PHAYAO_EVENT}/products`), 200);
	assert.ok(r.json.items.length >= 14);
	assert.ok(r.json.items.some((x) => x.name === 'จานใบตองตึง'));
	r = expectStatus(await catalogue({ event: PHAYAO_EVENT, q: 'บัว' }), 200);
	assert.ok(r.json.items.length >= 2);
	const p = expectStatus(await create({ name: 'ข้าวแต๋น', price_satang: 5000, unit: 'ถุง' }), 201).json;
	const path = `/v1/events/${PHAYAO_EVENT}/products/${p.id}`;
	const links = () => sqlInt('select count(*) from event_product where product_id = $1', [p.id]);
	for (const t of [lampang, scanner, partner])
		expectStatus(await api('PUT', path, { token: t }), 403);
	expectStatus(await api('PUT', path), 401);
	assert.equal(links(), 0);
	expectStatus(await api('PUT', path, { token: phayao }), 204);
	expectStatus(await api('PUT', path, { token: admin }), 204);
	assert.equal(links(), 1);
	r = expectStatus(await catalogue({ event: PHAYAO_EVENT, q: 'ข้าวแต๋น' }), 200);
	assert.deepEqual(r.json.items.map((x) => x.id), [p.id]);
	expectStatus(await api('DELETE', path, { token: lampang }), 403);
	expectStatus(await api('DELETE', path, { token: phayao }), 204);
	expectStatus(await api('DELETE', path, { token: phayao }), 404);
	assert.equal(links(), 0);
	expectStatus(await api('PUT', `/v1/events/${PHAYAO_EVENT}/products/00000000-0000-4000-8000-000000000000`,
	    { token: admin }), 404);
});

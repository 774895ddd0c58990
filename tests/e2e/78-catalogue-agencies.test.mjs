// Issue 14, item 4: groups, products, their images and event stalls are
// written by the owning agency (and admins) only. An organiser of another
// agency in the same province used to rename, move and empty another
// agency's group; each such write is now 403 with a problem and leaves
// the catalogue tables as they were. Moving a group to another agency is
// for admins. A product goes on an event's stall when both sides agree:
// the caller's agency owns the product and organises or co-organises the
// event; either side (the event's organising agency, the product's owner)
// may take it off again.

import assert from 'node:assert/strict';
import { deflateSync, crc32 } from 'node:zlib';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, openEvent, otherOrganizer, sql, sqlInt,
    uniq } from './lib.mjs';

// Two agencies of the same province (Phayao, 56).
const OWNER_AGENCY = 'a0000000-0000-4000-8000-000000000005';
const OTHER_AGENCY = 'a0000000-0000-4000-8000-000000000010';
const PHAYAO_VENUE = { name: 'หอประชุมจังหวัดพะเยา', room: 'ห้องประชุมใหญ่', province_code: '56',
    district_code: '5601', subdistrict_code: '560101' };

let admin, owner, other, group, product, ownerEvent, otherEvent, jointEvent;

function png() {
	const chunk = (type, data) => {
		const len = Buffer.alloc(4);
		len.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
		const crc = Buffer.alloc(4);
		crc.writeUInt32BE(crc32(body) >>> 0);
		return Buffer.concat([len, body, crc]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(2, 0);
	ihdr.writeUInt32BE(2, 4);
	ihdr.set([8, 0, 0, 0, 0], 8);
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
	    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([0, 9, 9, 0, 9, 9]))),
	    chunk('IEND', Buffer.alloc(0))]);
}

// Every row of the catalogue tables, to show a refused write changed nothing.
const catalogue = () => sql(`select
    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '')
	from vocational_group t) || '|' ||
    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from product t) || '|' ||
    (select count(*) || ':' || coalesce(md5(string_agg(t.product_id || '/' || t.position || '/' ||
	encode(t.sha256, 'hex'), ',' order by t.product_id, t.position)), '') from product_image t) || '|' ||
    (select count(*) || ':' || coalesce(md5(string_agg(t.event_id || '/' || t.product_id, ','
	order by t.event_id, t.product_id)), '') from event_product t)`);

async function refused(res, msg) {
	expectProblem(await res, 403, 'forbidden', msg);
}

const etagOf = async (path, token) =>
    expectStatus(await api('GET', path, { token }), 200).headers.get('etag');

before(async () => {
	admin = await tokenFor('admin');
	owner = await otherOrganizer(OWNER_AGENCY);
	other = await otherOrganizer(OTHER_AGENCY);
	group = expectStatus(await api('POST', '/v1/groups', { token: owner, body: {
	    name: uniq('กลุ่มทอผ้าเจ้าของ'), category: 'textiles', province_code: '56' } }), 201).json;
	assert.equal(group.agency_id, OWNER_AGENCY);
	product = expectStatus(await api('POST', `/v1/groups/${group.id}/products`, { token: owner,
	    body: { name: 'ผ้าซิ่นลายน้ำไหล', price_satang: 120000, unit: 'ผืน' } }), 201).json;
	expectStatus(await api('POST', `/v1/products/${product.id}/images`, { token: owner, raw: png(),
	    headers: { 'content-type': 'image/png' } }), 201);
	ownerEvent = (await openEvent({ venue: PHAYAO_VENUE, quotas: [] }, owner)).event;
	otherEvent = (await openEvent({ venue: PHAYAO_VENUE, quotas: [] }, other)).event;
	// Organised by the other agency, co-organised by the owner's.
	jointEvent = (await openEvent({ venue: PHAYAO_VENUE, quotas: [],
	    co_organizer_ids: [OWNER_AGENCY] }, other)).event;
});

describe('another agency of the same province', () => {
	test('cannot rename, move, or recount a group: 403, nothing changes', async () => {
		const before = catalogue();
		const etag = await etagOf(`/v1/groups/${group.id}`, other);
		for (const body of [{ name: 'กลุ่มที่ถูกยึด' }, { agency_id: OTHER_AGENCY },
		    { members_count: 0 }, { contact: null }])
			await refused(api('PATCH', `/v1/groups/${group.id}`, { token: other, body,
			    headers: { 'If-Match': etag } }), JSON.stringify(body));
		assert.equal(catalogue(), before);
		const g = expectStatus(await api('GET', `/v1/groups/${group.id}`, { token: other }), 200).json;
		assert.equal(g.can_manage, false, 'can_manage says so too');
	});

	test('cannot add, change or delete the group\'s products: 403, nothing changes', async () => {
		const before = catalogue();
		await refused(api('POST', `/v1/groups/${group.id}/products`, { token: other,
		    body: { name: 'ของปลอม', price_satang: 1, unit: 'ชิ้น' } }));
		await refused(api('PATCH', `/v1/products/${product.id}`, { token: other,
		    body: { price_satang: 1 }, headers: { 'If-Match': await etagOf(`/v1/products/${product.id}`) } }));
		await refused(api('DELETE', `/v1/products/${product.id}`, { token: other }));
		assert.equal(catalogue(), before);
	});

	test('cannot add, reorder or remove the product\'s images: 403, nothing changes', async () => {
		const before = catalogue();
		await refused(api('POST', `/v1/products/${product.id}/images`, { token: other, raw: png(),
		    headers: { 'content-type': 'image/png' } }));
		await refused(api('POST', `/v1/products/${product.id}/images/order`, { token: other,
		    body: { order: [1] } }));
		await refused(api('DELETE', `/v1/products/${product.id}/images/1`, { token: other }));
		assert.equal(catalogue(), before);
	});

	test('cannot create a group in the owner\'s name: 403, nothing changes', async () => {
		const before = catalogue();
		await refused(api('POST', '/v1/groups', { token: other, body: { name: uniq('กลุ่มแอบอ้าง'),
		    category: 'food', province_code: '56', agency_id: OWNER_AGENCY } }));
		assert.equal(catalogue(), before);
		// In its own name it may.
		const own = expectStatus(await api('POST', '/v1/groups', { token: other, body: {
		    name: uniq('กลุ่มของตนเอง'), category: 'food', province_code: '56' } }), 201).json;
		assert.equal(own.agency_id, OTHER_AGENCY);
		assert.equal(own.can_manage, true);
	});
});

describe('event stalls: both sides agree', () => {
	const stall = (e, p) => `/v1/events/${e.id}/products/${p.id}`;
	const on = (e, p) => sqlInt('select count(*) from event_product where event_id = $1 and product_id = $2',
	    [e.id, p.id]);

	test('the other agency cannot put the owner\'s product on its event, nor take it off the owner\'s', async () => {
		expectStatus(await api('PUT', stall(ownerEvent, product), { token: owner }), 204);
		const before = catalogue();
		await refused(api('PUT', stall(otherEvent, product), { token: other }), 'not its product');
		await refused(api('DELETE', stall(ownerEvent, product), { token: other }), 'not its event or product');
		await refused(api('PUT', stall(otherEvent, product), { token: owner }), 'not its event');
		assert.equal(catalogue(), before);
		assert.equal(on(ownerEvent, product), 1);
		assert.equal(on(otherEvent, product), 0);
	});

	test('the other agency cannot put its product on the owner\'s event', async () => {
		const g = expectStatus(await api('POST', '/v1/groups', { token: other, body: {
		    name: uniq('กลุ่มอื่น'), category: 'food', province_code: '56' } }), 201).json;
		const p = expectStatus(await api('POST', `/v1/groups/${g.id}/products`, { token: other,
		    body: { name: 'ข้าวแต๋น', price_satang: 5000, unit: 'ถุง' } }), 201).json;
		const before = catalogue();
		await refused(api('PUT', stall(ownerEvent, p), { token: other }));
		assert.equal(catalogue(), before);
		expectStatus(await api('PUT', stall(otherEvent, p), { token: other }), 204, 'its own event');
		expectStatus(await api('PUT', stall(ownerEvent, p), { token: admin }), 204, 'admins may');
		// The event's organiser may take a stall off its event; so may the product's owner.
		expectStatus(await api('DELETE', stall(ownerEvent, p), { token: owner }), 204);
		expectStatus(await api('DELETE', stall(otherEvent, p), { token: other }), 204);
		assert.equal(on(ownerEvent, p) + on(otherEvent, p), 0);
	});

	test('a co-organising agency sets out its own products; either side takes them off', async () => {
		expectStatus(await api('PUT', stall(jointEvent, product), { token: owner }), 204);
		assert.equal(on(jointEvent, product), 1);
		expectStatus(await api('DELETE', stall(jointEvent, product), { token: other }), 204,
		    'the organising agency withdraws a stall from its event');
		expectStatus(await api('PUT', stall(jointEvent, product), { token: owner }), 204);
		expectStatus(await api('DELETE', stall(jointEvent, product), { token: owner }), 204,
		    'the owner withdraws its product');
		assert.equal(on(jointEvent, product), 0);
	});
});

describe('the owner and admins still write', () => {
	test('the owner edits its group and products; admins edit anything', async () => {
		let etag = await etagOf(`/v1/groups/${group.id}`, owner);
		const r = expectStatus(await api('PATCH', `/v1/groups/${group.id}`, { token: owner,
		    body: { members_count: 31 }, headers: { 'If-Match': etag } }), 200);
		assert.equal(r.json.members_count, 31);
		etag = r.headers.get('etag');
		expectStatus(await api('PATCH', `/v1/groups/${group.id}`, { token: admin,
		    body: { members_count: 32 }, headers: { 'If-Match': etag } }), 200);
		const p = expectStatus(await api('POST', `/v1/groups/${group.id}/products`, { token: admin,
		    body: { name: 'ผ้าพันคอ', price_satang: 35000, unit: 'ผืน' } }), 201).json;
		expectStatus(await api('PATCH', `/v1/products/${p.id}`, { token: owner, body: { price_satang: 30000 },
		    headers: { 'If-Match': await etagOf(`/v1/products/${p.id}`, owner) } }), 200);
		expectStatus(await api('POST', `/v1/products/${p.id}/images`, { token: owner, raw: png(),
		    headers: { 'content-type': 'image/png' } }), 201);
		expectStatus(await api('DELETE', `/v1/products/${p.id}/images/1`, { token: admin }), 204);
		expectStatus(await api('DELETE', `/v1/products/${p.id}`, { token: owner }), 204);
	});

	test('moving a group to another agency is for admins; then the new owner writes it', async () => {
		const before = catalogue();
		let etag = await etagOf(`/v1/groups/${group.id}`, owner);
		await refused(api('PATCH', `/v1/groups/${group.id}`, { token: owner,
		    body: { agency_id: OTHER_AGENCY }, headers: { 'If-Match': etag } }), 'the owner gives it away');
		await refused(api('PATCH', `/v1/groups/${group.id}`, { token: owner,
		    body: { agency_id: null }, headers: { 'If-Match': etag } }), 'the owner lets it go');
		assert.equal(catalogue(), before);
		const moved = expectStatus(await api('PATCH', `/v1/groups/${group.id}`, { token: admin,
		    body: { agency_id: OTHER_AGENCY }, headers: { 'If-Match': etag } }), 200);
		assert.equal(moved.json.agency_id, OTHER_AGENCY);
		etag = moved.headers.get('etag');
		await refused(api('PATCH', `/v1/groups/${group.id}`, { token: owner,
		    body: { name: 'ยังเป็นของฉัน' }, headers: { 'If-Match': etag } }), 'the old owner');
		await refused(api('DELETE', `/v1/products/${product.id}`, { token: owner }), 'the old owner');
		expectStatus(await api('PATCH', `/v1/groups/${group.id}`, { token: other,
		    body: { name: 'กลุ่มทอผ้าย้ายสังกัด' }, headers: { 'If-Match': etag } }), 200, 'the new owner');
		// Admins move it back (and may leave a group with no agency).
		etag = await etagOf(`/v1/groups/${group.id}`, admin);
		expectStatus(await api('PATCH', `/v1/groups/${group.id}`, { token: admin,
		    body: { agency_id: OWNER_AGENCY }, headers: { 'If-Match': etag } }), 200);
	});
});

// Product images (issue 5): the type comes from the bytes (a text file
// sent as image/jpeg is 415, a truncated PNG 422, 6 MB 413, none of it
// stored), raw and multipart uploads, width and height read from the file,
// byte-identical fetch with a strong ETag and 304, at most 8, reorder,
// delete, images of deleted products 404.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createHash } from 'node:crypto';
import { api, tokenFor, expectStatus, expectProblem, sqlInt, otherOrganizer, uniq,
    BASE_URL } from './lib.mjs';
import { png, jpeg } from './images-lib.mjs';

const PHAYAO_AGENCY = 'a0000000-0000-4000-8000-000000000005';
let admin, lampang, phayao, partner, product;

before(async () => {
	admin = await tokenFor('admin');
	lampang = await tokenFor('organizer');
	partner = await tokenFor('partner');
	phayao = await otherOrganizer(PHAYAO_AGENCY);
	const g = expectStatus(await api('POST', '/v1/groups', { token: phayao, body: {
	    name: uniq('กลุ่มรูปภาพ'), category: 'handicraft', province_code: '56' } }), 201).json;
	product = expectStatus(await api('POST', `/v1/groups/${g.id}/products`, { token: phayao, body: {
	    name: 'ตะกร้าสาน', price_satang: 25000, unit: 'ใบ' } }), 201).json;
});

const images = () => sqlInt('select count(*) from product_image');
const upload = (bytes, type = 'image/png', token = phayao, id = product.id) =>
    api('POST', `/v1/products/${id}/images`, { token, raw: bytes, headers: { 'content-type': type } });

test('a PNG uploaded and fetched back is byte-identical; ETag and 304', async () => {
	const bytes = png(40, 30);
	const res = expectStatus(await upload(bytes), 201);
	assert.equal(res.json.width, 40);
	assert.equal(res.json.height, 30);
	assert.equal(res.json.content_type, 'image/png');
	assert.equal(res.json.bytes, bytes.length);
	const sha = createHash('sha256').update(bytes).digest('hex');
	assert.equal(res.json.etag, `"${sha}"`);
	const got = expectStatus(await api('GET', res.json.url), 200);
	assert.ok(got.bytes.equals(bytes), 'byte-identical');
	assert.equal(got.headers.get('content-type'), 'image/png');
	assert.equal(got.headers.get('etag'), `"${sha}"`);
	assert.match(got.headers.get('cache-control'), /public, max-age=31536000, immutable/);
	const n = res.json.n;
	const plain = expectStatus(await api('GET', `/v1/products/${product.id}/images/${n}`), 200);
	assert.match(plain.headers.get('cache-control'), /^public, max-age=3600/);
	const again = await api('GET', `/v1/products/${product.id}/images/${n}`,
	    { headers: { 'If-None-Match': `"${sha}"` } });
	expectStatus(again, 304);
	assert.equal(again.bytes.length, 0);
	const other = await api('GET', `/v1/products/${product.id}/images/${n}`,
	    { headers: { 'If-None-Match': '"abc"' } });
	expectStatus(other, 200);
	// The product lists it.
	const p = expectStatus(await api('GET', `/v1/products/${product.id}`), 200);
	assert.equal(p.json.images.length, n);
});

test('JPEG as octet-stream and multipart/form-data: the type comes from the bytes', async () => {
	const j = expectStatus(await upload(jpeg(640, 480), 'application/octet-stream'), 201);
	assert.equal(j.json.content_type, 'image/jpeg');
	assert.equal(j.json.width, 640);
	assert.equal(j.json.height, 480);
	const form = new FormData();
	form.append('file', new Blob([png(7, 9, 3)], { type: 'text/plain' }), 'photo.txt');
	const r = await fetch(`${BASE_URL}/v1/products/${product.id}/images`, { method: 'POST',
	    headers: { authorization: `Bearer ${phayao}` }, body: form });
	assert.equal(r.status, 201);
	const m = await r.json();
	assert.equal(m.content_type, 'image/png');
	assert.deepEqual([m.width, m.height], [7, 9]);
});

test('bad files: 415, 422, 413; none stored', async () => {
	const before = images();
	expectProblem(await upload(Buffer.from('hello, this is not a photo\n'), 'image/jpeg'),
	    415, 'unsupported-media-type');
	expectProblem(await upload(png(10, 10).subarray(0, 20)), 422, 'image-unreadable');
	expectProblem(await upload(png(10, 10).subarray(0, 60)), 422, 'image-unreadable');
	expectProblem(await upload(jpeg(10, 10).subarray(0, 22), 'image/jpeg'), 422, 'image-unreadable');
	const big = Buffer.alloc(6 * 1024 * 1024, 0);
	png(10, 10).copy(big);
	expectProblem(await upload(big, 'image/png', phayao), 413, 'payload-too-large');
	expectProblem(await upload(png(5, 5), 'text/plain'), 415, 'unsupported-media-type');
	expectProblem(await upload(png(5, 5), 'image/png', lampang), 403, 'forbidden');
	expectProblem(await upload(png(5, 5), 'image/png', partner), 403, 'forbidden');
	expectStatus(await upload(png(5, 5), 'image/png', null), 401);
	assert.equal(images(), before);
});

test('at most 8 images; reorder; delete; images of deleted products are 404', async () => {
	const g = expectStatus(await api('POST', '/v1/groups', { token: admin, body: {
	    name: uniq('กลุ่มแปดรูป'), category: 'other', province_code: '56' } }), 201).json;
	const p = expectStatus(await api('POST', `/v1/groups/${g.id}/products`, { token: admin, body: {
	    name: 'โคมไฟ', price_satang: 100, unit: 'ชิ้น' } }), 201).json;
	const sizes = [];
	for (let i = 1; i <= 8; i++) {
		expectStatus(await upload(png(i, i), 'image/png', admin, p.id), 201);
		sizes.push(i);
	}
	expectProblem(await upload(png(9, 9), 'image/png', admin, p.id), 409, 'conflict');
	assert.equal(sqlInt('select count(*) from product_image where product_id = $1', [p.id]), 8);
	expectStatus(await api('POST', `/v1/products/${p.id}/images/order`, { token: admin,
	    body: { order: [1, 2] } }), 422);
	expectStatus(await api('POST', `/v1/products/${p.id}/images/order`, { token: lampang,
	    body: { order: [8, 7, 6, 5, 4, 3, 2, 1] } }), 403);
	const o = expectStatus(await api('POST', `/v1/products/${p.id}/images/order`, { token: admin,
	    body: { order: [8, 7, 6, 5, 4, 3, 2, 1] } }), 200);
	assert.deepEqual(o.json.items.map((i) => i.width), [8, 7, 6, 5, 4, 3, 2, 1]);
	expectStatus(await api('DELETE', `/v1/products/${p.id}/images/1`, { token: admin }), 204);
	const after = expectStatus(await api('GET', `/v1/products/${p.id}`), 200);
	assert.deepEqual(after.json.images.map((i) => [i.n, i.width]),
	    [[1, 7], [2, 6], [3, 5], [4, 4], [5, 3], [6, 2], [7, 1]]);
	expectStatus(await api('GET', `/v1/products/${p.id}/images/8`), 404);
	expectStatus(await api('GET', `/v1/products/${p.id}/images/0`), 404);
	expectStatus(await api('DELETE', `/v1/products/${p.id}`, { token: admin }), 204);
	expectStatus(await api('GET', `/v1/products/${p.id}/images/1`), 404);
});

test('demo products have generated PNG images', async () => {
	const r = expectStatus(await api('GET', '/v1/products/f1000000-0000-4000-8000-000000000021'), 200);
	assert.equal(r.json.images.length, 1);
	const img = expectStatus(await api('GET', r.json.images[0].url), 200);
	assert.equal(img.headers.get('content-type'), 'image/png');
	assert.equal(img.bytes.subarray(1, 4).toString(), 'PNG');
});

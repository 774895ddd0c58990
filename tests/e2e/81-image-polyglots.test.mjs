// Issue 14, item 9: a PNG with HTML after IEND, or a JPEG header followed
// by HTML, was stored and served back as it came, and a phone photo kept
// its EXIF GPS position. Now what is stored is the image rewritten: nothing
// after its end marker, no metadata (EXIF, XMP, text chunks, comments; of
// EXIF only the orientation stays), and it is served with
// Content-Security-Policy: default-src 'none'; sandbox, Content-Disposition:
// inline and X-Content-Type-Options: nosniff.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, otherOrganizer, sql, sqlInt, uniq,
    decodeJwt } from './lib.mjs';
import { chunk, png, pngChunks, jpeg, jpegWith, segment, exifWithGps } from './images-lib.mjs';
import { registered, runningEvent } from './checkins-lib.mjs';

const PHAYAO_AGENCY = 'a0000000-0000-4000-8000-000000000005';
const HTML = Buffer.from('<html><body><script>fetch("/v1/me",{credentials:"include"})</script></body></html>\n');
let owner, product;

before(async () => {
	owner = await otherOrganizer(PHAYAO_AGENCY);
	const g = expectStatus(await api('POST', '/v1/groups', { token: owner, body: {
	    name: uniq('กลุ่มภาพถ่าย'), category: 'handicraft', province_code: '56' } }), 201).json;
	product = expectStatus(await api('POST', `/v1/groups/${g.id}/products`, { token: owner, body: {
	    name: 'กระเป๋าผ้าทอ', price_satang: 45000, unit: 'ใบ' } }), 201).json;
});

const upload = (bytes, type = 'application/octet-stream') =>
    api('POST', `/v1/products/${product.id}/images`, { token: owner, raw: bytes,
	headers: { 'content-type': type } });

const stored = (n) => Buffer.from(sql(`select encode(data, 'hex') from product_image
    where product_id = $1 and position = $2`, [product.id, String(n)]), 'hex');

// Uploads a file with HTML in it, fetches it back: no HTML is served, and
// the serving headers are there. Returns the bytes.
async function roundTrip(bytes, contentType) {
	assert.ok(bytes.indexOf('<html') >= 0);
	const up = expectStatus(await upload(bytes), 201);
	assert.equal(up.json.content_type, contentType);
	const got = expectStatus(await api('GET', up.json.url), 200);
	assert.equal(got.bytes.indexOf('<html'), -1, 'no HTML served back');
	assert.equal(got.bytes.indexOf('<script'), -1, 'no script served back');
	assert.equal(got.headers.get('content-type'), contentType);
	assert.equal(got.headers.get('content-security-policy'), "default-src 'none'; sandbox");
	assert.equal(got.headers.get('content-disposition'), 'inline');
	assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
	// What is served is what is stored, and what the JSON describes.
	assert.ok(got.bytes.equals(stored(up.json.n)), 'served = stored');
	assert.equal(up.json.bytes, got.bytes.length);
	assert.equal(up.json.etag, `"${createHash('sha256').update(got.bytes).digest('hex')}"`);
	return got.bytes;
}

test('a PNG with HTML after IEND: stored and served without it', async () => {
	const image = png(6, 4, 7);
	const bytes = await roundTrip(Buffer.concat([image, HTML]), 'image/png');
	assert.ok(bytes.equals(image), 'the PNG itself, byte for byte');
	assert.equal(bytes.indexOf('<html'), -1);
});

test('a PNG with HTML and EXIF in its chunks: only the picture\'s chunks are kept', async () => {
	const extra = [chunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), HTML])),
	    chunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f])),
	    chunk('eXIf', exifWithGps().subarray(10)), chunk('tIME', Buffer.from([7, 232, 1, 1, 0, 0, 0]))];
	const bytes = await roundTrip(png(5, 5, 3, extra), 'image/png');
	assert.deepEqual(pngChunks(bytes), ['IHDR', 'gAMA', 'IDAT', 'IEND']);
	assert.equal(bytes.indexOf('<html'), -1);
	assert.equal(bytes.indexOf('PhoneMaker'), -1);
});

test('a ticket\'s QR code as a polyglot still reads after cleaning (zbarimg)', async () => {
	const organizer = await tokenFor('organizer');
	const p = await registered((await runningEvent()).id);
	const qr = expectStatus(await api('GET', `/v1/registrations/${p.id}/qr.png?size=4`, { token: organizer }),
	    200).bytes;
	const iend = qr.length - 12;
	const poly = Buffer.concat([qr.subarray(0, 33), chunk('tEXt', Buffer.concat([Buffer.from('x\0'), HTML])),
	    qr.subarray(33, iend), chunk('IEND', HTML), HTML]);
	const bytes = await roundTrip(poly, 'image/png');
	assert.ok(bytes.equals(qr), 'exactly the QR code the server drew');
	const dir = mkdtempSync(join(tmpdir(), 'ngan-qr-'));
	try {
		writeFileSync(join(dir, 'qr.png'), bytes);
		const text = execFileSync('zbarimg', ['--raw', '-q', join(dir, 'qr.png')], { encoding: 'utf8' }).trim();
		assert.equal(decodeJwt(text).payload.sub, p.id, 'the ticket, read from the stored image');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

test('a JPEG header followed by HTML is refused (422), nothing stored', async () => {
	const real = jpeg();
	const sof = real.indexOf(Buffer.from([0xff, 0xc0]));
	const fake = Buffer.concat([real.subarray(0, sof + 2 + real.readUInt16BE(sof + 2)), HTML]);
	const before = sqlInt('select count(*) from product_image where product_id = $1', [product.id]);
	for (const type of ['image/jpeg', 'application/octet-stream'])
		expectProblem(await upload(fake, type), 422, 'image-unreadable', type);
	assert.equal(sqlInt('select count(*) from product_image where product_id = $1', [product.id]), before);
});

test('a JPEG with HTML after EOI: stored and served without it', async () => {
	const real = jpeg();
	const bytes = await roundTrip(Buffer.concat([real, HTML]), 'image/jpeg');
	assert.ok(bytes.equals(real), 'the JPEG itself, byte for byte');
});

test('a phone JPEG: EXIF (GPS, make), XMP and comments go; the orientation stays', async () => {
	const base = jpeg();
	const xmp = segment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description ' +
	    'exif:GPSLatitude="18,17.54N"/></x:xmpmeta>'));
	const com = segment(0xfe, HTML);
	const photoshop = segment(0xed, Buffer.from('Photoshop 3.0\0<html>'));
	const upload_ = jpegWith([exifWithGps(6), xmp, com, photoshop], base);
	const bytes = await roundTrip(upload_, 'image/jpeg');
	for (const needle of ['PhoneMaker', 'GPSLatitude', 'xmpmeta', 'Photoshop', '<html', 'script'])
		assert.equal(bytes.indexOf(needle), -1, needle);
	// Only an EXIF with Orientation 6 is left, right after JFIF.
	const app0 = 4 + base.readUInt16BE(4);
	assert.ok(bytes.subarray(0, app0).equals(base.subarray(0, app0)), 'SOI and JFIF as they were');
	const exif = bytes.subarray(app0, app0 + 36);
	assert.equal(exif.toString('latin1', 4, 10), 'Exif\0\0');
	assert.equal(exif.readUInt16BE(2), 34, 'one entry');
	assert.equal(exif.readUInt16BE(18), 1);
	assert.equal(exif.readUInt16BE(20), 0x0112, 'Orientation');
	assert.equal(exif.readUInt16BE(28), 6);
	assert.equal(bytes.indexOf(Buffer.from([0x88, 0x25])), -1, 'no GPS IFD pointer');
	// The rest, tables, frame and scan, byte for byte.
	assert.ok(bytes.subarray(app0 + 36).equals(base.subarray(app0)), 'the picture itself');
});

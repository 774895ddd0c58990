// Certificates (issue 20): issued only to people who qualify (409 with the
// reason otherwise), drawn as a Thai PDF read back as a person would
// (pdftotext for the text, pdftoppm and zbarimg for the QR code), the same
// bytes every time, verified by anyone by token or short code, revoked,
// reissued after a name correction; forged tokens refused; the public
// verification rate-limited.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, after } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectBadQuery, expectUnauthorized, sql,
    sqlInt, bkk, otherOrganizer, uniq } from './lib.mjs';
import { png, jpeg } from './images-lib.mjs';
import { HOUR, runningEvent, registered, checkin, expectScan, signTicket, foreignKey,
    assignedScanner } from './checkins-lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ngan-certs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FIRST = 'น้ำผึ้ง';
const LAST = 'ศรีสุขใจ';
const NAME = `นางสาว${FIRST} ${LAST}`;

let organizer, ev, session, person, cert, burmese;

// An event running now with one session, min_sessions 1, and a person
// checked in to that session (qualifies); plus one registered only.
async function setUp() {
	if (ev)
		return;
	organizer = await tokenFor('organizer');
	ev = await runningEvent({ title: 'สัมมนาผู้นำแรงงานนอกระบบ ประจำปีงบประมาณ ๒๕๖๙',
	    min_sessions: 1 });
	const now = Date.now();
	session = expectStatus(await api('POST', `/v1/events/${ev.id}/sessions`, {
	    token: organizer, body: { title: 'บรรยาย สิทธิประโยชน์ ม.40', kind: 'lecture',
	    starts_at: bkk(now - HOUR / 2), ends_at: bkk(now + HOUR) } }), 201).json;
	person = await registered(ev.id, { participant: { title_th: 'นางสาว', first_name: FIRST,
	    last_name: LAST } });
	expectScan(await checkin(organizer, { token: person.token, event_id: ev.id,
	    session_id: session.id }), 201, 'checked_in');
}

function pdfText(bytes) {
	const file = join(dir, `${uniq('c')}.pdf`);
	writeFileSync(file, bytes);
	return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

function pdfQr(bytes) {
	const base = join(dir, uniq('p'));
	writeFileSync(`${base}.pdf`, bytes);
	execFileSync('pdftoppm', ['-r', '200', '-png', '-singlefile', `${base}.pdf`, base]);
	return execFileSync('zbarimg', ['--raw', '-q', `${base}.png`], { encoding: 'utf8',
	    stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

function verify(code) {
	return api('GET', `/v1/certificates/verify?code=${encodeURIComponent(code)}`);
}

function certificates(registrationId) {
	return sqlInt('select count(*) from certificate where registration_id = $1',
	    [registrationId]);
}

test('someone who does not qualify gets 409 with the reason, and nothing is issued', async () => {
	await setUp();
	const absent = await registered(ev.id);
	let res = await api('POST', `/v1/registrations/${absent.id}/certificate`, { token: organizer });
	expectProblem(res, 409, 'not-qualified');
	assert.equal(res.json.reason, 'not_checked_in');
	assert.deepEqual(res.json.requirements, { min_sessions: 1, min_minutes: null });
	assert.deepEqual(res.json.attended, { sessions: 0, minutes: 0 });
	assert.equal(certificates(absent.id), 0);

	// Checked in once where two sessions are asked.
	const strict = await runningEvent({ min_sessions: 2 });
	const now = Date.now();
	const s1 = expectStatus(await api('POST', `/v1/events/${strict.id}/sessions`, {
	    token: organizer, body: { title: 'ช่วงเช้า', kind: 'lecture',
	    starts_at: bkk(now - HOUR / 2), ends_at: bkk(now + HOUR) } }), 201).json;
	const once = await registered(strict.id);
	expectScan(await checkin(organizer, { token: once.token, event_id: strict.id,
	    session_id: s1.id }), 201, 'checked_in');
	res = await api('POST', `/v1/registrations/${once.id}/certificate`, { token: organizer,
	    headers: { 'accept-language': 'en' } });
	expectProblem(res, 409, 'not-qualified');
	assert.equal(res.json.reason, 'too_few_sessions');
	assert.equal(res.json.attended.sessions, 1);
	assert.match(res.json.detail, /1 of the 2 sessions/);
	assert.equal(certificates(once.id), 0);

	// Cancelled: not confirmed.
	expectStatus(await api('POST', `/v1/registrations/${once.id}/cancel`, { token: organizer }),
	    200);
	res = await api('POST', `/v1/registrations/${once.id}/certificate`, { token: organizer });
	expectProblem(res, 409, 'not-qualified');
	assert.equal(res.json.reason, 'not_confirmed');
});

test('who may issue: staff of the event only', async () => {
	await setUp();
	expectUnauthorized(await api('POST', `/v1/registrations/${person.id}/certificate`));
	const other = await otherOrganizer();
	expectProblem(await api('POST', `/v1/registrations/${person.id}/certificate`,
	    { token: other }), 404, 'not-found');
	const { token: scanner } = await assignedScanner([ev.id], organizer);
	expectStatus(await api('POST', `/v1/registrations/${person.id}/certificate`,
	    { token: scanner }), 403);
	expectProblem(await api('POST', `/v1/registrations/${randomUUID()}/certificate`,
	    { token: organizer }), 404, 'not-found');
	assert.equal(certificates(person.id), 0);
	// No certificate yet: no PDF.
	expectProblem(await api('GET', `/v1/registrations/${person.id}/certificate.pdf`,
	    { token: organizer }), 404, 'not-found');
});

test('a qualifying person gets one certificate; asking again answers the same', async () => {
	await setUp();
	const res = expectStatus(await api('POST', `/v1/registrations/${person.id}/certificate`,
	    { token: organizer }), 201);
	cert = res.json;
	assert.equal(res.headers.get('location'), `/v1/registrations/${person.id}/certificate.pdf`);
	assert.equal(cert.registration_id, person.id);
	assert.equal(cert.event_id, ev.id);
	assert.equal(cert.name_printed, NAME);
	assert.equal(cert.revoked_at, null);
	const claims = JSON.parse(Buffer.from(cert.token.split('.')[1], 'base64url'));
	assert.equal(claims.aud, 'ngan-certificate');
	assert.equal(claims.sub, cert.id);
	assert.equal(sql('select short_code || \',\' || name_printed from certificate ' +
	    'where id = $1', [cert.id]), `${cert.short_code},${NAME}`);

	const again = expectStatus(await api('POST', `/v1/registrations/${person.id}/certificate`,
	    { token: organizer }), 200);
	assert.deepEqual(again.json, cert);
	assert.equal(certificates(person.id), 1);
});

test('the PDF reads back as stored, is the same bytes every time, and its QR verifies', async () => {
	await setUp();
	const path = `/v1/registrations/${person.id}/certificate.pdf`;
	const a = expectStatus(await api('GET', path, { token: organizer }), 200);
	assert.equal(a.headers.get('content-type'), 'application/pdf');
	assert.equal(a.bytes.subarray(0, 5).toString(), '%PDF-');
	const b = expectStatus(await api('GET', path, { token: organizer }), 200);
	assert.ok(a.bytes.equals(b.bytes), 'the same certificate, the same bytes');
	assert.equal(a.headers.get('etag'), b.headers.get('etag'));
	expectStatus(await api('GET', path, { token: organizer,
	    headers: { 'If-None-Match': a.headers.get('etag') } }), 304);

	// Text as a person would copy it: shaping right, nothing missing.
	const lines = pdfText(a.bytes).split('\n').map((l) => l.trim());
	assert.ok(lines.includes(NAME), `name "${NAME}" in:\n${lines.join('\n')}`);
	assert.ok(lines.includes(ev.title), `title "${ev.title}" in:\n${lines.join('\n')}`);
	assert.ok(lines.some((l) => l.includes(cert.short_code)), 'short code printed');
	assert.ok(lines.some((l) => /^ให้ไว้ ณ วันที่ [๐-๙]+ \S+ [๐-๙]{4}$/.test(l)),
	    'date given, Thai digits, Buddhist Era');

	// The QR code, rendered and scanned.
	const token = pdfQr(a.bytes);
	assert.equal(token, cert.token);
	const v = expectStatus(await verify(token), 200);
	assert.equal(v.json.genuine, true);
	assert.equal(v.json.certificate_id, cert.id);
	assert.equal(v.json.name, `นางสาว${FIRST} ศ.`, 'masked name');
	assert.ok(!v.text.includes(LAST), 'the last name is not shown');
	assert.equal(v.json.event.id, ev.id);
	assert.equal(v.json.event.title, ev.title);
	assert.equal(v.json.issued_at, cert.issued_at);
	assert.equal(v.json.revoked, false);

	// The short code, as people type it.
	const typed = cert.short_code.replaceAll('-', '').toLowerCase();
	const s = expectStatus(await verify(typed), 200);
	assert.equal(s.json.genuine, true);
	assert.equal(s.json.certificate_id, cert.id);
});

test('forged and foreign tokens are refused; bad codes are 422', async () => {
	await setUp();
	const foreign = await signTicket({ aud: 'ngan-certificate', sub: cert.id },
	    { key: foreignKey() });
	let res = expectStatus(await verify(foreign), 200);
	assert.deepEqual(res.json, { genuine: false, reason: 'bad_signature' });

	// The real token's signature on other claims.
	const [h, , sig] = cert.token.split('.');
	const claims = Buffer.from(JSON.stringify({ aud: 'ngan-certificate', sub: randomUUID(),
	    iss: 'ngan' })).toString('base64url');
	res = expectStatus(await verify(`${h}.${claims}.${sig}`), 200);
	assert.equal(res.json.genuine, false);
	assert.equal(res.json.reason, 'bad_signature');

	// A ticket, signed by us, is no certificate.
	res = expectStatus(await verify(person.token), 200);
	assert.equal(res.json.genuine, false);

	// Signed by us for a certificate that does not exist.
	const ghost = await signTicket({ aud: 'ngan-certificate', sub: randomUUID() });
	res = expectStatus(await verify(ghost), 200);
	assert.deepEqual(res.json, { genuine: false, reason: 'unknown' });
	res = expectStatus(await verify('0000-0000-0000'), 200);
	assert.deepEqual(res.json, { genuine: false, reason: 'unknown' });

	expectBadQuery(await verify('not a code'), 'code');
	expectBadQuery(await verify('ABCD-EFGH-JKM'), 'code');
	expectBadQuery(await api('GET', '/v1/certificates/verify'), 'code');
});

test('a name correction reissues; revoking is reported and stops the PDF', async () => {
	await setUp();
	sql('update participant set first_name = $1, updated_at = now() where id = ' +
	    '(select participant_id from registration where id = $2)', ['น้ำฝน', person.id]);
	const res = expectStatus(await api('POST', `/v1/registrations/${person.id}/certificate`,
	    { token: organizer }), 201);
	const fresh = res.json;
	assert.notEqual(fresh.id, cert.id);
	assert.notEqual(fresh.short_code, cert.short_code);
	assert.equal(fresh.name_printed, `นางสาวน้ำฝน ${LAST}`);
	let v = expectStatus(await verify(cert.token), 200);
	assert.equal(v.json.genuine, true);
	assert.equal(v.json.revoked, true);
	assert.equal(v.json.revoked_reason, 'reissued');
	assert.equal(sqlInt('select count(*) from certificate where registration_id = $1 ' +
	    'and revoked_at is null', [person.id]), 1);

	const pdf = expectStatus(await api('GET', `/v1/registrations/${person.id}/certificate.pdf`,
	    { token: organizer }), 200);
	assert.ok(pdfText(pdf.bytes).split('\n').map((l) => l.trim())
	    .includes(`นางสาวน้ำฝน ${LAST}`));

	const other = await otherOrganizer();
	expectProblem(await api('POST', `/v1/certificates/${fresh.id}/revoke`, { token: other }),
	    404, 'not-found');
	const revoked = expectStatus(await api('POST', `/v1/certificates/${fresh.id}/revoke`,
	    { token: organizer }), 200).json;
	assert.equal(revoked.revoked_reason, 'revoked');
	assert.ok(revoked.revoked_at);
	v = expectStatus(await verify(fresh.short_code), 200);
	assert.equal(v.json.genuine, true);
	assert.equal(v.json.revoked, true);
	assert.equal(v.json.revoked_reason, 'revoked');
	expectProblem(await api('GET', `/v1/registrations/${person.id}/certificate.pdf`,
	    { token: organizer }), 404, 'not-found');
	// Again: nothing changes.
	const twice = expectStatus(await api('POST', `/v1/certificates/${fresh.id}/revoke`,
	    { token: organizer }), 200).json;
	assert.equal(twice.revoked_at, revoked.revoked_at);
});

// A script the renderer had not met before it forked (Pango then makes a
// thread for the fallback fonts, which the worker's sandbox must allow).
test('a name in Burmese script is drawn, and the worker lives on', async () => {
	await setUp();
	const p = await registered(ev.id, { participant: { title_th: null,
	    first_name: 'မောင်မောင်', last_name: 'ဦး' } });
	expectScan(await checkin(organizer, { token: p.token, event_id: ev.id,
	    session_id: session.id }), 201, 'checked_in');
	expectStatus(await api('POST', `/v1/registrations/${p.id}/certificate`,
	    { token: organizer }), 201);
	const path = `/v1/registrations/${p.id}/certificate.pdf`;
	const a = expectStatus(await api('GET', path, { token: organizer }), 200);
	burmese = { id: p.id, pdf: a.bytes };
	const b = expectStatus(await api('GET', path, { token: organizer }), 200);
	assert.ok(a.bytes.equals(b.bytes));
	// No Myanmar font is installed: the letters are boxes, the page is whole.
	assert.ok(pdfText(a.bytes).split('\n').map((l) => l.trim()).includes(ev.title));
});

function pdfImages(bytes) {
	const file = join(dir, `${uniq('i')}.pdf`);
	writeFileSync(file, bytes);
	return execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' })
	    .split('\n').slice(2).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/));
}

test('a logo and a signature per event: checked by their bytes, printed on new certificates only', async () => {
	await setUp();
	const put = (kind, bytes, type = 'image/png', token = organizer) =>
	    api('PUT', `/v1/events/${ev.id}/certificate-${kind}`, { token, raw: bytes,
	    headers: { 'content-type': type } });
	const stored = () => sqlInt('select count(*) from event_certificate_image ' +
	    'where event_id = $1', [ev.id]);

	expectProblem(await put('logo', Buffer.from('<html>not an image</html>')), 415,
	    'unsupported-media-type');
	expectProblem(await put('logo', Buffer.from('GIF89a......'), 'image/gif'), 415,
	    'unsupported-media-type');
	expectProblem(await put('logo', png(2000, 10)), 422, 'image-too-large');
	const other = await otherOrganizer();
	expectStatus(await put('logo', png(60, 30), 'image/png', other), 403);
	assert.equal(stored(), 0, 'nothing stored');

	let res = expectStatus(await put('logo', png(60, 30)), 201);
	assert.equal(res.json.kind, 'logo');
	assert.equal(res.json.content_type, 'image/png');
	assert.deepEqual([res.json.width, res.json.height], [60, 30]);
	res = expectStatus(await put('logo', png(64, 64, 7)), 200);
	assert.equal(res.json.width, 64);
	res = expectStatus(await put('signature', jpeg(), 'application/octet-stream'), 201);
	assert.equal(res.json.content_type, 'image/jpeg');
	assert.equal(stored(), 2);

	// Issued before: the same bytes as then.
	const before = expectStatus(await api('GET',
	    `/v1/registrations/${burmese.id}/certificate.pdf`, { token: organizer }), 200);
	assert.ok(before.bytes.equals(burmese.pdf), 'an older certificate keeps its images');
	assert.equal(pdfImages(before.bytes).length, 0);

	// Issued after: both images in the PDF, the JPEG as it was sent.
	const p = await registered(ev.id);
	expectScan(await checkin(organizer, { token: p.token, event_id: ev.id,
	    session_id: session.id }), 201, 'checked_in');
	expectStatus(await api('POST', `/v1/registrations/${p.id}/certificate`,
	    { token: organizer }), 201);
	const pdf = expectStatus(await api('GET', `/v1/registrations/${p.id}/certificate.pdf`,
	    { token: organizer }), 200);
	const imgs = pdfImages(pdf.bytes).filter((row) => row[2] === 'image');
	assert.equal(imgs.length, 2, JSON.stringify(imgs));
	assert.ok(imgs.some((row) => row.includes('jpeg')), 'the signature embedded as JPEG');
	assert.ok(imgs.some((row) => row.includes('64')), 'the 64 px logo');

	expectStatus(await api('DELETE', `/v1/events/${ev.id}/certificate-logo`,
	    { token: organizer }), 204);
	expectProblem(await api('DELETE', `/v1/events/${ev.id}/certificate-logo`,
	    { token: organizer }), 404, 'not-found');
	assert.equal(stored(), 1);
	// Its certificate still prints the logo it was issued with.
	const again = expectStatus(await api('GET', `/v1/registrations/${p.id}/certificate.pdf`,
	    { token: organizer }), 200);
	assert.ok(again.bytes.equals(pdf.bytes));
});

test('the certificates of an event in one call: those who qualify, once', async () => {
	await setUp();
	const e = await runningEvent();
	const came = [await registered(e.id), await registered(e.id)];
	const absent = await registered(e.id);
	for (const p of came) {
		expectScan(await checkin(organizer, { token: p.token, event_id: e.id }), 201,
		    'checked_in');
	}
	const other = await otherOrganizer();
	expectStatus(await api('POST', `/v1/events/${e.id}/certificates`, { token: other }), 403);
	expectUnauthorized(await api('POST', `/v1/events/${e.id}/certificates`));
	assert.equal(sqlInt('select count(*) from certificate where event_id = $1', [e.id]), 0);

	let res = expectStatus(await api('POST', `/v1/events/${e.id}/certificates`,
	    { token: organizer }), 200);
	assert.equal(res.json.issued, 2);
	assert.equal(res.json.unchanged, 0);
	assert.deepEqual(res.json.items.map((x) => x.registration_id).sort(),
	    came.map((p) => p.id).sort());
	assert.ok(!res.json.items.some((x) => x.registration_id === absent.id));
	assert.equal(sqlInt('select count(*) from certificate where event_id = $1 ' +
	    'and revoked_at is null', [e.id]), 2);
	const first = res.json.items;

	res = expectStatus(await api('POST', `/v1/events/${e.id}/certificates`,
	    { token: organizer }), 200);
	assert.equal(res.json.issued, 0);
	assert.equal(res.json.unchanged, 2);
	assert.deepEqual(res.json.items.map((x) => x.certificate_id).sort(),
	    first.map((x) => x.certificate_id).sort());
	assert.equal(sqlInt('select count(*) from certificate where event_id = $1', [e.id]), 2);

	// Each verifies, by its token from the single route's answer.
	const one = expectStatus(await api('POST', `/v1/registrations/${came[0].id}/certificate`,
	    { token: organizer }), 200).json;
	const v = expectStatus(await verify(one.token), 200);
	assert.equal(v.json.genuine, true);
	assert.equal(v.json.revoked, false);
});

test('the participant downloads their own with the link to their ticket', async () => {
	await setUp();
	const p = await registered(ev.id);
	expectScan(await checkin(organizer, { token: p.token, event_id: ev.id,
	    session_id: session.id }), 201, 'checked_in');
	const path = `/v1/registrations/${p.id}/certificate.pdf`;
	const ticket = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
	    { token: organizer }), 200).json;
	const link = encodeURIComponent(ticket.link_token);
	expectProblem(await api('GET', `${path}?link=${link}`), 404, 'not-found');

	expectStatus(await api('POST', `/v1/registrations/${p.id}/certificate`,
	    { token: organizer }), 201);
	const staff = expectStatus(await api('GET', path, { token: organizer }), 200);
	const own = expectStatus(await api('GET', `${path}?link=${link}`), 200);
	assert.ok(own.bytes.equals(staff.bytes), 'the same certificate');

	// Another person's link opens nothing here.
	const otherTicket = expectStatus(await api('GET', `/v1/registrations/${person.id}/ticket`,
	    { token: organizer }), 200).json;
	expectProblem(await api('GET',
	    `${path}?link=${encodeURIComponent(otherTicket.link_token)}`), 403, 'forbidden');
	expectProblem(await api('GET', `${path}?link=not.a.token`), 403, 'forbidden');

	// A reissued ticket revokes the old link, for the certificate too.
	expectStatus(await api('POST', `/v1/registrations/${p.id}/ticket/reissue`,
	    { token: organizer }), 200);
	expectProblem(await api('GET', `${path}?link=${link}`), 410, 'link-revoked');
});

// Last: it spends this address's allowance for the minute.
test('verification is rate-limited per address: 429 with Retry-After', async () => {
	await setUp();
	let limited;
	for (let i = 0; i < 40 && !limited; i++) {
		const res = await verify(cert.short_code);
		if (res.status === 429)
			limited = res;
		else
			expectStatus(res, 200);
	}
	assert.ok(limited, 'no 429 within 40 calls');
	expectProblem(limited, 429, 'too-many-requests');
	const after = Number(limited.headers.get('retry-after'));
	assert.ok(after >= 1 && after <= 60, `Retry-After ${after}`);
	assert.equal(limited.json.retry_after, after);
});

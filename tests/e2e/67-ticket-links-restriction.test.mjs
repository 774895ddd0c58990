// Issue 18: a confirmation by SMS carries a short link to the ticket
// (GET /v1/t?c=, made by ngan-outbox, kept as a hash), which opens the
// printable ticket until the ticket is revoked; and the right to
// restriction of processing (PDPA s. 34): set by the person or by staff,
// the data kept but not used (no messages but codes, not registered
// again, not in exports, in clear for admins only), recorded, lifted.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, test } from 'node:test';
import { api, expectProblem, expectStatus, openEvent, participantBody, sql, sqlInt,
    tokenFor } from './lib.mjs';
import { codeSent, provenPerson, publicEvent, selfApi, selfBody } from './self-lib.mjs';
import { receiver, settled, startOutbox, startSharedOutbox, stopOutbox,
    stopSharedOutbox } from './outbox-lib.mjs';

let admin;
let organizer;

before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
});

test('an SMS confirmation carries a short ticket link that opens the ticket until revoked', async () => {
	stopSharedOutbox();
	const rcv = await receiver();
	const ob = startOutbox({ NGAN_MESSAGES: 'sms', NGAN_SMS_URL: rcv.url,
	    NGAN_SMS_TOKEN: 'sms-token-67', NGAN_SMS_SENDER: 'NGAN' });
	let text;
	let regId;
	try {
		const ev = await publicEvent();
		const body = await selfBody();
		expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body),
		    202);
		regId = sql('select id from registration where event_id = $1', [ev.id]);
		const row = await settled('registration_id = $1 and kind = $2', [regId, 'registered']);
		const sent = rcv.got.filter((g) => g.headers['idempotency-key'] === row.idempotency_key);
		assert.equal(sent.length, 1);
		text = JSON.parse(sent[0].body).text;
		assert.ok(!ob.log().includes('/v1/t?c='), 'the link is not logged');
	} finally {
		await stopOutbox(ob);
		await rcv.close();
		startSharedOutbox();
	}

	// Short: the origin and 18 characters, not a 300-character token.
	const m = text.match(/ บัตรของคุณ: (http:\/\/127\.0\.0\.1:[0-9]+)\/v1\/t\?c=([a-z2-7]{12})$/);
	assert.ok(m, text);
	const code = m[2];
	assert.ok(text.length < 200, `short enough for a text message: ${text.length}`);
	// Only its hash is kept, naming the registration's ticket version.
	assert.equal(sql(`select registration_id || ':' || ticket_version from ticket_link
	    where code_hash = decode($1, 'hex')`, [createHash('sha256').update(code).digest('hex')]),
	    `${regId}:1`);
	assert.equal(sqlInt(`select count(*) from ticket_link where code_hash =
	    convert_to($1, 'UTF8')`, [code]), 0, 'not the code in clear');

	// A browser is sent on to the ticket; another client reads the same.
	const browser = { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } };
	const open = expectStatus(await api('GET', `/v1/t?c=${code}`, browser), 303);
	assert.equal(open.json.registration_id, regId);
	const loc = open.headers.get('location');
	assert.equal(loc, open.json.ticket_pdf);
	const app = expectStatus(await api('GET', `/v1/t?c=${code}`), 200).json;
	assert.equal(app.registration_id, regId);
	assert.equal(app.ticket_pdf.split('?')[0], loc.split('?')[0]);
	assert.ok(loc.startsWith(`/v1/registrations/${regId}/ticket.pdf?link=`), loc);
	const pdf = expectStatus(await api('GET', loc), 200);
	assert.match(pdf.headers.get('content-type'), /^application\/pdf/);
	// The link token in the body opens my page for that registration.
	const mine = expectStatus(await api('GET', '/v1/my/registrations',
	    { token: open.json.link_token }), 200).json.items;
	assert.deepEqual(mine.map((r) => r.id), [regId]);

	// Bad and unknown codes: a clear 4xx.
	expectStatus(await api('GET', '/v1/t?c=ABC'), 422);
	expectStatus(await api('GET', '/v1/t'), 422);
	expectProblem(await api('GET', '/v1/t?c=aaaaaaaaaaaa'), 404, 'not-found');

	// Cancelled: the short link still leads to the ticket, which says revoked.
	expectStatus(await api('POST', `/v1/my/registrations/${regId}/cancel`,
	    { token: open.json.link_token }), 200);
	const again = expectStatus(await api('GET', `/v1/t?c=${code}`), 200).json;
	expectProblem(await api('GET', again.ticket_pdf), 410, 'link-revoked');
});

function requestsOf(pid) {
	return sql(`select string_agg(kind || ':' || channel || ':' || outcome, ' '
	    order by at, id) from privacy_request where participant_id = $1`, [pid]);
}

test('restriction: kept but not used, recorded, lifted', async () => {
	const ev = await publicEvent();
	const me = await provenPerson(ev);
	const restrict = (method, token = me.token) => selfApi(method,
	    '/v1/my/personal-data/restriction', undefined, { token, addr: me.addr });

	// A ticket link is not enough; a field is 422; both change nothing.
	const link = sql(`select id from registration where participant_id = $1`, [me.pid]);
	assert.ok(link);
	expectStatus(await selfApi('POST', '/v1/my/personal-data/restriction', { why: 'x' },
	    { token: me.token, addr: me.addr }), 422);
	assert.equal(sql('select restricted_at is null from participant where id = $1', [me.pid]), 't');

	const set = expectStatus(await restrict('POST'), 200).json;
	assert.equal(set.participant_id, me.pid);
	assert.equal(set.restricted, true);
	assert.ok(set.restricted_at);
	assert.equal(expectStatus(await restrict('POST'), 200).json.restricted_at, set.restricted_at,
	    'setting it again changes nothing');
	const doc = expectStatus(await selfApi('GET', '/v1/my/personal-data', undefined,
	    { token: me.token, addr: me.addr }), 200).json;
	assert.equal(doc.restricted_at, set.restricted_at);
	assert.equal(doc.participant.national_id, me.body.national_id, 'the person reads their own');

	// Not used: registering again does nothing and sends nothing, the
	// answer the same 202; staff registering them get 409.
	const messages = () => sqlInt(`select count(*) from outbox where participant_id = $1
	    and kind <> 'code'`, [me.pid]);
	const before = messages();
	const ev2 = await publicEvent();
	const again = expectStatus(await selfApi('POST', `/v1/events/${ev2.id}/self-registrations`,
	    me.body), 202);
	assert.equal(sqlInt('select count(*) from registration where event_id = $1', [ev2.id]), 0);
	assert.equal(messages(), before, 'no message');
	const fresh = expectStatus(await selfApi('POST', `/v1/events/${ev2.id}/self-registrations`,
	    await selfBody()), 202);
	assert.deepEqual(again.json, fresh.json, 'the same answer as for anyone');
	const { event: staffEv } = await openEvent({ capacity: 10, quotas: [] });
	expectProblem(await api('POST', `/v1/events/${staffEv.id}/registrations`, { token: organizer,
	    body: { participant: participantBody({ national_id: me.body.national_id }) } }),
	    409, 'participant-restricted');
	assert.equal(sqlInt('select count(*) from registration where event_id = $1', [staffEv.id]), 0);
	// An import: the row fails with its reason, nothing stored.
	const file = '\uFEFFคำนำหน้า,ชื่อ,นามสกุล,เลขประจำตัวประชาชน,โทรศัพท์,ตำบล,อำเภอ,จังหวัด,' +
	    'กลุ่มเป้าหมาย,อาชีพ,ม.40\r\nนาง,ใหม่,ใจดี,' + me.body.national_id +
	    ',,ริมปิง,เมืองลำพูน,ลำพูน,แรงงานนอกระบบ,เกษตรกร,ใช่\r\n';
	const imported = expectStatus(await api('POST', `/v1/events/${staffEv.id}/registrations/import`,
	    { token: organizer, raw: file, headers: { 'content-type': 'text/csv; charset=utf-8' },
	    timeout: 60000 }), 200).json;
	assert.equal(imported.summary.failed, 1);
	assert.deepEqual(imported.rows[0].errors.map((e) => [e.column, e.code]),
	    [['national_id', 'restricted']]);
	assert.equal(sqlInt('select count(*) from registration where event_id = $1', [staffEv.id]), 0);
	assert.equal(sql('select first_name from participant where id = $1', [me.pid]),
	    me.body.first_name, 'the record is not changed');
	// A code still goes: the person proves themselves to lift it.
	await codeSent(me.pid, async () => expectStatus(await selfApi('POST',
	    '/v1/participant-codes', { national_id: me.body.national_id }, { addr: me.addr }), 202));

	// Not shown: exports carry the registration without personal data;
	// organisers may not reveal, admins may (a purpose, audited).
	const csv = expectStatus(await api('GET', `/v1/events/${ev.id}/registrations.csv`,
	    { token: organizer }), 200).text;
	const line = csv.split('\n').find((l) => l.includes(link));
	assert.ok(line, 'the registration is exported');
	assert.ok(!line.includes(me.body.first_name) && !line.includes(me.body.last_name), line);
	const reveal = `/v1/participants/${me.pid}?reveal=national_id&purpose=${encodeURIComponent('คดีความตามคำร้อง')}`;
	expectStatus(await api('GET', reveal, { token: organizer }), 403);
	const seen = expectStatus(await api('GET', reveal, { token: admin }), 200).json;
	assert.equal(seen.national_id, me.body.national_id);
	// While restricted only admins act for the person.
	expectStatus(await api('DELETE', `/v1/participants/${me.pid}/personal-data/restriction`,
	    { token: organizer }), 403);
	assert.ok(sql('select restricted_at from participant where id = $1', [me.pid]));

	// Lifted by an admin on request, set by an organiser, lifted by the person.
	const lifted = expectStatus(await api('DELETE',
	    `/v1/participants/${me.pid}/personal-data/restriction`, { token: admin }), 200).json;
	assert.deepEqual(lifted, { participant_id: me.pid, restricted: false, restricted_at: null });
	expectStatus(await api('POST', `/v1/participants/${me.pid}/personal-data/restriction`,
	    { token: organizer }), 200);
	expectStatus(await restrict('DELETE'), 200);
	assert.equal(sql('select restricted_at is null from participant where id = $1', [me.pid]), 't');

	// Used again: registering works and tells the person.
	expectStatus(await selfApi('POST', `/v1/events/${ev2.id}/self-registrations`, me.body), 202);
	assert.equal(sql('select participant_id from registration where event_id = $1 and ' +
	    'participant_id = $2', [ev2.id, me.pid]), me.pid);
	assert.ok(messages() > before);

	assert.equal(requestsOf(me.pid), 'restriction:self:done restriction:self:done ' +
	    'access:self:done restriction-lifted:staff:done restriction:staff:done ' +
	    'restriction-lifted:self:done');
	expectStatus(await api('GET', '/v1/privacy-requests?kind=restriction-lifted', { token: admin }), 200);
});

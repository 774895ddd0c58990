// Issue 18, items 1 to 3 and 6: a person registers themselves for an event
// its organisers opened to the public, proves who they are with a code
// sent to their phone, sees their registration with its ticket, checks
// in with the QR code, sees their attendance, and cancels.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, decodeJwt, expectProblem, expectStatus, expectUnauthorized, sql,
    tokenFor } from './lib.mjs';
import { assignedScanner, checkin, expectScan } from './checkins-lib.mjs';
import { clientAddress, codeSent, consentVersion, messagesFor, provenPerson, publicEvent,
    selfApi, selfBody, serverLog } from './self-lib.mjs';

let organizer;

before(async () => {
	organizer = await tokenFor('organizer');
});

test('the consent text in force, Thai and English, with its version', async () => {
	const res = expectStatus(await api('GET', '/v1/consent'), 200);
	const cur = sql(`select version from consent_text where published_at <= now()
	    order by published_at desc limit 1`);
	assert.equal(res.json.version, cur);
	assert.ok(res.json.text_th.length > 0 && res.json.text_en.length > 0);
});

test('an organiser opens an event to the public and closes it again', async () => {
	const ev = await publicEvent(['informal_worker', 'general']);
	assert.equal(ev.public_registration.opens_at, null);
	const got = expectStatus(await api('GET', `/v1/events/${ev.id}`, { token: organizer }), 200);
	assert.deepEqual(got.json.public_registration.target_groups, ['general', 'informal_worker']);
	assert.equal(sql('select count(*) from event_public_group where event_id = $1', [ev.id]), '2');

	// An unknown group is refused, and nothing changes.
	const bad = await api('PATCH', `/v1/events/${ev.id}`, { token: organizer,
	    headers: { 'If-Match': got.headers.get('etag') },
	    body: { public_registration: { target_groups: ['no_such_group'] } } });
	expectStatus(bad, 422);
	assert.equal(bad.json.errors[0].field, 'public_registration.target_groups');
	assert.equal(sql('select count(*) from event_public_group where event_id = $1', [ev.id]), '2');

	const closed = await api('PATCH', `/v1/events/${ev.id}`, { token: organizer,
	    headers: { 'If-Match': got.headers.get('etag') },
	    body: { public_registration: null } });
	expectStatus(closed, 200);
	assert.equal(closed.json.public_registration, null);
	assert.equal(sql('select count(*) from event_public_registration where event_id = $1',
	    [ev.id]), '0');
	const refused = await selfApi('POST', `/v1/events/${ev.id}/self-registrations`,
	    await selfBody());
	expectProblem(refused, 409, 'event-not-open');
	assert.equal(sql('select count(*) from registration where event_id = $1', [ev.id]), '0');
});

test('register, prove by code, QR, check in, attendance, cancel', async () => {
	const ev = await publicEvent(['informal_worker'], { min_sessions: null, min_minutes: 1 });
	const addr = clientAddress();
	const body = await selfBody();

	// 1. Registering: a neutral 202; the registration keeps the consent.
	const reg = expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`,
	    body, { addr }), 202);
	assert.equal(reg.json.status, 'received');
	assert.equal(reg.headers.get('cache-control'), 'no-store');
	const row = sql(`select r.id, r.participant_id, r.status, r.source, r.consent_version,
	    r.consent_at is not null, p.pdpa_consent_version, p.first_name
	    from registration r join participant p on p.id = r.participant_id
	    where r.event_id = $1`, [ev.id]).split('|');
	const [regId, pid, status, source, consent, consentAt, pdpa, first] = row;
	assert.deepEqual([status, source, consent, consentAt, pdpa, first],
	    ['confirmed', 'self', await consentVersion(), 't', await consentVersion(),
	    body.first_name]);
	// The confirmation went to the phone given, masked in the log, and
	// the log holds no national id.
	const sent = await messagesFor(pid, 'registered');
	assert.equal(sent.length, 1);
	assert.equal(sent[0].to, `xxx-xxx-${body.phone.slice(-4)}`);
	assert.ok(!serverLog().includes(body.national_id), 'no national id in the log');
	assert.ok(!serverLog().includes(body.phone), 'no whole phone in the log');

	// 2. A code to the phone on file, stored hashed, traded for a token.
	const code = await codeSent(pid, async () => {
		const res = expectStatus(await selfApi('POST', '/v1/participant-codes',
		    { national_id: body.national_id }, { addr }), 202);
		assert.equal(res.json.status, 'sent');
	});
	assert.equal(sql(`select count(*) from participant_code where participant_id = $1
	    and code_hash::text like '%' || $2 || '%'`, [pid, Buffer.from(code).toString('hex')]), '0',
	    'the code is not stored in clear');
	const tok = expectStatus(await selfApi('POST', '/v1/participant-tokens',
	    { national_id: body.national_id, code }, { addr }), 200);
	assert.equal(tok.json.token_type, 'Bearer');
	assert.equal(tok.json.expires_in, 600);
	const claims = decodeJwt(tok.json.access_token).payload;
	assert.equal(claims.aud, 'ngan-participant');
	assert.equal(claims.sub, pid);
	assert.ok(claims.exp - claims.iat <= 600);
	assert.equal(sql(`select count(*) from participant_code where participant_id = $1
	    and used_at is not null`, [pid]), '1');
	const me = tok.json.access_token;

	// 3. My page: the registration, its ticket and attendance.
	const mine = expectStatus(await api('GET', '/v1/my/registrations', { token: me }), 200);
	assert.equal(mine.json.participant.id, pid);
	assert.equal(mine.json.participant.phone_masked, `xxx-xxx-${body.phone.slice(-4)}`);
	assert.equal(mine.json.items.length, 1);
	const item = mine.json.items[0];
	assert.equal(item.id, regId);
	assert.equal(item.event.id, ev.id);
	assert.equal(item.consent_version, await consentVersion());
	assert.equal(item.attendance.checked_in, false);
	assert.equal(item.attendance.qualifies_for_certificate, false);
	assert.equal(decodeJwt(item.ticket.token).payload.sub, regId);

	// The QR code by the ticket link.
	const qr = await api('GET', `${item.ticket.qr_svg}?link=${encodeURIComponent(item.ticket.link_token)}`);
	expectStatus(qr, 200, 'qr.svg');
	assert.match(qr.headers.get('content-type'), /^image\/svg\+xml/);

	// 4. The scanner checks the ticket in; my attendance shows it.
	const scanner = await assignedScanner([ev.id], organizer);
	expectScan(await checkin(scanner.token, { token: item.ticket.token, event_id: ev.id }),
	    201, 'checked_in');
	const after = expectStatus(await api('GET', '/v1/my/registrations', { token: me }), 200);
	assert.equal(after.json.items[0].attendance.checked_in, true);
	assert.ok(after.json.items[0].attendance.first_in);

	// The ticket link alone opens the same page, for that registration.
	const byLink = expectStatus(await api('GET', '/v1/my/registrations',
	    { token: item.ticket.link_token }), 200);
	assert.deepEqual(byLink.json.items.map((i) => i.id), [regId]);

	// 5. Cancel: the seat is freed, and again is 409 with nothing changed.
	const cancel = expectStatus(await api('POST', `/v1/my/registrations/${regId}/cancel`,
	    { token: me }), 200);
	assert.equal(cancel.json.status, 'cancelled');
	assert.equal(sql('select status from registration where id = $1', [regId]), 'cancelled');
	const version = sql('select version from registration where id = $1', [regId]);
	expectProblem(await api('POST', `/v1/my/registrations/${regId}/cancel`, { token: me }),
	    409, 'conflict');
	assert.equal(sql('select version from registration where id = $1', [regId]), version);
	// A cancelled registration's link opens nothing any more.
	expectStatus(await api('GET', '/v1/my/registrations', { token: item.ticket.link_token }), 410);
});

test('my cancellation gives the seat to the next in line, who is told', async () => {
	const ev = await publicEvent(['informal_worker'], { capacity: 1 });
	const first = await provenPerson(ev);
	const second = await selfBody();
	expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, second), 202);
	const next = sql(`select r.id || '|' || r.participant_id || '|' || r.status
	    from registration r join participant p on p.id = r.participant_id
	    where r.event_id = $1 and p.first_name = $2`, [ev.id, second.first_name]).split('|');
	assert.equal(next[2], 'waitlisted');
	const mine = expectStatus(await api('GET', '/v1/my/registrations', { token: first.token }),
	    200).json.items[0];
	const res = expectStatus(await api('POST', `/v1/my/registrations/${mine.id}/cancel`,
	    { token: first.token }), 200);
	assert.equal(res.json.status, 'cancelled');
	assert.equal(res.json.promoted, undefined, 'nothing of the other person');
	assert.equal(sql('select status from registration where id = $1', [next[0]]), 'confirmed');
	const told = await messagesFor(next[1], 'promoted');
	assert.equal(told.length, 1);
	assert.equal(told[0].to, `xxx-xxx-${second.phone.slice(-4)}`);
});

test('someone else\'s registration is not mine to cancel', async () => {
	const ev = await publicEvent();
	const addr = clientAddress();
	const a = await selfBody();
	const b = await selfBody();
	for (const body of [a, b])
		expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body,
		    { addr }), 202);
	const [pa, pb] = [a, b].map((x) => sql(`select r.participant_id from registration r
	    join participant p on p.id = r.participant_id
	    where r.event_id = $1 and p.first_name = $2`, [ev.id, x.first_name]));
	const regB = sql('select id from registration where participant_id = $1', [pb]);
	const code = await codeSent(pa, async () => expectStatus(await selfApi('POST',
	    '/v1/participant-codes', { national_id: a.national_id }, { addr }), 202));
	const me = expectStatus(await selfApi('POST', '/v1/participant-tokens',
	    { national_id: a.national_id, code }, { addr }), 200).json.access_token;
	expectProblem(await api('POST', `/v1/my/registrations/${regB}/cancel`, { token: me }),
	    404, 'not-found');
	assert.equal(sql('select status from registration where id = $1', [regB]), 'confirmed');
	// And a staff token is no way in here.
	expectUnauthorized(await api('GET', '/v1/my/registrations', { token: organizer }),
	    { invalidToken: true });
});

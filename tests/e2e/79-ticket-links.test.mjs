// Issue 14, item 7: a participant's ticket link (the link_token staff
// hand out) lived 400 days and outlived a reissue and a cancellation.
// Now a reissue or a cancellation revokes it at once, and it expires
// NGAN_TICKET_LINK_DAYS (30) days after the event ends; a revoked or
// expired link is 410 with a problem saying which, before anything of
// the ticket is shown.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, sql, decodeJwt } from './lib.mjs';
import { runningEvent, registered, signTicket, checkin, expectScan, nonce } from './checkins-lib.mjs';
import { startServer } from './server-lib.mjs';

const DAY = 24 * 3600 * 1000;
let organizer, ev;

before(async () => {
	organizer = await tokenFor('organizer');
	ev = await runningEvent();
});

// A registered person and the link staff hand them.
async function withLink(eventId = ev.id) {
	const p = await registered(eventId);
	const staff = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`, { token: organizer }), 200);
	return { ...p, link: staff.json.link_token, staff: staff.json };
}

const byLink = (id, link, what = 'ticket') =>
    api('GET', `/v1/registrations/${id}/${what}?link=${encodeURIComponent(link)}`);

function expectGone(res, slug, msg) {
	expectProblem(res, 410, slug, msg);
	assert.equal(res.json.token, undefined, 'no ticket in the answer');
	assert.equal(res.headers.get('cache-control'), 'no-store');
}

// Moves the event (and so the link's end) by SQL: the API refuses to
// schedule events in the past, and the tests cannot wait 30 days.
function eventEnded(eventId, daysAgo) {
	sql(`update event set starts_at = now() - make_interval(days => $2::int) - interval '8 hours',
	    ends_at = now() - make_interval(days => $2::int) where id = $1::uuid`, [eventId, String(daysAgo)]);
}

test('the link works, and says how long; the token carries its ticket version', async () => {
	const p = await withLink();
	const claims = decodeJwt(p.link).payload;
	assert.equal(claims.aud, 'ngan-ticket-link');
	assert.equal(claims.sub, p.id);
	assert.equal(claims.ver, 1);
	assert.equal(claims.exp, undefined, 'the server decides expiry, from the event as it is now');
	const ends = new Date(ev.ends_at).getTime();
	assert.equal(new Date(p.staff.link_expires_at).getTime(), ends + 30 * DAY);
	const res = expectStatus(await byLink(p.id, p.link), 200);
	assert.equal(res.json.registration_id, p.id);
	expectStatus(await byLink(p.id, p.link, 'qr.svg'), 200);
});

test('a reissue revokes the old link at once: 410 link-revoked; the new one works', async () => {
	const p = await withLink();
	expectStatus(await byLink(p.id, p.link), 200);
	const re = expectStatus(await api('POST', `/v1/registrations/${p.id}/ticket/reissue`,
	    { token: organizer }), 200);
	for (const what of ['ticket', 'qr.svg', 'qr.png'])
		expectGone(await byLink(p.id, p.link, what), 'link-revoked', what);
	// The reissue hands staff the new link straight away.
	assert.equal(typeof re.json.link_token, 'string');
	assert.equal(decodeJwt(re.json.link_token).payload.ver, 2);
	const mine = expectStatus(await byLink(p.id, re.json.link_token), 200);
	assert.equal(mine.json.version, 2);
	expectScan(await checkin(organizer, { token: mine.json.token, event_id: ev.id, nonce: nonce() }), 201,
	    'checked_in');
});

test('a cancellation revokes the link: 410 link-revoked', async () => {
	const p = await withLink();
	expectStatus(await api('POST', `/v1/registrations/${p.id}/cancel`, { token: organizer }), 200);
	expectGone(await byLink(p.id, p.link), 'link-revoked');
	expectGone(await byLink(p.id, p.link, 'qr.png'), 'link-revoked');
	// Staff still learn why there is no ticket.
	expectProblem(await api('GET', `/v1/registrations/${p.id}/ticket`, { token: organizer }), 409, 'conflict');
});

test('a cancelled event revokes its links', async () => {
	const e = await runningEvent();
	const p = await withLink(e.id);
	expectStatus(await api('POST', `/v1/events/${e.id}/cancel`, { token: organizer,
	    body: { reason: 'น้ำท่วมสถานที่จัดงาน' } }), 200);
	expectGone(await byLink(p.id, p.link), 'link-revoked');
});

test('a link expires 30 days after its event ends: 410 link-expired', async () => {
	const e = await runningEvent();
	const p = await withLink(e.id);
	eventEnded(e.id, 29);
	expectStatus(await byLink(p.id, p.link), 200, '29 days after');
	eventEnded(e.id, 31);
	expectGone(await byLink(p.id, p.link), 'link-expired', '31 days after');
	expectGone(await byLink(p.id, p.link, 'qr.svg'), 'link-expired');
	// Staff still see the ticket, and the expiry they would hand out.
	const staff = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`, { token: organizer }), 200);
	assert.ok(new Date(staff.json.link_expires_at).getTime() < Date.now());
});

test('links signed before this change (400 days, no version) are revoked', async () => {
	const p = await withLink();
	const now = Math.floor(Date.now() / 1000);
	const old = await signTicket({ aud: 'ngan-ticket-link', sub: p.id, iat: now, exp: now + 400 * 86400 });
	expectGone(await byLink(p.id, old), 'link-revoked');
	// Not a link of this registration, or not a link at all: still 403.
	const q = await withLink();
	expectProblem(await byLink(q.id, p.link), 403, 'forbidden');
	expectProblem(await byLink(q.id, 'garbage'), 403, 'forbidden');
});

test('NGAN_TICKET_LINK_DAYS sets how long a link outlives its event', async () => {
	const e = await runningEvent();
	const p = await withLink(e.id);
	eventEnded(e.id, 2);
	expectStatus(await byLink(p.id, p.link), 200, 'the default 30 days');
	const srv = await startServer({ NGAN_TICKET_LINK_DAYS: '1' }, 'link-days');
	try {
		const r = await fetch(`${srv.base}/v1/registrations/${p.id}/ticket?link=${encodeURIComponent(p.link)}`);
		assert.equal(r.status, 410);
		const body = await r.json();
		assert.equal(body.type, 'urn:ngan:problem:link-expired');
	} finally {
		await srv.stop();
	}
});

// Issue 19, item 3: a partner client registers a webhook endpoint and
// gets a signing secret; registrations created, checked in and cancelled
// and events changed reach it from the outbox, signed as Standard
// Webhooks has it (verified here with the npm reference library), with
// what the feed carries (the client's own pseudonym for the person, no
// name, national id or phone); retried after a 500; an endpoint failing
// for a day is disabled. URLs that are not https or point at private
// addresses are 422.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { api, expectFieldError, expectStatus, patchEvent, sql, sqlInt, tokenFor,
    waitFor } from './lib.mjs';
import { assignedScanner, checkin, expectScan, registered, runningEvent } from './checkins-lib.mjs';
import { feed, partner } from './partner-lib.mjs';
import { receiver, settled, startOutbox, startSharedOutbox, stopOutbox,
    stopSharedOutbox } from './outbox-lib.mjs';

const ALL = ['registration.created', 'registration.cancelled', 'checkin.created',
    'event.changed'];
let organizer, ob;

before(async () => {
	stopSharedOutbox();
	ob = startOutbox();
	organizer = await tokenFor('organizer');
});

after(async () => {
	await stopOutbox(ob);
	startSharedOutbox();
});

// The endpoints made here, removed after the file: no later test's
// changes go to receivers that are gone.
const made = [];

after(() => {
	for (const id of made)
		sql('delete from webhook_endpoint where id = $1', [id]);
});

async function endpoint(url, kinds = ALL) {
	const p = await partner({ scopes: ['feed:read'] });
	const res = expectStatus(await api('POST', '/v1/webhooks', { token: p.token,
	    body: { url, kinds } }), 201);
	made.push(res.json.id);
	assert.match(res.json.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
	assert.equal(res.headers.get('location'), `/v1/webhooks/${res.json.id}`);
	return { ...p, hook: res.json };
}

// The deliveries rcv got of type for registration or event id, verified.
function deliveries(rcv, secret, type, id) {
	const wh = new Webhook(secret);
	return rcv.got.map((g) => ({ g, msg: JSON.parse(g.body) }))
	    .filter(({ msg }) => msg.type === type &&
		(msg.data.registration_id === id || msg.data.event_id === id))
	    .map(({ g }) => ({ headers: g.headers, payload: wh.verify(g.body, g.headers) }));
}

// The participant pseudonym the feed gives token for registration reg.
async function feedParticipant(token, reg) {
	expectStatus(await feed(token, { limit: '1' }), 200);	// stamps positions
	const pos = Number(sql(`select pos from registration_feed
	    where registration_id = $1 and op = 'create'`, [reg]));
	const cursor = Buffer.from(`f:${pos - 1}`).toString('base64url');
	const page = expectStatus(await feed(token, { limit: '1', cursor }), 200);
	assert.equal(page.json.items[0].registration_id, reg);
	return page.json.items[0].participant;
}

test('registrations, check-ins, cancellations and event changes arrive signed, with the feed\'s pseudonym', async () => {
	const rcv = await receiver();
	try {
		const { token, hook } = await endpoint(`${rcv.url.replace('/sms', '/hook')}`);
		assert.deepEqual(hook.kinds, [...ALL].sort());
		assert.equal(hook.active, true);
		assert.equal(sqlInt(`select count(*) from webhook_endpoint where id = $1 and
		    position(convert_to($2, 'UTF8') in secret_enc) = 0`, [hook.id, hook.secret]), 1,
		    'the secret is sealed');

		const ev = await runningEvent();
		const first = `ทองใบ${Date.now()}`;
		const reg = await registered(ev.id, { participant: { first_name: first }, token: organizer });
		await waitFor(() => deliveries(rcv, hook.secret, 'registration.created', reg.id).length === 1);
		const [created] = deliveries(rcv, hook.secret, 'registration.created', reg.id);
		assert.match(created.headers['webhook-id'], /^feed:[0-9]+:/);
		assert.equal(created.payload.data.event_id, ev.id);
		assert.equal(created.payload.data.registration.status, 'confirmed');
		assert.equal(created.payload.data.participant, await feedParticipant(token, reg.id),
		    'the same pseudonym as the feed');
		const raw = rcv.got.map((g) => g.body).join('\n');
		assert.ok(!raw.includes(first), 'no name');
		const [nid, phone] = sql(`select national_id_last3, phone_last4 from participant p
		    join registration r on r.participant_id = p.id where r.id = $1`, [reg.id]).split('|');
		assert.ok(!/"(national_id|phone|first_name|last_name)"/.test(raw), 'no personal field');
		assert.ok(nid && phone);

		const scanner = await assignedScanner([ev.id], organizer);
		expectScan(await checkin(scanner.token, { token: reg.token, event_id: ev.id }), 201,
		    'checked_in');
		await waitFor(() => deliveries(rcv, hook.secret, 'checkin.created', reg.id).length === 1);

		// Another person cancels (one checked in and then cancelled would
		// count as came on the attendance page and not in the statistics,
		// which 51 compares for every event of the year).
		const gone = await registered(ev.id, { token: organizer });
		expectStatus(await api('POST', `/v1/registrations/${gone.id}/cancel`, { token: organizer }),
		    200);
		await waitFor(() => deliveries(rcv, hook.secret, 'registration.cancelled', gone.id).length === 1);

		await patchEvent(ev.id, { title: `${ev.title} (ย้ายห้อง)` }, { token: organizer });
		await waitFor(() => deliveries(rcv, hook.secret, 'event.changed', ev.id).length === 1);
		const [changed] = deliveries(rcv, hook.secret, 'event.changed', ev.id);
		assert.equal(changed.payload.data.status, ev.status);

		// A tampered body fails the reference library's check.
		const g = rcv.got[0];
		assert.throws(() => new Webhook(hook.secret).verify(g.body.replace('{', '{ '), g.headers));

		const list = expectStatus(await api('GET', '/v1/webhooks', { token }), 200);
		assert.deepEqual(list.json.items.map((w) => w.id), [hook.id]);
	} finally {
		await rcv.close();
	}
});

test('a URL that is not https or points at a private address is 422, and nothing is stored', async () => {
	const { token } = await partner({ scopes: ['feed:read'] });
	const before = sqlInt('select count(*) from webhook_endpoint');
	for (const url of ['http://dashboard.example.org/hook', 'ftp://example.org/x',
	    'https://10.1.2.3/hook', 'https://192.168.0.5/hook', 'https://172.16.9.9/hook',
	    'https://169.254.169.254/latest', 'https://[fd00::1]/hook', 'https://100.64.0.1/',
	    'https://user@example.org/hook', 'https://example.org:80x/']) {
		const res = await api('POST', '/v1/webhooks', { token,
		    body: { url, kinds: ['registration.created'] } });
		expectFieldError(res, 'url', undefined, url);
	}
	expectFieldError(await api('POST', '/v1/webhooks', { token,
	    body: { url: 'https://example.org/hook', kinds: ['registration.updated'] } }), 'kinds.0');
	// Staff are not partner clients.
	expectStatus(await api('POST', '/v1/webhooks', { token: organizer,
	    body: { url: 'https://example.org/hook', kinds: ['registration.created'] } }), 403);
	assert.equal(sqlInt('select count(*) from webhook_endpoint'), before);
});

test('an endpoint answering 500 then 200 gets the message again, same webhook-id', async () => {
	const rcv = await receiver((req, n) => ({ status: n <= 2 ? 500 : 200 }));
	try {
		const { hook } = await endpoint(rcv.url, ['registration.created']);
		const ev = await runningEvent();
		const reg = await registered(ev.id, { token: organizer });
		const row = await settled('endpoint_id = $1', [hook.id]);
		assert.equal(row.attempts, 3);
		const got = rcv.got.filter((g) => JSON.parse(g.body).data.registration_id === reg.id);
		assert.equal(got.length, 3);
		assert.equal(new Set(got.map((g) => g.headers['webhook-id'])).size, 1);
		new Webhook(hook.secret).verify(got[2].body, got[2].headers);
		assert.equal(sql('select failing_since is null from webhook_endpoint where id = $1',
		    [hook.id]), 't', 'a success ends the failing');
	} finally {
		await rcv.close();
	}
});

test('an endpoint failing for a day is disabled, with what it had to receive', async () => {
	const rcv = await receiver(() => ({ status: 503 }));
	try {
		const { token, hook } = await endpoint(rcv.url, ['registration.created']);
		const ev = await runningEvent();
		await registered(ev.id, { token: organizer });
		await waitFor(() => sql('select failing_since is not null from webhook_endpoint where id = $1',
		    [hook.id]) === 't');
		// As if it had failed since yesterday.
		sql(`update webhook_endpoint set failing_since = now() - interval '25 hours'
		    where id = $1`, [hook.id]);
		await registered(ev.id, { token: organizer });
		await waitFor(() => sql('select disabled_at is not null from webhook_endpoint where id = $1',
		    [hook.id]) === 't');
		await waitFor(() => sqlInt(`select count(*) from outbox where endpoint_id = $1
		    and status = 'pending'`, [hook.id]) === 0);
		assert.ok(sqlInt(`select count(*) from outbox where endpoint_id = $1 and status = 'dead'`,
		    [hook.id]) >= 1);
		const list = expectStatus(await api('GET', '/v1/webhooks', { token }), 200);
		assert.equal(list.json.items[0].active, false);
		assert.ok(list.json.items[0].disabled_at);
		// Nothing more is written for it.
		const n = sqlInt('select count(*) from outbox where endpoint_id = $1', [hook.id]);
		await registered(ev.id, { token: organizer });
		assert.equal(sqlInt('select count(*) from outbox where endpoint_id = $1', [hook.id]), n);
		expectStatus(await api('DELETE', `/v1/webhooks/${hook.id}`, { token }), 204);
		assert.equal(sqlInt('select count(*) from webhook_endpoint where id = $1', [hook.id]), 0);
	} finally {
		await rcv.close();
	}
});

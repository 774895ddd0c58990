// Issue 19, item 1, and the SMS channel of item 2: every message is a row
// of the outbox written with the change that causes it, and delivery
// processes (build/ngan-outbox) send it to the provider (an HTTP receiver
// here) with its token and idempotency key: retried with back-off when
// the provider fails or is down, a dead letter when attempts run out,
// never twice from two processes, again (same key) after a process is
// killed mid-send.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { api, expectFieldError, expectStatus, sql, sqlInt, tokenFor, waitFor } from './lib.mjs';
import { clientAddress, publicEvent, selfApi, selfBody } from './self-lib.mjs';
import { closedPort, outboxRow, receiver, settled, startOutbox, startSharedOutbox,
    stopOutbox, stopSharedOutbox } from './outbox-lib.mjs';

const TOKEN = 'sms-token-23';
let people;

before(() => {
	stopSharedOutbox();
	// People with a phone on file, to write to.
	people = sql(`select id from participant where phone_enc is not null
	    order by created_at limit 60`).split('\n').filter(Boolean);
	assert.ok(people.length >= 10, 'people with phones');
});

after(() => startSharedOutbox());

function smsEnv(url, extra = {}) {
	return { NGAN_MESSAGES: 'sms', NGAN_SMS_URL: url, NGAN_SMS_TOKEN: TOKEN,
	    NGAN_SMS_SENDER: 'NGAN', ...extra };
}

function enqueue(pid, key, title = 'อบรมเกษตรอินทรีย์') {
	sql(`select api.outbox_enqueue('promoted', $1, null, $2,
	    jsonb_build_object('event_title', $3::text))`, [pid, key, title]);
}

// One statement for many: pids[i] gets keys[i].
function enqueueMany(pids, keys) {
	sql(`select count(api.outbox_enqueue('promoted', p, null, k,
	    '{"event_title": "อบรม"}')) from unnest($1::uuid[], $2::text[]) t(p, k)`,
	    [`{${pids.join(',')}}`, `{${keys.join(',')}}`]);
}

const byKey = (got, key) => got.filter((g) => g.headers['idempotency-key'] === key);

test('a self-registration and a code go out from the outbox to the SMS provider', async () => {
	const rcv = await receiver();
	const ob = startOutbox(smsEnv(rcv.url));
	try {
		const ev = await publicEvent();
		const body = await selfBody();
		const addr = clientAddress();
		expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body,
		    { addr }), 202);
		const [regId, pid] = sql(`select id, participant_id from registration
		    where event_id = $1`, [ev.id]).split('|');

		// The confirmation: a row of the registration, sent once, with
		// the provider's token and the row's key, in Thai.
		const row = await settled('participant_id = $1 and kind = $2', [pid, 'registered']);
		assert.equal(row.registration_id, regId);
		assert.equal(row.attempts, 1);
		assert.match(row.idempotency_key, new RegExp(`^registered:${regId}:[0-9]+$`));
		const sent = byKey(rcv.got, row.idempotency_key);
		assert.equal(sent.length, 1);
		assert.equal(sent[0].method, 'POST');
		assert.equal(sent[0].headers.authorization, `Bearer ${TOKEN}`);
		assert.match(sent[0].headers['content-type'], /^application\/json/);
		const msg = JSON.parse(sent[0].body);
		assert.deepEqual(Object.keys(msg).sort(), ['reference', 'sender', 'text', 'to']);
		assert.equal(msg.to, body.phone);
		assert.equal(msg.sender, 'NGAN');
		assert.equal(msg.reference, row.idempotency_key);
		assert.ok(msg.text.includes(ev.title) && msg.text.includes('ลงทะเบียน'), msg.text);

		// A code: sealed in the outbox until sent, then wiped; the code
		// the provider got trades for a participant token.
		expectStatus(await selfApi('POST', '/v1/participant-codes',
		    { national_id: body.national_id }, { addr }), 202);
		const codeRow = await settled('participant_id = $1 and kind = $2', [pid, 'code']);
		assert.equal(codeRow.has_secret, false, 'the sealed code is wiped once sent');
		const codeMsg = JSON.parse(byKey(rcv.got, codeRow.idempotency_key)[0].body);
		const code = codeMsg.text.match(/รหัสของคุณคือ ([0-9]{6})/)[1];
		expectStatus(await selfApi('POST', '/v1/participant-tokens',
		    { national_id: body.national_id, code }, { addr }), 200);

		// The delivery's log holds no phone, national id nor code.
		const log = ob.log();
		for (const secret of [body.phone, body.national_id, code, TOKEN])
			assert.ok(!log.includes(secret), 'nothing personal or secret in the log');
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
});

test('a refused change enqueues nothing', async () => {
	const ev = await publicEvent();
	const before = sqlInt('select count(*) from outbox');
	const res = await selfApi('POST', `/v1/events/${ev.id}/self-registrations`,
	    await selfBody({ consent_version: 'not-this-one' }));
	expectStatus(res, 422);
	assert.equal(sqlInt('select count(*) from outbox'), before);
	assert.equal(sqlInt('select count(*) from registration where event_id = $1', [ev.id]), 0);
});

test('the provider answering 500 then 200: one message, one key, sent on the third try', async () => {
	const key = `t23:${randomUUID()}`;
	const rcv = await receiver((req, n) => ({ status: n <= 2 ? 500 : 200 }));
	const ob = startOutbox(smsEnv(rcv.url));
	try {
		enqueue(people[0], key);
		const row = await settled('idempotency_key = $1', [key]);
		assert.equal(row.attempts, 3);
		assert.equal(row.last_error, null);
		assert.equal(byKey(rcv.got, key).length, 3, 'three tries of the one key');
		assert.ok(ob.log().includes('SMS provider answered 500'));
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
});

test('the provider down for a while: messages wait, then go, none twice', async () => {
	const port = await closedPort();
	const keys = [1, 2, 3].map(() => `t23:${randomUUID()}`);
	const ob = startOutbox(smsEnv(`http://127.0.0.1:${port}/sms`));
	let rcv;
	try {
		enqueueMany(people.slice(0, keys.length), keys);
		// Each tried at least twice, and still waiting.
		await waitFor(() => keys.every((k) => {
			const r = outboxRow('idempotency_key = $1', [k]);
			return r.status === 'pending' && r.attempts >= 2;
		}));
		rcv = await receiver(() => ({ status: 200 }), port);
		for (const k of keys)
			await settled('idempotency_key = $1', [k]);
		for (const k of keys)
			assert.equal(byKey(rcv.got, k).length, 1, 'sent once');
	} finally {
		await stopOutbox(ob);
		await rcv?.close();
	}
});

test('no attempts left: a dead letter; a refusal (4xx): one at once', async () => {
	const tired = `t23:${randomUUID()}`;
	const refused = `t23:${randomUUID()}`;
	const deadBefore = sqlInt(`select coalesce(sum(n), 0) from outbox_count
	    where channel = 'sms' and outcome = 'dead'`);
	const rcv = await receiver((req) => ({
	    status: req.headers['idempotency-key'] === refused ? 400 : 503 }));
	const ob = startOutbox(smsEnv(rcv.url, { NGAN_OUTBOX_MAX_ATTEMPTS: '3' }));
	try {
		enqueue(people[1], tired);
		enqueue(people[2], refused);
		const t = await settled('idempotency_key = $1', [tired], 'dead');
		assert.equal(t.attempts, 3);
		assert.equal(t.last_error, 'SMS provider answered 503');
		assert.equal(byKey(rcv.got, tired).length, 3);
		const r = await settled('idempotency_key = $1', [refused], 'dead');
		assert.equal(r.attempts, 1);
		assert.equal(r.last_error, 'SMS provider answered 400');
		assert.equal(sqlInt(`select coalesce(sum(n), 0) from outbox_count
		    where channel = 'sms' and outcome = 'dead'`), deadBefore + 2);
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
});

test('two delivery processes at once send every message once', async () => {
	const keys = people.slice(0, 40).map(() => `t23:${randomUUID()}`);
	const rcv = await receiver(() => ({ status: 200, delay: 5 }));
	enqueueMany(people.slice(0, keys.length), keys);
	const a = startOutbox(smsEnv(rcv.url));
	const b = startOutbox(smsEnv(rcv.url));
	try {
		await waitFor(() => sqlInt(`select count(*) from outbox
		    where idempotency_key = any($1::text[]) and status = 'sent'`,
		    [`{${keys.join(',')}}`]) === keys.length, { timeout: 20000 });
		for (const k of keys)
			assert.equal(byKey(rcv.got, k).length, 1, `${k} sent once`);
		assert.equal(sqlInt(`select count(*) from outbox
		    where idempotency_key = any($1::text[]) and attempts <> 1`,
		    [`{${keys.join(',')}}`]), 0);
	} finally {
		await stopOutbox(a);
		await stopOutbox(b);
		await rcv.close();
	}
});

test('a delivery process killed mid-send: sent again after the lease, with the same key', async () => {
	const key = `t23:${randomUUID()}`;
	const rcv = await receiver((req, n) => (n === 1 ? 'hang' : { status: 200 }));
	const env = smsEnv(rcv.url, { NGAN_OUTBOX_LEASE_SECONDS: '4' });
	const first = startOutbox(env);
	let second;
	try {
		enqueue(people[3], key);
		await waitFor(() => byKey(rcv.got, key).length === 1);
		await stopOutbox(first, 'SIGKILL');
		second = startOutbox(env);
		const row = await settled('idempotency_key = $1', [key], 'sent', 20000);
		assert.equal(row.attempts, 2);
		// The stand-in provider does not deduplicate: the one duplicate
		// this channel allows, counted, with the key that lets a real
		// provider drop it.
		assert.equal(byKey(rcv.got, key).length, 2);
	} finally {
		await stopOutbox(first, 'SIGKILL');
		if (second)
			await stopOutbox(second);
		await rcv.close();
	}
});

test('LINE: the Messaging API push, with the channel token and a retry key', async () => {
	const rcv = await receiver((req, n) => ({ status: n === 1 ? 500 : 200 }));
	const ob = startOutbox({ NGAN_MESSAGES: 'off', NGAN_LINE_URL: rcv.url,
	    NGAN_LINE_TOKEN: 'line-token-23' });
	try {
		const ev = await publicEvent();
		const lineId = `U${randomUUID().replaceAll('-', '')}`;
		const body = await selfBody({ line_user_id: lineId, lang: 'en' });
		expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body), 202);
		const pid = sql('select participant_id from registration where event_id = $1', [ev.id]);
		const row = await settled('participant_id = $1 and idempotency_key like $2',
		    [pid, '%:line']);
		assert.equal(row.attempts, 2);
		assert.equal(rcv.got.length, 2);
		for (const g of rcv.got) {
			assert.equal(g.headers.authorization, 'Bearer line-token-23');
			assert.equal(g.headers['x-line-retry-key'], row.id, 'the same key on the retry');
			const sent = JSON.parse(g.body);
			assert.deepEqual(Object.keys(sent).sort(), ['messages', 'to']);
			assert.equal(sent.to, lineId);
			assert.equal(sent.messages.length, 1);
			assert.equal(sent.messages[0].type, 'text');
			// The ticket's short link ends it (67 follows one).
			const text = `ngan: you are registered for ${ev.title} (confirmed). Your ticket: `;
			assert.ok(sent.messages[0].text.startsWith(text), sent.messages[0].text);
			assert.match(sent.messages[0].text.slice(text.length),
			    /^http:\/\/127\.0\.0\.1:[0-9]+\/v1\/t\?c=[a-z2-7]{12}$/);
		}
		assert.ok(!ob.log().includes(lineId), 'no LINE id in the log');
		// A text message waits: this process does not send them.
		assert.equal(outboxRow('participant_id = $1 and idempotency_key not like $2',
		    [pid, '%:line']).status, 'pending');

		const bad = await selfApi('POST', `/v1/events/${ev.id}/self-registrations`,
		    await selfBody({ line_user_id: 'U123' }));
		expectFieldError(bad, 'line_user_id');
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
});

test('organisers see a registration\'s messages; admins list dead letters and retry them', async () => {
	let status = 503;
	const rcv = await receiver(() => ({ status }));
	const ob = startOutbox(smsEnv(rcv.url, { NGAN_OUTBOX_MAX_ATTEMPTS: '2' }));
	try {
		const organizer = await tokenFor('organizer');
		const admin = await tokenFor('admin');
		const ev = await publicEvent();
		expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`,
		    await selfBody()), 202);
		const regId = sql('select id from registration where event_id = $1', [ev.id]);
		const dead = await settled('registration_id = $1', [regId], 'dead');

		const mine = expectStatus(await api('GET', `/v1/registrations/${regId}/messages`,
		    { token: organizer }), 200).json.items;
		assert.equal(mine.length, 1);
		assert.deepEqual([mine[0].id, mine[0].channel, mine[0].kind, mine[0].status,
		    mine[0].attempts, mine[0].last_error],
		    [dead.id, 'sms', 'registered', 'dead', 2, 'SMS provider answered 503']);
		assert.ok(!JSON.stringify(mine).includes('ngan:'), 'not the text');

		expectStatus(await api('GET', '/v1/outbox/dead-letters', { token: organizer }), 403);
		const letters = expectStatus(await api('GET', '/v1/outbox/dead-letters',
		    { token: admin }), 200).json.items;
		assert.ok(letters.some((m) => m.id === dead.id));

		status = 200;
		const again = expectStatus(await api('POST', `/v1/outbox/${dead.id}/retry`,
		    { token: admin }), 200).json;
		assert.deepEqual([again.status, again.attempts], ['pending', 0]);
		const sent = await settled('id = $1', [dead.id]);
		assert.equal(sent.attempts, 1);
		assert.equal(expectStatus(await api('GET', `/v1/registrations/${regId}/messages`,
		    { token: organizer }), 200).json.items[0].status, 'sent');
		expectStatus(await api('POST', `/v1/outbox/${dead.id}/retry`, { token: admin }), 409);
		expectStatus(await api('POST', `/v1/outbox/${randomUUID()}/retry`, { token: admin }), 404);
		expectStatus(await api('POST', `/v1/outbox/${dead.id}/retry`, { token: organizer }), 403);
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
});

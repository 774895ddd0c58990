// Issue 19, items 3 and 4, what was left: /metrics shows the outbox per
// channel (messages pending, the age of the oldest, sends, failed
// attempts and dead letters), as the database has them; and an endpoint
// failing for a day is disabled with its owner told: the contact email
// given with the endpoint gets an email, written in the transaction that
// disables it, and GET /v1/webhooks shows it. (With the database down
// /metrics still answers, without the outbox: zz-db-down.) And the
// delivery killed (SIGKILL) in the middle of a batch and started again:
// every message delivered; a message sent again only when the kill came
// between its sending and its recording, and then with the same key, so
// that a channel that deduplicates (a webhook consumer by webhook-id)
// takes it once, and one that does not (this SMS stand-in) shows it
// twice, counted here. (Two delivery processes at once: 23.)

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { api, expectFieldError, expectStatus, sql, sqlInt, tokenFor, waitFor } from './lib.mjs';
import { registered, runningEvent } from './checkins-lib.mjs';
import { partner } from './partner-lib.mjs';
import { emailEnv, receiver, settled, smtpServer, startOutbox, startSharedOutbox, stopOutbox,
    stopSharedOutbox } from './outbox-lib.mjs';

let organizer, phoned;

before(async () => {
	stopSharedOutbox();
	organizer = await tokenFor('organizer');
	phoned = sql(`select id from participant where phone_enc is not null
	    order by created_at limit 1`);
	assert.ok(phoned, 'someone with a phone');
});

after(() => startSharedOutbox());

// The endpoints made here go after the file: later changes reach no
// receiver that is gone.
const made = [];
after(() => {
	for (const id of made)
		sql('delete from webhook_endpoint where id = $1', [id]);
});

// /metrics as the scraper reads it: {name{labels}: value}.
async function metrics() {
	const res = expectStatus(await api('GET', '/metrics',
	    { token: process.env.NGAN_METRICS_TOKEN }), 200);
	const out = {};
	for (const line of res.text.split('\n')) {
		const m = /^(ngan_outbox_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
		if (m)
			out[m[1]] = Number(m[2]);
	}
	return out;
}

const pending = (ch) => `ngan_outbox_pending{channel="${ch}"}`;
const oldest = (ch) => `ngan_outbox_oldest_pending_seconds{channel="${ch}"}`;
const total = (ch, outcome) => `ngan_outbox_messages_total{channel="${ch}",outcome="${outcome}"}`;

test('/metrics: queue depth, the oldest pending message\'s age, sends and failures per channel', async () => {
	const before0 = await metrics();
	for (const ch of ['email', 'line', 'sms', 'webhook']) {
		for (const name of [pending(ch), oldest(ch), total(ch, 'sent'), total(ch, 'failed'),
		    total(ch, 'dead')])
			assert.ok(Number.isFinite(before0[name]), `${name} is there`);
	}
	// What the database holds, exactly (nothing delivers now).
	assert.equal(before0[pending('sms')], sqlInt(`select count(*) from outbox
	    where channel = 'sms' and status = 'pending'`));
	assert.equal(before0[total('sms', 'sent')], sqlInt(`select coalesce(sum(n), 0)
	    from outbox_count where channel = 'sms' and outcome = 'sent'`));

	// A message waiting for an hour.
	const key = `t26:${randomUUID()}`;
	sql(`select api.outbox_enqueue('promoted', $1, null, $2, '{"event_title": "อบรม"}')`,
	    [phoned, key]);
	sql(`update outbox set created_at = now() - interval '1 hour' where idempotency_key = $1`,
	    [key]);
	const waiting = await metrics();
	assert.equal(waiting[pending('sms')], before0[pending('sms')] + 1);
	assert.ok(waiting[oldest('sms')] >= 3600, `oldest ${waiting[oldest('sms')]} s`);

	// The provider fails once, then takes it: one failure, one send.
	const rcv = await receiver((req, n) => ({ status: n === 1 ? 500 : 200 }));
	const ob = startOutbox({ NGAN_MESSAGES: 'sms', NGAN_SMS_URL: rcv.url,
	    NGAN_SMS_TOKEN: 'sms-token-26', NGAN_SMS_SENDER: 'NGAN' });
	try {
		// Everything pending on sms goes now (the one above, and any other).
		await waitFor(() => sqlInt(`select count(*) from outbox
		    where channel = 'sms' and status = 'pending'`) === 0, { timeout: 20000 });
		const row = await settled('idempotency_key = $1', [key]);
		assert.ok(row.attempts >= 1);
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
	const done = await metrics();
	assert.equal(done[pending('sms')], 0);
	assert.equal(done[oldest('sms')], 0);
	assert.ok(done[total('sms', 'sent')] >= before0[total('sms', 'sent')] + 1);
	assert.ok(done[total('sms', 'failed')] >= before0[total('sms', 'failed')] + 1);

	// Only for the scraper and admins.
	expectStatus(await api('GET', '/metrics', { token: organizer }), 403);
});

async function endpoint(p, body) {
	const res = expectStatus(await api('POST', '/v1/webhooks', { token: p.token, body }), 201);
	made.push(res.json.id);
	return res.json;
}

// Fails for a day: the first failure recorded, then as if since yesterday,
// then one more failure disables it.
async function failForADay(hook, ev) {
	await registered(ev.id, { token: organizer });
	await waitFor(() => sql('select failing_since is not null from webhook_endpoint where id = $1',
	    [hook.id]) === 't', { timeout: 15000 });
	sql(`update webhook_endpoint set failing_since = now() - interval '25 hours'
	    where id = $1`, [hook.id]);
	await registered(ev.id, { token: organizer });
	await waitFor(() => sql('select disabled_at is not null from webhook_endpoint where id = $1',
	    [hook.id]) === 't', { timeout: 15000 });
}

test('an endpoint disabled after a day of failures: its owner is emailed, and the listing says so', async () => {
	const rcv = await receiver(() => ({ status: 503 }));
	const smtp = await smtpServer();
	const ob = startOutbox(emailEnv(smtp.port));
	try {
		const p = await partner({ scopes: ['feed:read'] });
		// A contact that is no address: 422, nothing stored.
		const n0 = sqlInt('select count(*) from webhook_endpoint');
		expectFieldError(await api('POST', '/v1/webhooks', { token: p.token, body: {
		    url: rcv.url, kinds: ['registration.created'], contact_email: 'no address' } }),
		    'contact_email');
		expectFieldError(await api('POST', '/v1/webhooks', { token: p.token, body: {
		    url: rcv.url, kinds: ['registration.created'], contact_email: 'ops@example.org',
		    contact_lang: 'fr' } }), 'contact_lang');
		assert.equal(sqlInt('select count(*) from webhook_endpoint'), n0);

		const hook = await endpoint(p, { url: rcv.url, kinds: ['registration.created'],
		    contact_email: 'ops@partner.example.org', contact_lang: 'en' });
		assert.deepEqual([hook.contact_email_set, hook.contact_lang, hook.owner_notice],
		    [true, 'en', null]);
		assert.ok(!JSON.stringify(hook).includes('ops@'), 'the address is not shown back');
		assert.ok(!sql('select encode(contact_enc, \'escape\') from webhook_endpoint where id = $1',
		    [hook.id]).includes('ops@'), 'kept sealed');

		// Another without a contact: disabled, nobody to email.
		const quiet = await endpoint(p, { url: rcv.url, kinds: ['registration.created'] });
		assert.equal(quiet.contact_email_set, false);

		const ev = await runningEvent();
		await failForADay(hook, ev);
		await failForADay(quiet, ev);

		// Written in the transaction that disabled it: the same now().
		assert.equal(sql(`select o.created_at = w.disabled_at from outbox o
		    join webhook_endpoint w on w.id = o.notice_endpoint_id
		    where w.id = $1`, [hook.id]), 't');
		assert.equal(sqlInt('select count(*) from outbox where notice_endpoint_id = $1',
		    [hook.id]), 1);
		assert.equal(sqlInt('select count(*) from outbox where notice_endpoint_id = $1',
		    [quiet.id]), 0);

		const row = await settled('notice_endpoint_id is not null and args->>\'endpoint_id\' = $1',
		    [hook.id]);
		assert.equal(row.kind, 'endpoint.disabled');
		await waitFor(() => smtp.mails.some((m) => m.to.includes('ops@partner.example.org')));
		const raw = smtp.mails.find((m) => m.to.includes('ops@partner.example.org'));
		assert.equal(raw.secure, true, 'over STARTTLS');
		const mail = await simpleParser(raw.raw);
		assert.equal(mail.subject, `Webhook disabled: 127.0.0.1:${rcv.port}`);
		assert.match(mail.text, new RegExp(`webhook endpoint ${hook.id} at 127\\.0\\.0\\.1:${rcv.port} ` +
		    'has failed since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC and is now disabled'));
		assert.match(mail.text, /Last error: endpoint answered 503\./);

		const items = expectStatus(await api('GET', '/v1/webhooks', { token: p.token }), 200)
		    .json.items;
		const shown = items.find((w) => w.id === hook.id);
		assert.equal(shown.active, false);
		assert.equal(shown.owner_notice.channel, 'email');
		assert.equal(shown.owner_notice.status, 'sent');
		assert.ok(shown.owner_notice.sent_at);
		const shownQuiet = items.find((w) => w.id === quiet.id);
		assert.deepEqual([shownQuiet.active, shownQuiet.owner_notice], [false, null]);
		assert.equal(smtp.mails.length, 1, 'one email, to the one contact');
	} finally {
		await stopOutbox(ob);
		await smtp.close();
		await rcv.close();
	}
});

test('the delivery killed mid-batch and started again: all delivered, repeats only with the same key', async () => {
	const N = 20;
	const people = sql(`select id from participant where phone_enc is not null
	    order by created_at limit ${N}`).split('\n').filter(Boolean);
	assert.equal(people.length, N);
	const run = randomUUID();
	const smsKeys = people.map((_, i) => `t26k:${run}:${i}`);
	const sms = await receiver(() => ({ status: 200, delay: 40 }));
	const hooks = await receiver(() => ({ status: 200, delay: 40 }));
	const p = await partner({ scopes: ['feed:read'] });
	const hook = await endpoint(p, { url: hooks.url, kinds: ['event.changed'] });
	const env = { NGAN_MESSAGES: 'sms', NGAN_SMS_URL: sms.url, NGAN_SMS_TOKEN: 'sms-token-26',
	    NGAN_SMS_SENDER: 'NGAN', NGAN_OUTBOX_LEASE_SECONDS: '4' };
	// N text messages and N webhooks, in one transaction.
	sql(`select count(api.outbox_enqueue('promoted', p, null, k, '{"event_title": "อบรม"}')),
	    count(api.webhook_enqueue('event.changed', null, null, k || ':w',
		jsonb_build_object('event_id', gen_random_uuid(), 'status', 'published')))
	    from unnest($1::uuid[], $2::text[]) t(p, k)`,
	    [`{${people.join(',')}}`, `{${smsKeys.join(',')}}`]);
	const hookKeys = smsKeys.map((k) => `${k}:w:${hook.id}`);
	const all = [...smsKeys, ...hookKeys];
	const allSent = () => sqlInt(`select count(*) from outbox where idempotency_key = any($1::text[])
	    and status = 'sent'`, [`{${all.join(',')}}`]);
	assert.equal(sqlInt('select count(*) from outbox where idempotency_key = any($1::text[])',
	    [`{${all.join(',')}}`]), 2 * N);

	let first = startOutbox(env);
	let second;
	try {
		// Killed with some sent, and a batch claimed and not finished.
		await waitFor(() => sms.got.length + hooks.got.length >= N / 2, { interval: 5 });
		await stopOutbox(first, 'SIGKILL');
		assert.ok(allSent() < 2 * N, 'killed before the end');
		second = startOutbox(env);
		await waitFor(() => allSent() === 2 * N, { timeout: 30000 });
	} finally {
		await stopOutbox(first, 'SIGKILL');
		if (second)
			await stopOutbox(second);
		await sms.close();
		await hooks.close();
		sql('delete from webhook_endpoint where id = $1', [hook.id]);
	}

	// Every message arrived; repeats carry the key they had.
	const smsBy = new Map(), hookBy = new Map();
	for (const g of sms.got)
		smsBy.set(g.headers['idempotency-key'], (smsBy.get(g.headers['idempotency-key']) ?? 0) + 1);
	for (const g of hooks.got)
		hookBy.set(g.headers['webhook-id'], (hookBy.get(g.headers['webhook-id']) ?? 0) + 1);
	for (const k of smsKeys)
		assert.ok(smsBy.get(k) >= 1, `${k} sent`);
	for (const k of hookKeys)
		assert.ok(hookBy.get(k) >= 1, `${k} delivered`);
	for (const k of [...smsBy.keys()].filter((k) => !smsKeys.includes(k)))
		smsBy.delete(k);	// anything else that was waiting
	// The repeats: only the one message the kill caught between sending
	// and recording (one at a time is sent), on whichever channel it was.
	const smsRepeats = [...smsBy.values()].reduce((a, n) => a + n - 1, 0);
	const hookRepeats = [...hookBy.values()].reduce((a, n) => a + n - 1, 0);
	console.log(`killed mid-batch: ${smsRepeats} SMS sent twice (the stand-in does not ` +
	    `deduplicate), ${hookRepeats} webhook repeated (the consumer drops it by webhook-id)`);
	assert.ok(smsRepeats + hookRepeats <= 1, `${smsRepeats} + ${hookRepeats} repeats`);
	// A consumer that keeps webhook-ids acts on each webhook once.
	assert.equal(new Set(hooks.got.map((g) => g.headers['webhook-id'])).size, N);
	// Each repeated one was attempted again after the lease, not more.
	assert.equal(sqlInt(`select count(*) from outbox where idempotency_key = any($1::text[])
	    and attempts > 2`, [`{${all.join(',')}}`]), 0);
});

// Issue 19, item 2 (email): a person who registers themselves with an
// email address gets the confirmation from the outbox over SMTP with
// STARTTLS (the npm smtp-server package as a real SMTP server here):
// a Thai (or English) subject as RFC 2047, a plain-text and an HTML part,
// the ticket as a QR code in a PNG that zbarimg decodes to a ticket that
// checks in. The SMTP server down for a while: the messages wait, then
// go, each once.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { expectFieldError, expectStatus, sql, tokenFor, uniq, waitFor } from './lib.mjs';
import { assignedScanner, checkin, expectScan } from './checkins-lib.mjs';
import { clientAddress, publicEvent, selfApi, selfBody } from './self-lib.mjs';
import { closedPort, emailEnv, outboxRow, settled, smtpServer as smtp, startOutbox,
    startSharedOutbox, stopOutbox, stopSharedOutbox } from './outbox-lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ngan-smtp-'));
let organizer;

before(async () => {
	stopSharedOutbox();
	organizer = await tokenFor('organizer');
});

after(() => {
	startSharedOutbox();
	rmSync(dir, { recursive: true, force: true });
});

async function register(ev, overrides) {
	const body = await selfBody(overrides);
	expectStatus(await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body,
	    { addr: clientAddress() }), 202);
	const [regId, pid] = sql(`select r.id, r.participant_id from registration r
	    join participant p on p.id = r.participant_id
	    where r.event_id = $1 and p.first_name = $2`, [ev.id, body.first_name]).split('|');
	return { body, regId, pid };
}

function zbar(png) {
	const f = join(dir, `${uniq('qr')}.png`);
	writeFileSync(f, png);
	return execFileSync('zbarimg', ['--raw', '-q', f], { encoding: 'utf8',
	    stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

test('a Thai confirmation by email, its QR a ticket that checks in', async () => {
	const server = await smtp();
	const ob = startOutbox(emailEnv(server.port));
	try {
		const ev = await publicEvent();
		const email = `${uniq('buakham')}@example.org`;
		const { regId, pid } = await register(ev, { email, lang: 'th' });
		assert.equal(sql('select lang from participant where id = $1', [pid]), 'th');
		assert.equal(sql(`select position($1 in encode(email_enc, 'escape')) from participant
		    where id = $2`, [email, pid]), '0', 'the address is sealed');

		const row = await settled('participant_id = $1 and kind = $2 and idempotency_key like $3',
		    [pid, 'registered', '%:email']);
		assert.equal(row.registration_id, regId);
		assert.equal(row.attempts, 1);
		const mine = server.mails.filter((m) => m.to.includes(email));
		assert.equal(mine.length, 1);
		assert.equal(mine[0].secure, true, 'STARTTLS before the message');
		assert.equal(mine[0].from, 'ngan@example.org');

		const raw = mine[0].raw.toString('utf8');
		// RFC 2047: encoded words of 75 characters at most, folded.
		const subj = raw.match(/^Subject: (.*(?:\r\n .*)*)\r$/m)[1].split('\r\n ');
		for (const w of subj)
			assert.match(w, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/, 'an encoded word');
		assert.ok(subj.every((w) => w.length <= 75) && subj.length > 1, 'folded');
		const mail = await simpleParser(mine[0].raw);
		assert.equal(mail.subject, `ลงทะเบียนแล้ว: ${ev.title}`);
		assert.equal(mail.messageId,
		    `<${row.idempotency_key.replaceAll(':', '.')}@ngan>`, 'the key as Message-ID');
		assert.ok(mail.text.includes(ev.title) && mail.text.includes('QR'), mail.text);
		assert.ok(mail.html.includes('<p>') && mail.html.includes('lang="th"'), mail.html);
		assert.equal(mail.attachments.length, 1);
		assert.equal(mail.attachments[0].contentType, 'image/png');

		// The QR is the registration's ticket: it checks in.
		const ticket = zbar(mail.attachments[0].content);
		const scanner = await assignedScanner([ev.id], organizer);
		expectScan(await checkin(scanner.token, { token: ticket, event_id: ev.id }),
		    201, 'checked_in');
		assert.equal(sql('select count(*) from checkin where registration_id = $1', [regId]), '1');

		// Nothing of the person in the delivery's log.
		assert.ok(!ob.log().includes(email), 'no address in the log');
	} finally {
		await stopOutbox(ob);
		await server.close();
	}
});

test('in English for a person who reads English', async () => {
	const server = await smtp();
	const ob = startOutbox(emailEnv(server.port));
	try {
		const ev = await publicEvent();
		const email = `${uniq('somsri')}@example.org`;
		const { pid } = await register(ev, { email, lang: 'en' });
		await settled('participant_id = $1 and idempotency_key like $2', [pid, '%:email']);
		const mail = await simpleParser(server.mails.find((m) => m.to.includes(email)).raw);
		assert.equal(mail.subject, `You are registered: ${ev.title}`);
		assert.ok(mail.text.includes('attached QR code'), mail.text);
	} finally {
		await stopOutbox(ob);
		await server.close();
	}
});

test('an address or a language that will not do is 422, and nothing is stored', async () => {
	const ev = await publicEvent();
	for (const [field, value] of [['email', 'no-at-sign'], ['email', 'a b@example.org'],
	    ['email', 'a@localhost'], ['lang', 'fr']]) {
		const body = await selfBody({ [field]: value });
		const res = await selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body);
		expectFieldError(res, field, undefined, `${field} ${value}`);
		assert.equal(sql('select count(*) from participant where first_name = $1',
		    [body.first_name]), '0');
	}
});

test('the SMTP server down for a while: the emails wait, then go, each once', async () => {
	const port = await closedPort();
	const ob = startOutbox(emailEnv(port));
	let server;
	try {
		const ev = await publicEvent();
		const people = [];
		for (let i = 0; i < 2; i++)
			people.push(await register(ev, { email: `${uniq('wait')}@example.org` }));
		const emailRow = (p) => outboxRow('participant_id = $1 and idempotency_key like $2',
		    [p.pid, '%:email']);
		await waitFor(() => people.every((p) => {
			const r = emailRow(p);
			return r?.status === 'pending' && r.attempts >= 2;
		}));
		server = await smtp(port);
		for (const p of people)
			await settled('participant_id = $1 and idempotency_key like $2', [p.pid, '%:email']);
		for (const p of people)
			assert.equal(server.mails.filter((m) => m.to.includes(p.body.email)).length, 1);
	} finally {
		await stopOutbox(ob);
		await server?.close();
	}
});

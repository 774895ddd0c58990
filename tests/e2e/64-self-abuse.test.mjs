// Issue 18: what someone who is not the person can do with the
// participants' own routes. A national id alone reveals nothing (the
// answers are the same whatever the server knows; what differs goes to
// the phone on file); codes cannot be guessed (5 tries, 10 minutes,
// once); a participant token opens no staff route; consent missing or
// out of date is refused. Each refusal is a clear 4xx that changes
// nothing.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { SignJWT } from 'jose';
import { api, expectFieldError, expectProblem, expectStatus, expectUnauthorized, JWT_KEY_PATH,
    lowS, nationalId, participantBody, sql, tokenFor } from './lib.mjs';
import { currentKid } from './checkins-lib.mjs';
import { clientAddress, codeSent, messagesFor, provenPerson, publicEvent, selfApi,
    selfBody } from './self-lib.mjs';

let organizer, ev;

before(async () => {
	organizer = await tokenFor('organizer');
	ev = await publicEvent(['informal_worker', 'general']);
});

const register = (body, addr, eventId = ev.id) =>
    selfApi('POST', `/v1/events/${eventId}/self-registrations`, body, { addr });
const askCode = (nid, addr) => selfApi('POST', '/v1/participant-codes', { national_id: nid },
    { addr });
const trade = (nid, code, addr) => selfApi('POST', '/v1/participant-tokens',
    { national_id: nid, code }, { addr });

// What an answer says, without the request id.
const said = (res) => ({ status: res.status, body: { ...res.json, request_id: undefined },
    type: res.headers.get('content-type'), cache: res.headers.get('cache-control') });

// The national id's keyed hash as the server keeps it (tools/ngan-pii).
function nidHmac(nid) {
	return execFileSync(process.env.NGAN_PII_TOOL, { input: `${nid}\n`, encoding: 'utf8',
	    env: { ...process.env } }).split('\t')[0];
}

const personBy = (nid) => sql(`select id from participant
    where national_id_hmac = decode($1, 'hex')`, [nidHmac(nid)]);
const regCount = (eventId = ev.id) => sql('select count(*) from registration where event_id = $1',
    [eventId]);

// A person who registered themselves and has a code waiting.
async function withCode() {
	const addr = clientAddress();
	const body = await selfBody();
	expectStatus(await register(body, addr), 202);
	const pid = personBy(body.national_id);
	const code = await codeSent(pid, async () => expectStatus(await askCode(body.national_id,
	    addr), 202));
	return { addr, body, pid, code };
}

const wrong = (code, i = 0) => String((Number(code) + 1 + i) % 1000000).padStart(6, '0');

test('a national id alone reveals nothing: the same answers, the record unchanged', async () => {
	// A known person, registered by staff elsewhere, with a phone on file.
	const other = await publicEvent();
	const known = participantBody({ target_group: 'informal_worker' });
	const staff = await api('POST', `/v1/events/${other.id}/registrations`,
	    { token: organizer, body: { participant: known } });
	expectStatus(staff, 201, 'staff registration');
	const kid = staff.json.participant_id;
	const record = () => sql(`select first_name, last_name, encode(phone_enc, 'hex'),
	    phone_last4, version, pdpa_consent_version from participant where id = $1`, [kid]);
	const before = record();

	// A stranger registers the known id with their own name and phone,
	// and a brand new person registers: the answers are the same.
	const addr = clientAddress();
	const strangerPhone = '0899999999';
	const stranger = await selfBody({ national_id: known.national_id, phone: strangerPhone,
	    first_name: 'คนอื่น' });
	const a = await register(stranger, addr);
	const fresh = await register(await selfBody(), addr);
	expectStatus(a, 202);
	assert.deepEqual(said(a), said(fresh));
	// Again, now that they are registered: still the same answer.
	const again = await register(stranger, addr);
	assert.deepEqual(said(again), said(fresh));

	// Nothing of the known record changed; the messages went to the
	// phone on file, never to the stranger's.
	assert.equal(record(), before);
	const toKnown = `xxx-xxx-${known.phone.replace(/\D/g, '').slice(-4)}`;
	assert.deepEqual((await messagesFor(kid, 'registered')).map((m) => m.to), [toKnown]);
	assert.deepEqual((await messagesFor(kid, 'registered_again')).map((m) => m.to), [toKnown]);
	assert.equal(sql(`select count(*) from registration where event_id = $1
	    and participant_id = $2`, [ev.id, kid]), '1');

	// A code for the known id and for an id nobody has: the same answer;
	// only the known person gets a code, and no one is made up.
	const nobody = nationalId();
	const ca = await codeSent(kid, async () => {
		const k = await askCode(known.national_id, addr);
		const u = await askCode(nobody, addr);
		expectStatus(k, 202);
		assert.deepEqual(said(k), said(u));
	});
	assert.match(ca, /^[0-9]{6}$/);
	assert.equal(personBy(nobody), '');
	// And a wrong code is refused alike for both.
	const wk = await trade(known.national_id, wrong(ca), addr);
	const wu = await trade(nobody, ca, addr);
	expectProblem(wk, 400, 'code-invalid');
	assert.deepEqual(said(wk), said(wu));
});

test('brute force: five wrong codes end the code, the right one then fails too', async () => {
	const { addr, body, pid, code } = await withCode();
	const answers = [];
	for (let i = 0; i < 5; i++) {
		const res = await trade(body.national_id, wrong(code, i), addr);
		expectProblem(res, 400, 'code-invalid', `try ${i + 1}`);
		answers.push(said(res));
	}
	assert.ok(answers.every((x) => JSON.stringify(x) === JSON.stringify(answers[0])));
	assert.equal(sql('select tries from participant_code where participant_id = $1', [pid]), '5');
	const right = await trade(body.national_id, code, addr);
	expectProblem(right, 400, 'code-invalid', 'the right code after 5 tries');
	assert.equal(sql(`select tries || ':' || (used_at is null) from participant_code
	    where participant_id = $1`, [pid]), '5:true');
	// The code is stored hashed: 32 bytes, not the digits.
	assert.equal(sql(`select length(code_hash) from participant_code where participant_id = $1`,
	    [pid]), '32');
});

test('no more than 3 codes in 10 minutes per national id, known or not', async () => {
	const { addr, body } = await withCode();
	const nobody = nationalId();
	for (let i = 0; i < 2; i++)
		expectStatus(await askCode(body.national_id, addr), 202);
	for (let i = 0; i < 3; i++)
		expectStatus(await askCode(nobody, addr), 202);
	const k = await askCode(body.national_id, addr);
	const u = await askCode(nobody, addr);
	expectProblem(k, 429, 'too-many-requests');
	assert.match(k.headers.get('retry-after'), /^[1-9][0-9]*$/);
	assert.deepEqual(said(k), said(u));
});

test('no more than 100 code requests in 10 minutes from one address', async () => {
	const addr = clientAddress();
	for (let i = 0; i < 100; i++)
		expectStatus(await askCode(nationalId(), addr), 202, `request ${i + 1}`);
	const res = await askCode(nationalId(), addr);
	expectProblem(res, 429, 'too-many-requests');
	// Another address is not held back by this one.
	expectStatus(await askCode(nationalId(), clientAddress()), 202);
});

test('a used code and an expired code are refused, and change nothing', async () => {
	const { addr, body, pid, code } = await withCode();
	expectStatus(await trade(body.national_id, code, addr), 200);
	const state = () => sql(`select tries || ':' || coalesce(used_at::text, '')
	    from participant_code where participant_id = $1 order by created_at`, [pid]);
	const used = state();
	expectProblem(await trade(body.national_id, code, addr), 400, 'code-invalid', 'reused');
	assert.equal(state(), used);

	const late = await codeSent(pid, async () => expectStatus(await askCode(body.national_id,
	    addr), 202));
	sql(`update participant_code set created_at = now() - interval '11 minutes',
	    expires_at = now() - interval '1 minute' where participant_id = $1 and used_at is null`,
	    [pid]);
	const expired = state();
	expectProblem(await trade(body.national_id, late, addr), 400, 'code-invalid', 'expired');
	assert.equal(state(), expired);
});

test('a participant token opens no staff route', async () => {
	const p = await provenPerson(ev);
	const reg = sql(`select id from registration where participant_id = $1
	    and event_id = $2`, [p.pid, ev.id]);
	const rows = () => sql(`select count(*) || ':' || coalesce(sum(version), 0)
	    from registration where event_id = $1`, [ev.id]);
	const before = rows();
	const staffRoutes = [
	    ['GET', '/v1/me'],
	    ['GET', '/v1/events'],
	    ['GET', `/v1/events/${ev.id}/registrations`],
	    ['GET', '/v1/participants'],
	    ['GET', `/v1/participants/${p.pid}`],
	    ['GET', `/v1/registrations/${reg}`],
	    ['GET', `/v1/registrations/${reg}/ticket`],
	    ['POST', `/v1/registrations/${reg}/cancel`],
	    ['POST', `/v1/events/${ev.id}/registrations`,
		{ participant: participantBody({ target_group: 'general' }) }],
	];
	for (const [method, path, body] of staffRoutes) {
		const res = await api(method, path, { token: p.token, body,
		    headers: { 'accept-language': 'en' } });
		expectUnauthorized(res, { invalidToken: true });
		assert.match(res.json.detail, /participant token/, `${method} ${path}: says why`);
	}
	assert.equal(rows(), before, 'nothing changed');
	// It does open my page.
	expectStatus(await api('GET', '/v1/my/registrations', { token: p.token }), 200);

	// A participant token that expired, or signed by hand with another
	// audience, opens nothing here either.
	const key = createPrivateKey(readFileSync(JWT_KEY_PATH));
	const sign = async (claims) => lowS(await new SignJWT({ iss: 'ngan', sub: p.pid, ...claims })
	    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: await currentKid() }).sign(key));
	const now = Math.floor(Date.now() / 1000);
	for (const claims of [{ aud: 'ngan-participant', iat: now - 700, exp: now - 100 },
	    { aud: 'ngan-ticket', exp: now + 300 }]) {
		expectUnauthorized(await api('GET', '/v1/my/registrations', { token: await sign(claims) }),
		    { invalidToken: true });
	}
	expectUnauthorized(await api('GET', '/v1/my/registrations'));
});

test('consent missing, out of date; a group the event does not take: 422, nothing stored',
    async () => {
	const addr = clientAddress();
	const count = regCount();
	const missing = await selfBody();
	delete missing.consent_version;
	expectFieldError(await register(missing, addr), 'consent_version', 'required');

	const old = await selfBody({ consent_version: '2019-01' });
	const res = await register(old, addr);
	expectProblem(res, 422, 'consent-outdated');
	assert.equal(res.json.errors[0].field, 'consent_version');
	assert.equal(res.json.errors[0].code, 'outdated');

	// A text published for later is not in force yet: accepting it is
	// out of date too, and GET /v1/consent still gives the current one.
	const later = `e2e-${Date.now()}`;
	sql(`insert into consent_text (version, text_th, text_en, published_at)
	    values ($1, 'ทดสอบ', 'test', now() + interval '1 day')`, [later]);
	let early;
	try {
		assert.notEqual((await api('GET', '/v1/consent')).json.version, later);
		early = await selfBody({ consent_version: later });
		expectProblem(await register(early, addr), 422, 'consent-outdated');
	} finally {
		sql('delete from consent_text where version = $1', [later]);
	}

	const group = await selfBody({ target_group: 'labour_volunteer' });
	expectFieldError(await register(group, addr), 'target_group', 'not_allowed');

	const bad = await selfBody();
	bad.national_id = bad.national_id.slice(0, 12) + String((Number(bad.national_id[12]) + 1) % 10);
	expectFieldError(await register(bad, addr), 'national_id', 'checksum');

	for (const b of [missing, old, early, group])
		assert.equal(personBy(b.national_id), '', 'no participant stored');
	assert.equal(regCount(), count, 'no registration stored');
});

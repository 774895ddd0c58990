// Issue 14, item 1: the client address behind the trusted front, and a
// sign-in throttle nobody can turn against a chosen account or everyone.
//
// Every client reaches Kore from 127.0.0.1 behind the documented nginx
// front, which sends X-Real-IP and X-Forwarded-For. The server believes
// them only from a peer in NGAN_TRUSTED_PROXIES (127.0.0.0/8 and ::1 by
// default, so the suite's own traffic is "the front"); failures count per
// (username, address) and per address; the count per username across
// addresses refuses only addresses that never signed in to the account.
// Each test speaks from its own documentation addresses (RFC 5737) so no
// counter of 127.0.0.1, which the rest of the suite signs in from, moves.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DEMO_PASSWORD, createUser, expectProblem, expectStatus, sql, sqlInt,
    tokenRequest, uniq } from './lib.mjs';
import { startServer } from './server-lib.mjs';

const made = new Set();

function ghost(prefix = 'ghost.') {
	const name = uniq(prefix);
	made.add(name);
	return name;
}

function attempt(username, password, headers = {}, base) {
	const body = { grant_type: 'password', username, password };
	if (base === undefined)
		return tokenRequest(body, { headers });
	return fetch(`${base}/v1/auth/token`, { method: 'POST',
	    headers: { 'content-type': 'application/json', ...headers },
	    body: JSON.stringify(body), signal: AbortSignal.timeout(10000) })
	    .then(async (r) => ({ status: r.status, headers: r.headers,
		json: await r.json().catch(() => undefined) }));
}

const ip = (a) => ({ 'X-Real-IP': a });

function expectThrottled(res, msg) {
	expectProblem(res, 429, 'too-many-requests', msg);
	const wait = Number(res.headers.get('retry-after'));
	assert.ok(Number.isInteger(wait) && wait > 0 && wait <= 15 * 60,
	    `${msg}: Retry-After in whole seconds within 15 minutes: ${res.headers.get('retry-after')}`);
	assert.ok(!('access_token' in res.json), `${msg}: no token`);
}

const failuresOf = (username) =>
    sqlInt('select count(*) from sign_in_failure where username = $1', [username]);
const sessionsOf = (username) => sqlInt(`select count(*) from auth_session s
    join app_user u on u.id = s.user_id where u.username = $1`, [username]);

after(() => {
	// Failures of the names made here, and of the demo scanner (whose
	// failures below came from documentation addresses only).
	for (const name of [...made, 'scanner'])
		sql('delete from sign_in_failure where username = $1', [name]);
});

test('the issue\'s attack: 30 bad sign-ins with made-up usernames, each from its own X-Real-IP, lock no one out', async () => {
	for (let i = 1; i <= 30; i++) {
		const res = await attempt(ghost(), 'wrong-password', ip(`198.51.100.${i}`));
		assert.equal(res.status, 400, `failure ${i}: ${res.text}`);
	}
	const before = sessionsOf('admin');
	// admin, with the right password, from a new address and from the
	// front's own address.
	expectStatus(await attempt('admin', DEMO_PASSWORD, ip('203.0.113.7')), 200, 'admin from a new address');
	expectStatus(await attempt('admin', DEMO_PASSWORD), 200, 'admin from the front itself');
	assert.equal(sessionsOf('admin'), before + 2);
});

test('an attacker hammering scanner from one address: the real scanner signs in from another and succeeds', async () => {
	const attacker = ip('192.0.2.66');
	let refused = 0;
	for (let i = 1; i <= 40; i++) {
		const res = await attempt('scanner', `guess-${i}`, attacker);
		if (i <= 5) {
			assert.equal(res.status, 400, `guess ${i}: ${res.text}`);
		} else {
			expectThrottled(res, `guess ${i}`);
			refused++;
		}
	}
	assert.equal(refused, 35);
	// Refused guesses are not even counted: the attacker cannot extend it.
	assert.equal(failuresOf('scanner'), 5, 'five failures recorded, the refused ones not');
	// The right password from the attacker's address is refused too.
	expectThrottled(await attempt('scanner', DEMO_PASSWORD, attacker), 'the attacker\'s address');
	// The real scanner, on a phone the server has never seen, and at the desk.
	const before = sessionsOf('scanner');
	const phone = expectStatus(await attempt('scanner', DEMO_PASSWORD, ip('192.0.2.10')), 200,
	    'the real scanner from another address');
	assert.ok(phone.json.access_token);
	expectStatus(await attempt('scanner', DEMO_PASSWORD), 200, 'the real scanner at the desk');
	assert.equal(sessionsOf('scanner'), before + 2);
});

test('guesses for one account from many addresses: known devices still sign in, new ones wait', async () => {
	const { user, password } = await createUser();
	made.add(user.username);
	// The account's usual phone signs in once: the server knows it now.
	expectStatus(await attempt(user.username, password, ip('192.0.2.20')), 200, 'first sign-in');
	// Ten addresses, one guess each: no (username, address) pair and no
	// address reaches its limit, but the account is under attack.
	for (let i = 1; i <= 10; i++) {
		const res = await attempt(user.username, 'not-the-password', ip(`198.51.100.${100 + i}`));
		assert.equal(res.status, 400, `guess ${i}`);
	}
	assert.equal(failuresOf(user.username), 10);
	// A device that never signed in to this account waits...
	const sessions = sessionsOf(user.username);
	expectThrottled(await attempt(user.username, password, ip('203.0.113.50')), 'a new device');
	expectThrottled(await attempt(user.username, 'not-the-password', ip('203.0.113.51')), 'a new device guessing');
	assert.equal(failuresOf(user.username), 10, 'refused tries are not counted');
	assert.equal(sessionsOf(user.username), sessions, 'no session from a refused try');
	// ...the known one signs in with the right password.
	expectStatus(await attempt(user.username, password, ip('192.0.2.20')), 200, 'the known device');
	assert.equal(sessionsOf(user.username), sessions + 1);
	// Another account is not concerned at all.
	const other = await createUser();
	made.add(other.user.username);
	expectStatus(await attempt(other.user.username, other.password, ip('203.0.113.50')), 200);
});

test('thirty failures from one address still stop that address, and only it', async () => {
	const { user, password } = await createUser();
	made.add(user.username);
	const from = ip('198.51.100.200');
	for (let i = 1; i <= 30; i++) {
		const res = await attempt(ghost(), 'wrong-password', from);
		assert.equal(res.status, 400, `failure ${i}`);
	}
	const sessions = sessionsOf(user.username);
	expectThrottled(await attempt(user.username, password, from), 'right password from the address');
	expectThrottled(await attempt(ghost(), 'x-x-x-x-x-x', from), 'anyone from the address');
	assert.equal(sessionsOf(user.username), sessions);
	expectStatus(await attempt(user.username, password, ip('198.51.100.201')), 200, 'from elsewhere');
});

test('five failures for one account from one address stop that pair', async () => {
	const { user, password } = await createUser();
	made.add(user.username);
	const from = ip('192.0.2.30');
	for (let i = 1; i <= 5; i++)
		assert.equal((await attempt(user.username, `nope-${i}-nope`, from)).status, 400);
	expectThrottled(await attempt(user.username, password, from), 'the pair');
	expectStatus(await attempt(user.username, password, ip('192.0.2.31')), 200, 'the account from elsewhere');
});

test('X-Forwarded-For: the right-most address that is not a trusted proxy is the client', async () => {
	const { user, password } = await createUser();
	made.add(user.username);
	// A client spoofs the left part; the front appends the real address.
	for (let i = 1; i <= 30; i++) {
		const res = await attempt(ghost(), 'wrong-password',
		    { 'X-Forwarded-For': `203.0.113.${i}, 198.51.100.150` });
		assert.equal(res.status, 400, `failure ${i}`);
	}
	expectThrottled(await attempt(user.username, password,
	    { 'X-Forwarded-For': '203.0.113.99, 198.51.100.150' }), 'the real address is throttled');
	// Trusted hops on the right are skipped.
	expectThrottled(await attempt(user.username, password,
	    { 'X-Forwarded-For': '198.51.100.150, 127.0.0.1' }), 'behind a second local hop');
	expectStatus(await attempt(user.username, password,
	    { 'X-Forwarded-For': '198.51.100.150, 198.51.100.151' }), 200, 'another client');
	// IPv6 counts by /64: one host's neighbours are the same client.
	for (let i = 1; i <= 30; i++)
		assert.equal((await attempt(ghost(), 'wrong-password', ip(`2001:db8:7:1::${i.toString(16)}`))).status, 400);
	expectThrottled(await attempt(user.username, password, ip('2001:db8:7:1:ffff::1')), 'same /64');
	expectStatus(await attempt(user.username, password, ip('2001:db8:7:2::1')), 200, 'another /64');
});

test('X-Real-IP and X-Forwarded-For are ignored from a peer that is not a trusted proxy', async () => {
	// 127.0.0.1's own key: a failure from the main server, no headers.
	const probe = ghost();
	assert.equal((await attempt(probe, 'wrong-password')).status, 400);
	const local = sql('select client from sign_in_failure where username = $1', [probe]);
	const srv = await startServer({ NGAN_TRUSTED_PROXIES: '192.0.2.0/24,2001:db8::/32' }, 'untrusted');
	try {
		const { user, password } = await createUser();
		made.add(user.username);
		// A failure claiming another address is 127.0.0.1's.
		const first = ghost();
		const res1 = await attempt(first, 'wrong-password', {
		    'X-Real-IP': '198.51.100.1', 'X-Forwarded-For': '203.0.113.1' }, srv.base);
		assert.equal(res1.status, 400);
		assert.equal(sql('select client from sign_in_failure where username = $1', [first]), local,
		    'counted as the peer, 127.0.0.1');
		// Up to 30 (the rest of the suite failed some from here too),
		// each claiming another address: 127.0.0.1 is stopped.
		const have = sqlInt(`select count(*) from sign_in_failure where client = $1
		    and at > now() - interval '15 minutes'`, [local]);
		assert.ok(have < 30, `127.0.0.1 already has ${have} failures`);
		for (let i = have + 1; i <= 30; i++) {
			const res = await attempt(ghost(), 'wrong-password', {
			    'X-Real-IP': `198.51.100.${i}`, 'X-Forwarded-For': `203.0.113.${i}` }, srv.base);
			assert.equal(res.status, 400, `failure ${i}`);
		}
		const res = await attempt(user.username, password, ip('198.51.100.222'), srv.base);
		assert.equal(res.status, 429, 'a spoofed header does not escape the address limit');
		assert.ok(Number(res.headers.get('retry-after')) > 0);
	} finally {
		// Those failures are 127.0.0.1's: remove them before the suite
		// signs in again.
		for (const name of made)
			sql('delete from sign_in_failure where username = $1', [name]);
		await srv.stop();
	}
	expectStatus(await attempt('admin', DEMO_PASSWORD), 200, 'the suite signs in again');
});

test('a bad NGAN_TRUSTED_PROXIES stops the server with a clear message', async () => {
	for (const [bad, named] of [['10.0.0.0/33', '10.0.0.0/33'], ['not-an-address', 'not-an-address'],
	    ['192.0.2.1,,10.0.0.0/8', 'empty'], ['::1/129', '::1/129'], ['10.0.0.0/8;rm', '10.0.0.0/8;rm'],
	    ['10.0.0.0/-1', '10.0.0.0/-1'], ['300.1.1.1', '300.1.1.1'], ['fe80::1%eth0', 'fe80::1%eth0']]) {
		let srv;
		try {
			srv = await startServer({ NGAN_TRUSTED_PROXIES: bad }, 'badcidr');
		} catch (e) {
			assert.match(e.message, /NGAN_TRUSTED_PROXIES/, `${bad}: the message names the variable`);
			assert.ok(e.message.includes(named), `${bad}: the message names "${named}": ${e.message}`);
			continue;
		}
		await srv.stop();
		assert.fail(`NGAN_TRUSTED_PROXIES=${bad}: the server started`);
	}
});

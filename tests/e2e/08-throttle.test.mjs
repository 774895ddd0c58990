// Login throttling (sql/api/auth.sql): five failed password logins for one
// username from one client within 15 minutes, or 30 from one client,
// answer 429 + Retry-After even with the right password, for that pair or
// that client only. Each test speaks from its own X-Real-IP (the suite's
// peer, 127.0.0.1, is a trusted proxy), so 127.0.0.1's own counters never
// move; tests/e2e/70-trusted-proxies.test.mjs has the attacks.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createUser, expectStatus, expectProblem, sql, sqlInt, tokenRequest,
    uniq } from './lib.mjs';

const names = new Set();

const attempt = (username, password, from) =>
    tokenRequest({ grant_type: 'password', username, password },
    { headers: { 'X-Real-IP': from } });

async function freshUser() {
	const made = await createUser();
	names.add(made.user.username);
	return made;
}

function expectThrottled(res, msg) {
	expectProblem(res, 429, 'too-many-requests', msg);
	const wait = Number(res.headers.get('retry-after'));
	assert.ok(Number.isInteger(wait) && wait > 0 && wait <= 15 * 60,
	    `${msg}: Retry-After is whole seconds within the 15-minute window: ${res.headers.get('retry-after')}`);
	assert.ok(!('access_token' in res.json));
	return wait;
}

after(() => {
	for (const name of names)
		sql('delete from sign_in_failure where username = $1', [name]);
});

test('five failed logins for one username from one client lock that pair (429 + Retry-After), even with the right password', async () => {
	const { user, password } = await freshUser();
	const from = '192.0.2.81';
	const sessions = () => sqlInt('select count(*) from auth_session where user_id = $1::uuid', [user.id]);
	for (let i = 1; i <= 5; i++) {
		const res = await attempt(user.username, `wrong-password-${i}`, from);
		assert.equal(res.status, 400, `failure ${i}: ${res.text}`);
		assert.equal(res.json.error, 'invalid_grant');
	}
	const before = sessions();
	const wait = expectThrottled(await attempt(user.username, password, from), 'right password after 5 failures');
	assert.ok(wait > 15 * 60 - 120, `about 15 minutes to wait, got ${wait}`);
	expectThrottled(await attempt(user.username, 'wrong-again', from), 'wrong password while locked');
	assert.equal(sessions(), before, 'no session opened while locked');
	assert.equal(sqlInt('select count(*) from sign_in_failure where username = $1', [user.username]), 5,
	    'refused tries are not counted');

	// Other accounts from the same client are not affected.
	const other = await freshUser();
	expectStatus(await attempt(other.user.username, other.password, from), 200);

	// When the window has passed (simulated by ageing the failures), the right password works.
	sql(`update sign_in_failure set at = at - interval '16 minutes' where username = $1`, [user.username]);
	expectStatus(await attempt(user.username, password, from), 200, 'after the window');
});

test('a successful login resets the counter of its pair', async () => {
	const { user, password } = await freshUser();
	const from = '192.0.2.82';
	for (let i = 0; i < 4; i++)
		assert.equal((await attempt(user.username, 'nope-nope-nope', from)).status, 400);
	expectStatus(await attempt(user.username, password, from), 200);
	for (let i = 0; i < 4; i++)
		assert.equal((await attempt(user.username, 'nope-nope-nope', from)).status, 400);
	expectStatus(await attempt(user.username, password, from), 200);
});

test('thirty failed logins from one client lock that client', async () => {
	const { user, password } = await freshUser();
	const from = '192.0.2.83';
	// Different unknown usernames: no username reaches its own limit.
	for (let i = 0; i < 30; i++) {
		const name = uniq(`ghost${i}.`);
		names.add(name);
		const res = await attempt(name, 'wrong-password', from);
		assert.equal(res.status, 400, `failure ${i + 1}: ${res.text}`);
	}
	expectThrottled(await attempt(user.username, password, from), 'right password from a locked client');
	expectStatus(await attempt(user.username, password, '192.0.2.84'), 200, 'from another client');
});

// Login throttling: 5 failed password logins for one username within 15
// minutes, or 30 from one address, answer 429 + Retry-After even with the
// right password. Fresh accounts are used so the demo accounts never lock;
// the per-address failures are cleared afterwards so later tests (and a
// second run against the same database) can still sign in.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { api, login, tokenRequest, createUser, expectStatus, expectProblem, sql, sqlInt,
    uniq } from './lib.mjs';

const attempt = (username, password) =>
    tokenRequest({ grant_type: 'password', username, password });

function expectThrottled(res, msg) {
	expectProblem(res, 429, 'too-many-requests', msg);
	const wait = Number(res.headers.get('retry-after'));
	assert.ok(Number.isInteger(wait) && wait > 0 && wait <= 15 * 60,
	    `${msg}: Retry-After is whole seconds within the 15-minute window: ${res.headers.get('retry-after')}`);
	assert.ok(!('access_token' in res.json));
	return wait;
}

after(() => {
	// The address counter is shared by every test that logs in from here.
	sql("delete from login_failure where key like 'a:%'");
});

test('five failed logins for one username lock it (429 + Retry-After), even with the right password', async () => {
	const { user, password } = await createUser();
	const sessions = () => sqlInt('select count(*) from auth_session where user_id = $1::uuid', [user.id]);
	for (let i = 1; i <= 5; i++) {
		const res = await attempt(user.username, `wrong-password-${i}`);
		assert.equal(res.status, 400, `failure ${i}: ${res.text}`);
		assert.equal(res.json.error, 'invalid_grant');
	}
	const before = sessions();
	const wait = expectThrottled(await attempt(user.username, password), 'right password after 5 failures');
	assert.ok(wait > 15 * 60 - 120, `about 15 minutes to wait, got ${wait}`);
	expectThrottled(await attempt(user.username, 'wrong-again'), 'wrong password while locked');
	assert.equal(sessions(), before, 'no session opened while locked');

	// Other accounts are not affected.
	await login('organizer');
	const other = await createUser();
	await login(other.user.username, other.password);

	// When the window has passed (simulated by ageing the failures), the right password works.
	sql(`update login_failure set at = at - interval '16 minutes' where key = $1`,
	    [`u:${user.username}`]);
	expectStatus(await attempt(user.username, password), 200, 'after the window');
});

test('a successful login resets the username counter', async () => {
	const { user, password } = await createUser();
	for (let i = 0; i < 4; i++)
		assert.equal((await attempt(user.username, 'nope-nope-nope')).status, 400);
	await login(user.username, password);
	for (let i = 0; i < 4; i++)
		assert.equal((await attempt(user.username, 'nope-nope-nope')).status, 400);
	await login(user.username, password);
});

test('thirty failed logins from one address lock that address', async () => {
	sql("delete from login_failure where key like 'a:%'");
	const { user, password } = await createUser();
	// Different unknown usernames: no username reaches its own limit.
	for (let i = 0; i < 30; i++) {
		const res = await attempt(uniq(`ghost${i}.`), 'wrong-password');
		assert.equal(res.status, 400, `failure ${i + 1}: ${res.text}`);
	}
	expectThrottled(await attempt(user.username, password), 'right password from a locked address');
	sql("delete from login_failure where key like 'a:%'");
	await login(user.username, password);
});

// Staff accounts: role checks, create with validation and 409, get with
// ETag, PATCH with If-Match (428/412), deactivation and password change
// ending sessions, listing with filters and pagination.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, login, tokenRequest, expectStatus, expectProblem, expectFieldError, expectBadQuery,
    expectUnauthorized, createUser, createAgency, decodeJwt, sql, sqlInt, unchanged, uniq,
    newUuid, strongPassword, DEMO, LAMPANG_AGENCY, PHICHIT_AGENCY, ETAG_RE, etagOf } from './lib.mjs';

let admin;
before(async () => {
	admin = await tokenFor('admin');
});

const post = (body, token = admin) => api('POST', '/v1/users', { token, body });
const patch = (id, body, etag, token = admin) => api('PATCH', `/v1/users/${id}`,
    { token, body, headers: etag === undefined ? {} : { 'If-Match': etag } });
const version = (id) => sqlInt('select version from app_user where id = $1::uuid', [id]);

function newUserBody(overrides = {}) {
	return {
	    username: uniq('user.'),
	    display_name: 'นางสาวสมหญิง รักงาน',
	    role: 'scanner',
	    agency_id: LAMPANG_AGENCY,
	    password: strongPassword(),
	    ...overrides,
	};
}

test('a scanner calling POST /v1/users gets 403 and nothing is stored', async () => {
	const body = newUserBody();
	await unchanged(async () => {
		expectProblem(await post(body, await tokenFor('scanner')), 403, 'forbidden');
		expectProblem(await post(newUserBody(), await tokenFor('partner')), 403, 'forbidden');
	}, ['app_user']);
	assert.equal(sqlInt('select count(*) from app_user where username = $1', [body.username]), 0);
});

test('admin creates accounts of every role; the password is stored as argon2id', async () => {
	for (const role of ['admin', 'organizer', 'scanner', 'partner']) {
		const body = newUserBody({ role, agency_id: role === 'admin' ? null : PHICHIT_AGENCY });
		const res = await post(body);
		expectStatus(res, 201, role);
		const u = res.json;
		assert.equal(u.username, body.username);
		assert.equal(u.display_name, body.display_name);
		assert.equal(u.role, role);
		assert.equal(u.agency_id, body.agency_id);
		assert.equal(u.active, true);
		assert.equal(res.headers.get('location'), `/v1/users/${u.id}`);
		assert.match(res.headers.get('etag'), ETAG_RE);
		assert.ok(!('password' in u) && !('password_hash' in u), 'no password in the answer');
		const hash = sql('select password_hash from app_user where id = $1::uuid', [u.id]);
		assert.match(hash, /^\$argon2id\$/);
		assert.ok(!hash.includes(body.password));
		// The new account signs in and sees itself.
		const t = await login(body.username, body.password);
		assert.equal(t.scope, role);
		const me = expectStatus(await api('GET', '/v1/me', { token: t.access_token }), 200).json;
		assert.equal(me.id, u.id);
		assert.equal(me.display_name, 'นางสาวสมหญิง รักงาน');
	}
	// A Thai password works too.
	const thai = newUserBody({ password: 'รหัสผ่านภาษาไทยยาวพอ' });
	expectStatus(await post(thai), 201);
	await login(thai.username, thai.password);
});

test('organizers create scanners of their own agency only', async () => {
	const org = await tokenFor('organizer');
	const ok = await post(newUserBody({ role: 'scanner', agency_id: LAMPANG_AGENCY }), org);
	expectStatus(ok, 201);
	assert.equal(ok.json.agency_id, LAMPANG_AGENCY);
	for (const body of [
	    newUserBody({ role: 'scanner', agency_id: PHICHIT_AGENCY }),
	    newUserBody({ role: 'organizer', agency_id: LAMPANG_AGENCY }),
	    newUserBody({ role: 'admin', agency_id: null }),
	    newUserBody({ role: 'partner', agency_id: LAMPANG_AGENCY }),
	]) {
		await unchanged(async () => {
			expectProblem(await post(body, org), 403, 'forbidden', `${body.role} in ${body.agency_id}`);
		}, ['app_user']);
	}
});

test('a taken username is 409 conflict and nothing changes', async () => {
	const { user } = await createUser();
	await unchanged(async () => {
		expectProblem(await post(newUserBody({ username: user.username })), 409, 'conflict');
		expectProblem(await post(newUserBody({ username: 'admin', role: 'admin', agency_id: null })),
		    409, 'conflict');
	}, ['app_user', 'user_versions']);
	assert.equal(sqlInt('select count(*) from app_user where username = $1', [user.username]), 1);
});

test('user validation: each bad field named with its code, nothing stored', async () => {
	const cases = [
	    [{ username: undefined }, 'username', 'required'],
	    [{ display_name: undefined }, 'display_name', 'required'],
	    [{ role: undefined }, 'role', 'required'],
	    [{ password: undefined }, 'password', 'required'],
	    [{ username: 'ab' }, 'username', ['format', 'length']],
	    [{ username: 'Admin.Two' }, 'username', 'format'],
	    [{ username: '.leadingdot' }, 'username', 'format'],
	    [{ username: 'สมชาย' }, 'username', 'format'],
	    [{ username: `a${'b'.repeat(64)}` }, 'username', ['format', 'length']],
	    [{ username: 12345 }, 'username', 'type'],
	    [{ display_name: '' }, 'display_name', 'length'],
	    [{ display_name: 'ก'.repeat(201) }, 'display_name', 'length'],
	    [{ display_name: { th: 'x' } }, 'display_name', 'type'],
	    [{ role: 'root' }, 'role', 'enum'],
	    [{ role: ['scanner'] }, 'role', 'type'],
	    [{ password: 'short-pw1' }, 'password', 'length'],
	    [{ password: 'x'.repeat(201) }, 'password', 'length'],
	    [{ password: 1234567890123 }, 'password', 'type'],
	    [{ agency_id: 'not-a-uuid' }, 'agency_id', 'format'],
	    [{ agency_id: 17 }, 'agency_id', 'type'],
	    [{ agency_id: newUuid() }, 'agency_id', 'not_found'],
	    [{ role: 'organizer', agency_id: null }, 'agency_id', 'required'],
	    [{ role: 'scanner', agency_id: undefined }, 'agency_id', 'required'],
	    [{ active: true }, 'active', 'unknown'],
	    [{ email: 'a@example.org' }, 'email', 'unknown'],
	];
	for (const [overrides, field, code] of cases) {
		const body = newUserBody(overrides);
		for (const [k, v] of Object.entries(overrides)) {
			if (v === undefined)
				delete body[k];
		}
		await unchanged(async () => {
			expectFieldError(await post(body), field, code, JSON.stringify(overrides).slice(0, 80));
		}, ['app_user']);
	}
	// 10 and 200 characters are the password limits; 3 and 64 the username's.
	expectStatus(await post(newUserBody({ password: '0123456789' })), 201, '10-char password');
	expectStatus(await post(newUserBody({ password: 'ร'.repeat(200) })), 201, '200-char password');
	let short;
	do {
		short = `u${Math.random().toString(36).slice(2, 4).padEnd(2, '0')}`;
	} while (sqlInt('select count(*) from app_user where username = $1', [short]) > 0);
	expectStatus(await post(newUserBody({ username: short })), 201, '3-char username');
	const long = `${uniq('x')}${'9'.repeat(64)}`.slice(0, 64);
	assert.equal(long.length, 64);
	expectStatus(await post(newUserBody({ username: long })), 201, '64-char username');
});

test('GET /v1/users/{id}: admin, the account itself and its agency organizer; not others', async () => {
	const { user } = await createUser({ role: 'scanner', agency_id: LAMPANG_AGENCY });
	const res = expectStatus(await api('GET', `/v1/users/${user.id}`, { token: admin }), 200);
	assert.deepEqual(res.json, user);
	assert.match(res.headers.get('etag'), ETAG_RE);
	expectStatus(await api('GET', `/v1/users/${user.id}`, { token: await tokenFor('organizer') }), 200);
	for (const who of ['admin', 'organizer', 'scanner', 'partner']) {
		const self = await api('GET', `/v1/users/${DEMO[who].id}`, { token: await tokenFor(who) });
		expectStatus(self, 200, `${who} reads itself`);
		assert.equal(self.json.id, DEMO[who].id);
	}
	// Organizer of Lampang reading an admin or a Phichit account; scanner reading a colleague.
	const phichit = (await createUser({ role: 'scanner', agency_id: PHICHIT_AGENCY })).user;
	for (const [who, id] of [['organizer', DEMO.admin.id], ['organizer', phichit.id],
	    ['scanner', DEMO.organizer.id], ['scanner', user.id], ['partner', user.id]]) {
		const r = await api('GET', `/v1/users/${id}`, { token: await tokenFor(who) });
		assert.ok(r.status === 403 || r.status === 404, `${who} reading ${id}: ${r.status}`);
		assert.equal(r.headers.get('content-type').split(';')[0], 'application/problem+json');
	}
	for (const id of [newUuid(), 'nope', '1']) {
		expectProblem(await api('GET', `/v1/users/${id}`, { token: admin }), 404, 'not-found', id);
	}
});

test('GET /v1/users: admin sees all, organizer sees own agency, others 403', async () => {
	const all = [];
	let cursor = null;
	do {
		const res = expectStatus(await api('GET',
		    `/v1/users?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
		    { token: admin }), 200);
		all.push(...res.json.items);
		cursor = res.json.next_cursor;
	} while (cursor);
	assert.equal(all.length, sqlInt('select count(*) from app_user'));
	for (const who of ['admin', 'organizer', 'scanner', 'partner'])
		assert.ok(all.some((u) => u.id === DEMO[who].id), `admin sees ${who}`);

	const org = expectStatus(await api('GET', '/v1/users?limit=200', { token: await tokenFor('organizer') }), 200);
	assert.ok(org.json.items.length > 0);
	assert.ok(org.json.items.every((u) => u.agency_id === LAMPANG_AGENCY), 'organizer sees only Lampang');
	assert.ok(org.json.items.some((u) => u.id === DEMO.scanner.id));
	assert.ok(!org.json.items.some((u) => u.id === DEMO.admin.id));

	for (const who of ['scanner', 'partner'])
		expectProblem(await api('GET', '/v1/users', { token: await tokenFor(who) }), 403, 'forbidden', who);
});

test('GET /v1/users filters by role and agency', async () => {
	await createUser({ role: 'scanner', agency_id: PHICHIT_AGENCY });
	let res = expectStatus(await api('GET', '/v1/users?role=scanner&limit=200', { token: admin }), 200);
	assert.ok(res.json.items.length > 0);
	assert.ok(res.json.items.every((u) => u.role === 'scanner'));
	res = expectStatus(await api('GET', `/v1/users?agency=${PHICHIT_AGENCY}&limit=200`, { token: admin }), 200);
	assert.ok(res.json.items.length > 0);
	assert.ok(res.json.items.every((u) => u.agency_id === PHICHIT_AGENCY));
	res = expectStatus(await api('GET', `/v1/users?agency=${PHICHIT_AGENCY}&role=admin`, { token: admin }), 200);
	assert.deepEqual(res.json.items, []);
	assert.equal(res.json.next_cursor, null);
	expectBadQuery(await api('GET', '/v1/users?role=root', { token: admin }), 'role');
	expectBadQuery(await api('GET', '/v1/users?agency=not-a-uuid', { token: admin }), 'agency');
});

test('users pagination: walk with limit 2 sees each account once; bad limit 422, bad cursor 400', async () => {
	const agency = await createAgency({ name: 'สำนักงานสำหรับทดสอบการแบ่งหน้า' });
	const made = [];
	for (let i = 0; i < 5; i++)
		made.push((await createUser({ role: 'scanner', agency_id: agency.id })).user.id);
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const res = expectStatus(await api('GET', `/v1/users?agency=${agency.id}&limit=2` +
		    (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''), { token: admin }), 200);
		assert.ok(res.json.items.length <= 2);
		seen.push(...res.json.items.map((u) => u.id));
		cursor = res.json.next_cursor;
		pages++;
	} while (cursor && pages < 100);
	assert.deepEqual(seen, made, 'every account once, in creation order');
	assert.equal(pages, 3);

	for (const limit of ['0', '201', 'ten', '-5', '2.0'])
		expectFieldError(await api('GET', `/v1/users?limit=${limit}`, { token: admin }), 'limit', undefined, limit);
	for (const cursor of ['bogus', Buffer.from('1:2').toString('base64url')])
		expectProblem(await api('GET', `/v1/users?cursor=${cursor}`, { token: admin }), 400, 'bad-request');
});

test('PATCH needs If-Match: 428 without, 412 when stale, 200 with the current ETag', async () => {
	const { user, etag } = await createUser();
	assert.match(etag, ETAG_RE);
	assert.equal(etag, await etagOf(`/v1/users/${user.id}`, admin), 'the 201 carries the tag GET gives');
	await unchanged(async () => {
		expectProblem(await patch(user.id, { display_name: 'ชื่อใหม่' }), 428, 'precondition-required');
		expectProblem(await patch(user.id, { display_name: 'ชื่อใหม่' }, '"0"'), 412, 'precondition-failed');
		expectProblem(await patch(user.id, { display_name: 'ชื่อใหม่' }, '"1"'), 412, 'precondition-failed');
		expectProblem(await patch(user.id, { display_name: 'ชื่อใหม่' }, `W/${etag}`), 412, 'precondition-failed');
	}, ['user_versions']);
	assert.equal(version(user.id), 1);

	const res = await patch(user.id, { display_name: 'นายทดสอบ แก้ไขแล้ว' }, etag);
	expectStatus(res, 200);
	assert.equal(res.json.display_name, 'นายทดสอบ แก้ไขแล้ว');
	assert.match(res.headers.get('etag'), ETAG_RE);
	assert.notEqual(res.headers.get('etag'), etag);
	assert.equal(version(user.id), 2);
	assert.equal(sql('select display_name from app_user where id = $1::uuid', [user.id]), 'นายทดสอบ แก้ไขแล้ว');
	const got = expectStatus(await api('GET', `/v1/users/${user.id}`, { token: admin }), 200);
	assert.equal(got.headers.get('etag'), res.headers.get('etag'));
	assert.deepEqual(got.json, res.json);

	// The old ETag is now stale.
	await unchanged(async () => {
		expectProblem(await patch(user.id, { display_name: 'อีกครั้ง' }, etag), 412, 'precondition-failed');
	}, ['user_versions']);
	// Role and agency change together.
	const moved = expectStatus(await patch(user.id, { role: 'organizer', agency_id: PHICHIT_AGENCY },
	    got.headers.get('etag')), 200);
	assert.equal(moved.json.role, 'organizer');
	assert.equal(moved.json.agency_id, PHICHIT_AGENCY);
	assert.equal(version(user.id), 3);
	assert.notEqual(moved.headers.get('etag'), got.headers.get('etag'));
});

test('PATCH is admin only; unknown or malformed ids are 404', async () => {
	const { user, etag } = await createUser({ role: 'scanner', agency_id: LAMPANG_AGENCY });
	for (const who of ['organizer', 'scanner', 'partner']) {
		await unchanged(async () => {
			expectProblem(await patch(user.id, { display_name: 'ไม่ได้รับอนุญาต' }, etag,
			    await tokenFor(who)), 403, 'forbidden', who);
		}, ['user_versions']);
	}
	// Not even on oneself.
	expectProblem(await patch(DEMO.scanner.id, { display_name: 'x' }, '"1"', await tokenFor('scanner')),
	    403, 'forbidden');
	expectProblem(await patch(newUuid(), { display_name: 'x' }, '"1"'), 404, 'not-found');
	expectProblem(await patch('not-a-uuid', { display_name: 'x' }, '"1"'), 404, 'not-found');
});

test('PATCH validation: bad fields named, nothing changes', async () => {
	const { user, etag } = await createUser({ role: 'scanner', agency_id: LAMPANG_AGENCY });
	const cases = [
	    [{ display_name: 5 }, 'display_name', 'type'],
	    [{ display_name: '' }, 'display_name', 'length'],
	    [{ active: 'no' }, 'active', 'type'],
	    [{ active: 0 }, 'active', 'type'],
	    [{ role: 'superuser' }, 'role', 'enum'],
	    [{ password: 'short' }, 'password', 'length'],
	    [{ agency_id: 'x' }, 'agency_id', 'format'],
	    [{ agency_id: newUuid() }, 'agency_id', 'not_found'],
	    [{ agency_id: null }, 'agency_id', 'required'],
	    [{ username: 'renamed' }, 'username', 'unknown'],
	    [{ id: newUuid() }, 'id', 'unknown'],
	];
	for (const [body, field, code] of cases) {
		await unchanged(async () => {
			expectFieldError(await patch(user.id, body, etag), field, code, JSON.stringify(body));
		}, ['user_versions', 'revoked_sessions']);
	}
	assert.equal(version(user.id), 1);
});

test('deactivating an account ends its sessions and blocks login; reactivating restores it', async () => {
	const { user, password } = await createUser();
	const t = await login(user.username, password);
	const sid = decodeJwt(t.access_token).payload.sid;
	const res = expectStatus(await patch(user.id, { active: false },
	    await etagOf(`/v1/users/${user.id}`, admin)), 200);
	assert.equal(res.json.active, false);
	assert.equal(sql('select active from app_user where id = $1::uuid', [user.id]), 'f');
	assert.equal(sql('select revoked_at is not null from auth_session where id = $1::uuid', [sid]), 't');

	const denied = await tokenRequest({ grant_type: 'password', username: user.username, password });
	assert.equal(denied.status, 400, denied.text);
	assert.equal(denied.json.error, 'invalid_grant');
	const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.error, 'invalid_grant');
	expectUnauthorized(await api('GET', '/v1/me', { token: t.access_token }));
	assert.equal(sqlInt('select count(*) from auth_session where user_id = $1::uuid and revoked_at is null',
	    [user.id]), 0, 'no live session');

	expectStatus(await patch(user.id, { active: true }, res.headers.get('etag')), 200);
	await login(user.username, password);
});

test('changing the password ends sessions; only the new password works', async () => {
	const { user, password } = await createUser();
	const t = await login(user.username, password);
	const next = strongPassword();
	expectStatus(await patch(user.id, { password: next }, await etagOf(`/v1/users/${user.id}`, admin)), 200);
	const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh_token });
	assert.equal(r.json.error, 'invalid_grant', r.text);
	const old = await tokenRequest({ grant_type: 'password', username: user.username, password });
	assert.equal(old.status, 400, old.text);
	assert.equal(old.json.error, 'invalid_grant');
	await login(user.username, next);
	assert.ok(!sql('select password_hash from app_user where id = $1::uuid', [user.id]).includes(next));
});

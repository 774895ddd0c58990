// Schema api made again under a running server (issue 16, item 1). The
// server prepares its statements once per pooled connection; after
// sql/api/reload.sql drops and makes the schema, those name types and
// functions that are gone (binding one typed api.live_actor fails with
// "cache lookup failed for type", before api/db.c prepared it again). A
// server on a database of the test's own keeps answering, with the new
// code, while another process (scripts/migrate.sh from a copy of the
// repository with one function changed) reloads, while requests are in
// flight, and again when the repository's files come back. A write
// prepared before a reload is done once, not twice.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_EVENTS, DEMO_PASSWORD, LAMPANG_AGENCY, uniq, validateResponse } from './lib.mjs';
import { ADMIN_URL, ROOT, demoHash, dropDb, makeDb, migrate, psql } from './migrate-lib.mjs';
import { startServer } from './server-lib.mjs';

const DB = `ngan_reload_${process.pid}_${Date.now()}`;
const tmp = mkdtempSync(join(tmpdir(), 'ngan-reload-'));
let dbUrl = '';
let srv = null;

// A request to the test's server, validated against openapi.yaml.
async function call(method, path, { token, body } = {}) {
	const headers = { accept: 'application/json, application/problem+json', 'accept-language': 'en' };
	if (token)
		headers.authorization = `Bearer ${token}`;
	if (body !== undefined)
		headers['content-type'] = 'application/json';
	const r = await fetch(srv.base + path, { method, headers,
	    body: body === undefined ? undefined : JSON.stringify(body),
	    signal: AbortSignal.timeout(15000) });
	const text = await r.text();
	const res = { status: r.status, headers: r.headers, text,
	    json: text ? JSON.parse(text) : undefined };
	validateResponse(method, path, res);
	return res;
}

const MISSING = '00000000-0000-4000-8000-00000000dead';
let token = '';
let expected = {};

// The answers that must not change: /v1/me, an agency (its statement
// binds the caller as api.live_actor), an event, the target groups; and
// the 404 whose text the copy changes.
async function answers() {
	const [me, agency, event, groups, missing] = await Promise.all([
		call('GET', '/v1/me', { token }),
		call('GET', `/v1/agencies/${LAMPANG_AGENCY}`, { token }),
		call('GET', `/v1/events/${DEMO_EVENTS.lamphun}`),
		call('GET', '/v1/target-groups', { token }),
		call('GET', `/v1/events/${MISSING}`),
	]);
	return { me: [me.status, me.json], agency: [agency.status, agency.json],
	    event: [event.status, event.json], groups: [groups.status, groups.json],
	    missing: [missing.status, missing.json.detail] };
}

// Creates an agency; asserts 201 and that exactly one row has its name.
async function createAgency() {
	const name = `สำนักงานโหลดใหม่ ${uniq('')}`;
	const res = await call('POST', '/v1/agencies', { token, body: { name, kind: 'other' } });
	assert.equal(res.status, 201, res.text);
	assert.equal(psql(dbUrl, `select count(*) from agency where name = '${name}'`), '1');
}

// A copy of the repository's scripts/ and sql/ whose api.not_found says
// something else: a detail key the catalogue lacks, sent as it is.
function changedCopy() {
	const copy = join(tmp, 'changed');
	cpSync(join(ROOT, 'scripts'), join(copy, 'scripts'), { recursive: true });
	cpSync(join(ROOT, 'sql'), join(copy, 'sql'), { recursive: true });
	const f = join(copy, 'sql', 'api', 'util.sql');
	const text = readFileSync(f, 'utf8');
	const changed = text.replace("select api.problem(404, 'not-found', p_key)",
	    "select api.problem(404, 'not-found', p_key || '.reloaded')");
	assert.notEqual(changed, text, 'util.sql has the text the test changes');
	writeFileSync(f, changed);
	return copy;
}

// How often the server said it prepared its statements again (its log,
// line-buffered by startServer).
const REPLANNED = /schema api changed \((XX000|0A000|42883|42704)\): preparing statements again/g;
function replans() {
	return (srv.log().match(REPLANNED) ?? []).length;
}

function apiOids() {
	return psql(dbUrl, `select string_agg(oid::text, ',' order by oid) from pg_proc
	    where pronamespace = 'api'::regnamespace`);
}

before(async () => {
	assert.ok(ADMIN_URL, 'NGAN_PG_ADMIN_URL (scripts/test.sh passes it to the tests)');
	dbUrl = makeDb(DB);
	const m = await migrate([dbUrl, '--demo', demoHash(DEMO_PASSWORD)]);
	assert.equal(m.code, 0, m.out);
	// One worker, two pooled connections: both get statements prepared.
	srv = await startServer({ DATABASE_URL: dbUrl }, 'reload', { workers: 1, pgsql_conn_max: 2 });
	const t = await call('POST', '/v1/auth/token', { body: { grant_type: 'password',
	    username: 'admin', password: DEMO_PASSWORD } });
	assert.equal(t.status, 200, t.text);
	token = t.json.access_token;
});

after(async () => {
	try {
		if (srv)
			await srv.stop();
		dropDb(DB);
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
});

test('a running server answers with the new code after another process reloads schema api, and writes once', async () => {
	// Statements prepared on both connections (requests at once).
	expected = await answers();
	assert.deepEqual([expected.me[0], expected.agency[0], expected.event[0], expected.groups[0],
	    expected.missing[0]], [200, 200, 200, 200, 404], JSON.stringify(expected));
	assert.equal(expected.me[1].username, 'admin');
	assert.equal(expected.missing[1], 'No event with that id.');
	await createAgency();
	await answers();
	assert.equal(replans(), 0);

	const oids = apiOids();
	const r = await migrate([dbUrl], { root: changedCopy() });
	assert.equal(r.code, 0, r.out);
	assert.match(r.out, /^migrate: loading schema api from sql\/api\/$/m, r.out);
	assert.notEqual(apiOids(), oids, 'schema api was made again');

	// The same answers, the changed function's new text, on both
	// connections; the write prepared before is done once.
	for (let i = 0; i < 3; i++) {
		const now = await answers();
		assert.deepEqual(now, { ...expected, missing: [404, 'not_found.event.reloaded'] });
	}
	await createAgency();
	// Prepared again, not answered by chance: the server said so.
	assert.ok(replans() >= 1, srv.log());
});

test('requests in flight while the repository\'s files are loaded again all answer as before', async () => {
	const oids = apiOids();
	const before = replans();
	let done = false;
	const results = [];
	const reload = migrate([dbUrl]).then((res) => { done = true; return res; });
	// Three clients asking until the reload is over, and once after.
	await Promise.all([0, 1, 2].map(async () => {
		let last = false;
		while (!last) {
			last = done;
			results.push(await answers());
		}
	}));
	const r = await reload;
	assert.equal(r.code, 0, r.out);
	assert.match(r.out, /^migrate: loading schema api from sql\/api\/$/m, r.out);
	assert.notEqual(apiOids(), oids, 'schema api was made again');
	assert.ok(results.length >= 3);
	// Every answer is one of the two versions; the last ones the repository's.
	for (const a of results) {
		assert.deepEqual({ ...a, missing: null }, { ...expected, missing: null });
		assert.ok(['No event with that id.', 'not_found.event.reloaded'].includes(a.missing[1]),
		    JSON.stringify(a.missing));
	}
	assert.deepEqual(await answers(), expected);
	await createAgency();

	assert.ok(replans() > before, srv.log());

	// Nothing to complain of, from start to end.
	await srv.stop();
	const log = srv.log();
	srv = null;
	assert.doesNotMatch(log, /query failed|no result row| 500 /, log);
});

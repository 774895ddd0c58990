// Deployment (issue 15, item 7): migrations under a PostgreSQL advisory
// lock. Two servers that start together on one new database both run
// scripts/migrate.sh; on main they raced (two "create table if not
// exists" collide in pg_type, a migration is applied twice and fails).
// Here two runs start at the same moment on a database made for the test
// (with the demo data, as make run loads it): both succeed, one applies
// every migration and loads schema api, the other waits and finds them
// applied and api loaded, each migration is recorded once with its file's
// checksum, the schema matches the suite's database and the demo data is
// there once. The database is made with the superuser URL scripts/test.sh
// hands the tests (NGAN_PG_ADMIN_URL) and dropped afterwards.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DATABASE_URL, DEMO_PASSWORD } from './lib.mjs';
import { ADMIN_URL, ROOT, demoHash, dropDb, makeDb, migrate, psql } from './migrate-lib.mjs';

const DB = `ngan_migrate_${process.pid}_${Date.now()}`;
const tmp = mkdtempSync(join(tmpdir(), 'ngan-migrate-'));

// Tables, columns, functions, indexes and constraints outside the system
// schemas, one per line: equal when two databases have the same schema.
function schemaOf(url) {
	return psql(url, `
	    select string_agg(x, E'\\n' order by x) from (
		select 'column ' || table_schema || '.' || table_name || '.' ||
		    column_name || ' ' || data_type as x
		from information_schema.columns
		where table_schema not in ('pg_catalog', 'information_schema')
		union all
		select 'function ' || p.oid::regprocedure::text
		from pg_proc p join pg_namespace n on n.oid = p.pronamespace
		where n.nspname not in ('pg_catalog', 'information_schema')
		union all
		select 'index ' || schemaname || '.' || indexname from pg_indexes
		where schemaname not in ('pg_catalog', 'information_schema')
		union all
		select 'constraint ' || conrelid::regclass::text || '.' || conname
		from pg_constraint where connamespace not in
		    ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
	    ) s`);
}

const migrations = readdirSync(join(ROOT, 'sql', 'migrations')).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort();
let dbUrl = '';

before(() => {
	assert.ok(ADMIN_URL, 'NGAN_PG_ADMIN_URL (scripts/test.sh passes it to the tests)');
	// As scripts/pg.sh makes the suite's database: owned by the app role,
	// the extensions made by the superuser.
	dbUrl = makeDb(DB);
});

after(() => {
	try {
		dropDb(DB);
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
});

test('two migration runs started together on a new database: both succeed, each migration applied once', async () => {
	const hash = demoHash(DEMO_PASSWORD);
	// One as make run calls it (the URL an argument), one as the
	// container does (the URL from DATABASE_URL_FILE).
	const urlFile = join(tmp, 'database-url');
	writeFileSync(urlFile, `${dbUrl}\n`, { mode: 0o600 });
	const [a, b] = await Promise.all([
		migrate([dbUrl, '--demo', hash]),
		migrate(['--demo', hash], { env: { DATABASE_URL: '', DATABASE_URL_FILE: urlFile } }),
	]);
	assert.equal(a.code, 0, `run A failed:\n${a.out}`);
	assert.equal(b.code, 0, `run B failed:\n${b.out}`);

	const applying = (r) => (r.out.match(/^migrate: applying /gm) ?? []).length;
	const [first, second] = applying(a) > 0 ? [a, b] : [b, a];
	assert.equal(applying(first), migrations.length, `one run applies them all:\n${first.out}`);
	assert.match(first.out, new RegExp(`^migrate: ${migrations.length} migration\\(s\\) applied$`, 'm'));
	assert.equal(applying(second), 0, `the other applies none:\n${second.out}`);
	// Schema api loaded once, by the run that applied the migrations.
	assert.match(first.out, /^migrate: loading schema api from sql\/api\/$/m, first.out);
	assert.doesNotMatch(second.out, /loading schema api/, second.out);
	assert.match(second.out, /another run holds the migration lock; waiting for it/, second.out);

	// Each migration recorded once, with its file's checksum.
	const rows = psql(dbUrl, 'select version, filename, sha256 from schema_migrations order by version')
	    .split('\n').map((l) => l.split('|'));
	assert.deepEqual(rows.map((r) => r[1]), migrations);
	for (const [version, filename, sha] of rows) {
		assert.equal(version, filename.slice(0, 3));
		assert.equal(sha, createHash('sha256').update(readFileSync(join(ROOT, 'sql', 'migrations', filename))).digest('hex'), filename);
	}
	// The schema is complete: the same as the suite's database.
	assert.deepEqual(schemaOf(dbUrl).split('\n'), schemaOf(DATABASE_URL).split('\n'));

	// The demo data, once: the four accounts, every generated person.
	assert.equal(psql(dbUrl, 'select string_agg(username, \',\' order by username) from app_user'),
	    'admin,organizer,partner,scanner');
	const people = execFileSync('bash', ['scripts/demo-participants.sh', '--ids'], { cwd: ROOT, encoding: 'utf8' })
	    .trim().split('\n').length;
	assert.equal(Number(psql(dbUrl, 'select count(*) from participant')), people);
	const counts = psql(dbUrl, 'select (select count(*) from registration) || \'/\' || (select count(*) from event)');

	// A later run (a restart) changes nothing.
	const c = await migrate([dbUrl, '--demo', hash]);
	assert.equal(c.code, 0, c.out);
	assert.doesNotMatch(c.out, /applying|waiting/);
	assert.equal(psql(dbUrl, 'select count(*) from schema_migrations'), String(migrations.length));
	assert.equal(psql(dbUrl, 'select (select count(*) from registration) || \'/\' || (select count(*) from event)'), counts);
	assert.equal(Number(psql(dbUrl, 'select count(*) from participant')), people);
});

test('migrate.sh refuses DATABASE_URL and DATABASE_URL_FILE both set', async () => {
	const urlFile = join(tmp, 'database-url-2');
	writeFileSync(urlFile, `${dbUrl}\n`, { mode: 0o600 });
	const before = psql(dbUrl, 'select count(*) from schema_migrations');
	const r = await migrate([], { env: { DATABASE_URL: dbUrl, DATABASE_URL_FILE: urlFile } });
	assert.equal(r.code, 1, r.out);
	assert.match(r.out, /^error: DATABASE_URL and DATABASE_URL_FILE are both set: set one$/m);
	assert.ok(!r.out.includes(dbUrl), 'the message does not show the URL');
	assert.equal(psql(dbUrl, 'select count(*) from schema_migrations'), before);
});

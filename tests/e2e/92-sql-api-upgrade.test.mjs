// SQL functions as code (issue 16, item 1): migrations keep tables and
// data (sql/migrations/), schema api is made from sql/api/ whenever its
// files change. A database made by the tree before that change (the
// parent of the commit that moved the migrations, checked out from git)
// upgrades cleanly and ends with the same schema, api catalog included, as
// a new database; loading again with nothing changed does nothing, and
// loading again by force changes nothing but the objects' oids. An edited
// migration is still refused, and a file that fails to load, a file that
// reload.sql does not name, or a table default that uses api leave schema
// api as it was.

import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_PASSWORD } from './lib.mjs';
import { ADMIN_URL, ROOT, demoHash, dropDb, makeDb, migrate, psql } from './migrate-lib.mjs';

const tag = `${process.pid}_${Date.now()}`;
const OLD_DB = `ngan_upgrade_${tag}`;
const NEW_DB = `ngan_fresh_${tag}`;
const tmp = mkdtempSync(join(tmpdir(), 'ngan-upgrade-'));
let oldUrl = '';
let newUrl = '';
let hash = '';

// What schema api holds, one line an object: functions with everything
// that makes them what they are (the body in full), triggers as
// PostgreSQL would write them, types and domains, views; and functions
// outside api that no extension made (there should be none).
function apiCatalog(url) {
	return psql(url, `
	    select string_agg(x, E'\\n' order by x) from (
		select 'function ' || p.oid::regprocedure::text || ' ' ||
		    p.provolatile::text || p.proparallel::text ||
		    p.proisstrict::text || p.prosecdef::text || p.proretset::text ||
		    ' ' || format_type(p.prorettype, null) || ' ' ||
		    coalesce(array_to_string(p.proargnames, ','), '') || ' ' ||
		    coalesce(pg_get_expr(p.proargdefaults, 0), '') || ' ' ||
		    l.lanname || ' ' || coalesce(array_to_string(p.proconfig, ','), '') ||
		    ' ' || p.procost || ' ' || p.prorows || ' ' || p.prosrc as x
		from pg_proc p join pg_language l on l.oid = p.prolang
		where p.pronamespace = 'api'::regnamespace
		union all
		select 'outside api ' || p.oid::regprocedure::text
		from pg_proc p
		where p.pronamespace not in ('api'::regnamespace,
		    'pg_catalog'::regnamespace, 'information_schema'::regnamespace)
		    and not exists (select from pg_depend d
			where d.classid = 'pg_proc'::regclass and d.objid = p.oid and
			    d.deptype = 'e')
		union all
		select 'trigger ' || pg_get_triggerdef(t.oid)
		from pg_trigger t where not t.tgisinternal
		union all
		select 'type ' || t.oid::regtype::text || ' ' || t.typtype::text || ' ' ||
		    coalesce((select string_agg(a.attname || ' ' ||
			format_type(a.atttypid, a.atttypmod), ',' order by a.attnum)
			from pg_attribute a where a.attrelid = t.typrelid and
			a.attnum > 0), '') ||
		    coalesce((select string_agg(pg_get_constraintdef(c.oid), ',')
			from pg_constraint c where c.contypid = t.oid), '') ||
		    coalesce(format_type(t.typbasetype, null), '')
		from pg_type t
		where t.typnamespace = 'api'::regnamespace and t.typtype in ('c', 'd')
		union all
		select 'view ' || schemaname || '.' || viewname || ' ' || definition
		from pg_views
		where schemaname not in ('pg_catalog', 'information_schema')
	    ) s`);
}

// Tables, columns, indexes and constraints (as 82 compares them).
function tables(url) {
	return psql(url, `
	    select string_agg(x, E'\\n' order by x) from (
		select 'column ' || table_schema || '.' || table_name || '.' ||
		    column_name || ' ' || data_type || ' ' ||
		    coalesce(column_default, '') || ' ' || is_nullable as x
		from information_schema.columns
		where table_schema not in ('pg_catalog', 'information_schema')
		union all
		select 'index ' || indexdef from pg_indexes
		where schemaname not in ('pg_catalog', 'information_schema')
		union all
		select 'constraint ' || conrelid::regclass::text || '.' || conname ||
		    ' ' || pg_get_constraintdef(oid)
		from pg_constraint where connamespace = 'public'::regnamespace
	    ) s`);
}

function apiOids(url) {
	return psql(url, `select string_agg(oid::text, ',' order by oid) from pg_proc
	    where pronamespace = 'api'::regnamespace`);
}

before(async () => {
	assert.ok(ADMIN_URL, 'NGAN_PG_ADMIN_URL (scripts/test.sh passes it to the tests)');
	hash = demoHash(DEMO_PASSWORD);
	oldUrl = makeDb(OLD_DB);
	newUrl = makeDb(NEW_DB);
});

after(() => {
	try {
		dropDb(OLD_DB);
		dropDb(NEW_DB);
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
});

test('a database made before sql/api/ upgrades cleanly to the same schema and api catalog as a new one', async () => {
	// The tree before: the parent of the commit that took
	// sql/001_foundation.sql away (moved to sql/migrations/), along main's
	// own line (the merge that brought the move, so the migrations that
	// landed on main meanwhile are in the old tree too).
	const moved = execSync('git rev-list -1 --first-parent HEAD -- sql/001_foundation.sql',
	    { cwd: ROOT, encoding: 'utf8' }).trim();
	assert.match(moved, /^[0-9a-f]{40}$/, 'the history has the move (a clone with history)');
	const old = join(tmp, 'old');
	mkdirSync(old);
	execSync(`git archive ${moved}^ sql scripts | tar -x -C '${old}'`, { cwd: ROOT });
	assert.ok(readFileSync(join(old, 'sql', '001_foundation.sql'), 'utf8').includes('create schema api'));

	// Made and filled (demo data: events, people, registrations, check-ins
	// through the triggers) as make run did then.
	const a = await migrate([oldUrl, '--demo', hash], { root: old });
	assert.equal(a.code, 0, a.out);
	assert.ok(psql(oldUrl, 'select count(*) from registration_feed') > 0);
	const before = psql(oldUrl, `select (select count(*) from registration) || '/' ||
	    (select count(*) from registration_feed) || '/' || (select count(*) from participant)`);

	// Upgraded: only the migrations that came after the old tree applied,
	// schema api loaded, the old checksums still recorded and accepted.
	const b = await migrate([oldUrl, '--demo', hash]);
	assert.equal(b.code, 0, b.out);
	const oldFiles = new Set(readdirSync(join(old, 'sql')).filter((f) => /^\d{3}_.*\.sql$/.test(f)));
	const applied = [...b.out.matchAll(/^migrate: applying (\S+)$/gm)].map((m) => m[1]);
	assert.deepEqual(applied.filter((f) => oldFiles.has(f)), [], b.out);
	assert.match(b.out, /^migrate: loading schema api from sql\/api\/$/m, b.out);
	const oldSums = new Set(readFileSync(join(ROOT, 'sql', 'migrations', 'old-checksums'), 'utf8')
	    .split('\n').filter((l) => /^\d{3} /.test(l)).map((l) => l.split(' ').slice(0, 2).join(' ')));
	const rows = psql(oldUrl, 'select version, filename, sha256 from schema_migrations order by version')
	    .split('\n').map((l) => l.split('|'));
	let oldSum = 0;
	for (const [version, filename, sha] of rows) {
		const now = createHash('sha256').update(readFileSync(join(ROOT, 'sql', 'migrations', filename))).digest('hex');
		assert.ok(sha === now || oldSums.has(`${version} ${sha}`), `${filename}: recorded ${sha}`);
		oldSum += sha === now ? 0 : 1;
	}
	assert.ok(oldSum > 0, 'migrations recorded with their checksums of before');

	// A new database, made by today's tree.
	const c = await migrate([newUrl, '--demo', hash]);
	assert.equal(c.code, 0, c.out);
	assert.match(c.out, /^migrate: loading schema api from sql\/api\/$/m, c.out);

	const upgraded = apiCatalog(oldUrl);
	assert.equal(upgraded, apiCatalog(newUrl));
	assert.doesNotMatch(upgraded, /^outside api /m, 'no function left outside schema api');
	assert.match(upgraded, /^trigger CREATE CONSTRAINT TRIGGER event_quota_sum .* EXECUTE FUNCTION api\.event_quota_check\(\)$/m);
	assert.match(upgraded, /^function api\.ts\(timestamp with time zone\) s/m, 'api.ts stable, as 019 made it');
	assert.equal(tables(oldUrl), tables(newUrl));
	// The data is as it was (the demo run added nothing twice).
	assert.equal(psql(oldUrl, `select (select count(*) from registration) || '/' ||
	    (select count(*) from registration_feed) || '/' || (select count(*) from participant)`), before);
});

test('loading again changes nothing: unchanged files are not loaded, and a forced load makes the same catalog', async () => {
	const catalog = apiCatalog(oldUrl);
	const oids = apiOids(oldUrl);
	const loadedAt = psql(oldUrl, 'select loaded_at from api_checksum');

	const again = await migrate([oldUrl]);
	assert.equal(again.code, 0, again.out);
	assert.doesNotMatch(again.out, /loading|applying/, again.out);
	assert.equal(apiOids(oldUrl), oids, 'nothing dropped');
	assert.equal(psql(oldUrl, 'select loaded_at from api_checksum'), loadedAt);

	const forced = await migrate([oldUrl, '--reload']);
	assert.equal(forced.code, 0, forced.out);
	assert.match(forced.out, /^migrate: loading schema api from sql\/api\/$/m, forced.out);
	assert.notEqual(apiOids(oldUrl), oids, 'made again');
	assert.equal(apiCatalog(oldUrl), catalog);

	const third = await migrate([oldUrl]);
	assert.equal(third.code, 0, third.out);
	assert.doesNotMatch(third.out, /loading/, third.out);
});

test('an edited migration is still refused; a bad or unnamed sql/api file leaves schema api as it was', async () => {
	// A recorded checksum that is neither the file's nor an accepted old one.
	const sum = psql(oldUrl, "select sha256 from schema_migrations where version = '006'");
	psql(oldUrl, `update schema_migrations set sha256 = repeat('0', 64) where version = '006'`);
	const edited = await migrate([oldUrl]);
	psql(oldUrl, `update schema_migrations set sha256 = '${sum}' where version = '006'`);
	assert.equal(edited.code, 1, edited.out);
	assert.match(edited.out, /migration 006 was edited after it was applied/);

	const oids = apiOids(oldUrl);
	const recorded = psql(oldUrl, 'select sha256 || loaded_at from api_checksum');
	const copy = join(tmp, 'bad');
	cpSync(join(ROOT, 'scripts'), join(copy, 'scripts'), { recursive: true });
	cpSync(join(ROOT, 'sql'), join(copy, 'sql'), { recursive: true });

	// A SQL function naming what does not exist: found when the bodies
	// are checked, after every file is in, and the load rolled back.
	const util = join(copy, 'sql', 'api', 'util.sql');
	const text = readFileSync(util, 'utf8');
	const broken = text.replace('select row(p_status, p_body, p_etag, p_location)::api.result',
	    'select row(p_status, p_body, p_etag, p_nowhere)::api.result');
	assert.notEqual(broken, text, 'util.sql has the text the test breaks');
	writeFileSync(util, broken);
	const bad = await migrate([oldUrl], { root: copy });
	assert.equal(bad.code, 1, bad.out);
	assert.match(bad.out, /p_nowhere/);
	assert.match(bad.out, /loading sql\/api\/ failed; schema api is as it was/);
	assert.equal(apiOids(oldUrl), oids);
	assert.equal(psql(oldUrl, 'select sha256 || loaded_at from api_checksum'), recorded);

	// A file reload.sql does not load is refused before anything runs.
	writeFileSync(util, text);
	writeFileSync(join(copy, 'sql', 'api', 'stray.sql'), 'create function api.stray() returns int language sql as $$ select 1 $$;\n');
	const stray = await migrate([oldUrl], { root: copy });
	assert.equal(stray.code, 1, stray.out);
	assert.match(stray.out, /sql\/api\/stray\.sql: sql\/api\/reload\.sql does not load it/);
	assert.equal(apiOids(oldUrl), oids);

	// A column default that uses api would go with the drop: refused,
	// named, nothing changed; loaded once it is gone.
	psql(oldUrl, 'alter table agency add column reload_probe text default api.ts(now())');
	const uses = await migrate([oldUrl, '--reload']);
	assert.equal(uses.code, 1, uses.out);
	assert.match(uses.out, /nothing outside it may use it \(default value for column reload_probe of table agency\)/);
	assert.equal(apiOids(oldUrl), oids);
	assert.equal(psql(oldUrl, 'select count(*) from agency where reload_probe is null'), '0');
	psql(oldUrl, 'alter table agency drop column reload_probe');
	const ok = await migrate([oldUrl, '--reload']);
	assert.equal(ok.code, 0, ok.out);
});

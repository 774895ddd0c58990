// Where SQL lives (issue 16, item 1): every function of schema api has one
// definition, found by one grep, in sql/api/; the function a handler in
// api/<resource>.c calls is in sql/api/<resource>.sql; migrations make
// no function, trigger, type or view; every trigger on a table is made by
// a sql/api file. Checked against what the suite's database really holds.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// grep -rnE pattern sql/: the matching lines as "path:line:text".
function grep(pattern) {
	try {
		return execFileSync('grep', ['-rnE', pattern, 'sql/'], { cwd: ROOT, encoding: 'utf8' })
		    .split('\n').filter(Boolean);
	} catch (e) {
		if (e.status === 1)
			return [];
		throw e;
	}
}

test('one grep finds the one definition of each api function, in sql/api/', () => {
	const rows = sql(`select p.proname, count(*) from pg_proc p
	    where p.pronamespace = 'api'::regnamespace group by 1 order by 1`)
	    .split('\n').map((l) => l.split('|'));
	assert.ok(rows.length > 150, `${rows.length} functions in schema api`);
	for (const [name, overloads] of rows) {
		const hits = grep(`^create function api\\.${name}\\(`);
		// One line each signature (api.import_error and
		// api.ticket_reissue have two).
		assert.equal(hits.length, Number(overloads), `api.${name}: ${hits.join('; ')}`);
		for (const h of hits)
			assert.match(h, /^sql\/api\/[a-z]+\.sql:/, h);
	}
	// Nothing is defined twice or replaced: the reload drops first.
	assert.deepEqual(grep('create or replace'), []);
	assert.deepEqual(grep('^(alter|drop) function api\\.').filter((h) => !h.startsWith('sql/api/reload.sql')), []);
});

test('a handler\'s SQL function is in the sql/api file of its resource', () => {
	let calls = 0;
	for (const f of readdirSync(join(ROOT, 'api')).filter((n) => n.endsWith('.c'))) {
		const resource = f.replace(/\.c$/, '');
		const src = readFileSync(join(ROOT, 'api', f), 'utf8');
		for (const m of new Set([...src.matchAll(/api\.([a-z_0-9]+)\(/g)].map((x) => x[1]))) {
			const hits = grep(`^create function api\\.${m}\\(`);
			assert.ok(hits.length > 0, `api/${f} calls api.${m}, defined nowhere`);
			for (const h of hits)
				assert.ok(h.startsWith(`sql/api/${resource}.sql:`), `api/${f} calls api.${m}: ${h}`);
			calls++;
		}
	}
	assert.ok(calls > 20, `${calls} functions called from api/`);
});

test('every SQL function a route row names (api/main.c) is defined once in sql/api/', () => {
	const src = readFileSync(join(ROOT, 'api', 'main.c'), 'utf8');
	const named = new Set([...src.matchAll(/\.function = "api\.([a-z_0-9]+)"/g)].map((x) => x[1]));
	assert.ok(named.size > 30, `${named.size} functions named by rows`);
	for (const m of named) {
		const hits = grep(`^create function api\\.${m}\\(`);
		assert.equal(hits.length, 1, `api/main.c names api.${m}: ${hits.join('; ')}`);
	}
});

test('migrations hold tables and data only; every trigger is made in sql/api/', () => {
	const code = grep('^\\s*(create|alter|drop)\\s+(or\\s+replace\\s+)?' +
	    '(function|procedure|(constraint\\s+)?trigger|type|domain|view|schema)\\b')
	    .filter((h) => h.startsWith('sql/migrations/'));
	assert.deepEqual(code, []);
	const triggers = sql('select tgname from pg_trigger where not tgisinternal order by 1').split('\n');
	assert.ok(triggers.length >= 9, triggers.join(','));
	for (const t of triggers) {
		const hits = grep(`^create (constraint )?trigger ${t} `);
		assert.equal(hits.length, 1, `trigger ${t}: ${hits.join('; ')}`);
		assert.match(hits[0], /^sql\/api\/[a-z]+\.sql:/);
	}
	// Each trigger's function is in schema api, so the reload makes both.
	assert.equal(sql(`select count(*) from pg_trigger t join pg_proc p on p.oid = t.tgfoid
	    where not t.tgisinternal and p.pronamespace <> 'api'::regnamespace`), '0');
	// Every sql/api file is one reload.sql loads.
	const reload = readFileSync(join(ROOT, 'sql', 'api', 'reload.sql'), 'utf8');
	for (const f of readdirSync(join(ROOT, 'sql', 'api')).filter((n) => n !== 'reload.sql'))
		assert.ok(reload.includes(`\n\\ir ${f}\n`), `reload.sql loads ${f}`);
});

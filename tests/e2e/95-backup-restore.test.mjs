// Backups that restore (issue 17, item 7): make backup's base backup
// (pg_basebackup, checked by pg_verifybackup) and the WAL archive every
// scripts/pg.sh cluster keeps, then make restore's copy recovered to a
// moment between two acknowledged check-ins, which holds exactly the
// check-ins acknowledged before it. Self-contained: its own cluster,
// migrated with the demo data, and a server of its own on it (the
// suite's database is not touched). No timing assumption beyond the
// clock: the target is taken in a deliberate pause between two
// acknowledged check-ins, and the scripts wait for the archive, not for
// a time.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bash, readEnvFile, startKore, suPsql, throwawayCluster } from './ops-lib.mjs';

const demoPassword = process.env.DEMO_PASSWORD || randomBytes(12).toString('base64url');
let cluster, kore;
let L, C;	// lib.mjs and checkins-lib.mjs, loaded against our own server
const copies = [];

before(async () => {
	cluster = await throwawayCluster({ demoPassword });
	kore = await startKore(cluster.tmp, { DATABASE_URL: cluster.url }, { name: 'backup' });
	process.env.NGAN_BASE_URL = kore.base;
	process.env.DATABASE_URL = cluster.url;
	process.env.DEMO_PASSWORD = demoPassword;
	L = await import('./lib.mjs');
	C = await import('./checkins-lib.mjs');
});

after(async () => {
	for (const { dir, port } of copies) {
		try {
			await bash(['scripts/pg.sh', 'stop', dir, String(port)]);
		} catch {
			// stopped already
		}
		rmSync(dir, { recursive: true, force: true });
	}
	await kore?.stop();
	await cluster?.stop();
});

const backupArgs = () => [cluster.pgdir, String(cluster.port)];
const baseDir = () => join(cluster.pgdir, 'backup', 'base');
const walDir = () => join(cluster.pgdir, 'backup', 'wal');

async function backup(env = {}) {
	const out = await bash(['scripts/backup.sh', 'backup', ...backupArgs()], { env });
	const dir = out.trim().split('\n').pop();
	assert.ok(dir.startsWith(baseDir()), `backup.sh prints the new backup's folder: ${out}`);
	return dir;
}

// Restores to time; returns {dir, port, out} of the running copy.
async function restore(time) {
	const out = await bash(['scripts/backup.sh', 'restore', time, ...backupArgs()],
	    { env: { PG_APP_PASSWORD: cluster.env.PG_APP_PASSWORD } });
	const m = /settings \(DATABASE_URL with the app password\): (\S+)/.exec(out);
	assert.ok(m, `restore prints where its settings are: ${out}`);
	const env = readEnvFile(m[1]);
	const copy = { dir: env.PG_DIR, port: Number(env.PG_PORT), url: env.DATABASE_URL, out };
	copies.push(copy);
	return copy;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('make backup, make restore TO=', () => {
	let ev, organizer, people, firstBackup;
	const acked = [];	// check-in ids acknowledged before the target
	const late = [];	// and after it

	test('a copy restored to a moment between two acknowledged check-ins holds exactly those before it',
	    async () => {
		organizer = await L.tokenFor('organizer');
		ev = await C.runningEvent({}, organizer);
		people = [];
		for (let i = 0; i < 5; i++)
			people.push(await C.registered(ev.id, { token: organizer }));
		const scan = async (p) => C.expectScan(await C.checkin(organizer,
		    { token: p.token, event_id: ev.id }), 201, 'checked_in').checkin_id;

		// One before the backup, two after it: all three acknowledged
		// before the target.
		acked.push(await scan(people[0]));
		firstBackup = await backup();
		assert.ok(existsSync(join(firstBackup, 'data', 'backup_manifest')),
		    'a plain base backup with its manifest');
		assert.match(readFileSync(join(firstBackup, 'info'), 'utf8'),
		    /^end_epoch=\d+\nstart_wal=[0-9A-F]{24}\n$/);
		acked.push(await scan(people[1]));
		acked.push(await scan(people[2]));
		// The target sits in a deliberate pause: everything above was
		// committed before it (the 201 came after the commit), everything
		// below is sent after it.
		await sleep(1500);
		const target = new Date();
		await sleep(1500);
		late.push(await scan(people[3]));
		late.push(await scan(people[4]));

		const inOriginal = L.sql(`select id from checkin where event_id = $1::uuid
		    and state = 'effective' order by id`, [ev.id]).split('\n');
		assert.deepEqual(inOriginal, [...acked, ...late].sort(), 'the original has all five');

		const copy = await restore(target.toISOString());
		assert.match(copy.out, new RegExp(`running on 127\\.0\\.0\\.1:${copy.port}`));
		assert.match(copy.url, new RegExp(`@127\\.0\\.0\\.1:${copy.port}/ngan$`));
		assert.notEqual(copy.port, cluster.port);
		const q = (sql) => suPsql(copy.dir, copy.port, sql);
		assert.equal(q('select pg_is_in_recovery()'), 'f', 'promoted: a database of its own');
		const inCopy = q(`select id from checkin where event_id = '${ev.id}'
		    and state = 'effective' order by id`).split('\n');
		assert.deepEqual(inCopy, [...acked].sort(),
		    'exactly the check-ins acknowledged before the target');
		// What came before the backup is whole: the event and its five
		// registrations, and the app role signs in with its password.
		assert.equal(q(`select count(*) from registration where event_id = '${ev.id}'`), '5');
		assert.equal(execFileSync('psql', ['-X', '-At', '-d', copy.url, '-c',
		    `select count(*) from checkin where event_id = '${ev.id}'`],
		    { encoding: 'utf8' }).trim(), '3', 'the app account reaches the copy');
		// The original goes on, untouched.
		assert.equal(L.sqlInt(`select count(*) from checkin where event_id = $1::uuid`, [ev.id]), 5);
		C.expectScan(await C.checkin(organizer, { token: people[0].token, event_id: ev.id }),
		    409, 'already_checked_in');
	});

	test('a time before every backup is refused, and nothing is started', async () => {
		const before = copies.length;
		const t = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
		await assert.rejects(restore(t), (e) => e.status === 1 &&
		    /no base backup .* ended before/.test(e.stderr));
		assert.equal(copies.length, before);
		await assert.rejects(restore(new Date(Date.now() + 3600 * 1000).toISOString()),
		    (e) => e.status === 1 && /is in the future/.test(e.stderr));
		await assert.rejects(bash(['scripts/backup.sh', 'restore', "x'; drop", ...backupArgs()]),
		    (e) => e.status === 1 && /cannot read the time/.test(e.stderr));
		await assert.rejects(bash(['scripts/backup.sh', 'restore', '', ...backupArgs()]),
		    (e) => e.status === 1 && /restore needs a time/.test(e.stderr));
	});

	test('retention: a new backup deletes those older than NGAN_BACKUP_KEEP_DAYS and the WAL only they needed',
	    async () => {
		assert.ok(firstBackup, 'the first test took a backup');
		const segments = () => readdirSync(walDir()).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
		const oldest = readFileSync(join(firstBackup, 'info'), 'utf8').match(/start_wal=(\w+)/)[1];
		assert.ok(segments().includes(oldest), 'the archive holds the first backup\'s WAL');
		// Kept while younger than the limit.
		const second = await backup({ NGAN_BACKUP_KEEP_DAYS: '28' });
		assert.deepEqual(readdirSync(baseDir()).sort(),
		    [firstBackup, second].map((d) => d.split('/').pop()).sort());
		// Deleted at 0 days, all but the newest.
		const third = await backup({ NGAN_BACKUP_KEEP_DAYS: '0' });
		assert.deepEqual(readdirSync(baseDir()), [third.split('/').pop()]);
		const start = readFileSync(join(third, 'info'), 'utf8').match(/start_wal=(\w+)/)[1];
		assert.ok(segments().length > 0);
		assert.ok(segments().every((s) => s >= start),
		    `no segment older than the kept backup's ${start}: ${segments()}`);
		assert.ok(!segments().includes(oldest));
	});
});

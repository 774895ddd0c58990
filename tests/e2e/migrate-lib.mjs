// Databases of a test's own, and scripts/migrate.sh run on them (82, 92,
// 94). They are made with the superuser URL scripts/test.sh hands the
// tests (NGAN_PG_ADMIN_URL) as scripts/pg.sh makes the suite's: owned by
// the app role, the extensions made by the superuser.

import { spawn, execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATABASE_URL } from './lib.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_URL = process.env.NGAN_PG_ADMIN_URL ?? '';

// url with its database replaced by name.
export function urlFor(url, name) {
	const u = new URL(url);
	u.pathname = `/${name}`;
	return u.toString();
}

// psql -At on url; the output without its trailing newlines.
export function psql(url, query) {
	return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', query],
	    { encoding: 'utf8', timeout: 30000, env: { ...process.env, PGCONNECT_TIMEOUT: '5' } })
	    .replace(/\n+$/, '');
}

// Makes database name; returns the app role's URL of it.
export function makeDb(name) {
	psql(ADMIN_URL, `create database ${name} owner ngan encoding 'UTF8' template template0`);
	psql(urlFor(ADMIN_URL, name), 'create extension pg_trgm; create extension pgcrypto');
	return urlFor(DATABASE_URL, name);
}

export function dropDb(name) {
	psql(ADMIN_URL, `drop database if exists ${name} with (force)`);
}

// Runs root's scripts/migrate.sh with args and env overrides; resolves
// {code, out} (stdout and stderr together).
export function migrate(args, { root = ROOT, env = {} } = {}) {
	return new Promise((resolve) => {
		const p = spawn('bash', [join(root, 'scripts', 'migrate.sh'), ...args], { cwd: root,
		    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', (d) => { out += d; });
		const t = setTimeout(() => p.kill('SIGKILL'), 180000);
		p.on('exit', (code, sig) => { clearTimeout(t); resolve({ code, sig, out }); });
	});
}

// The argon2id hash of the demo password, as make run passes it.
export function demoHash(password) {
	const bld = process.env.NGAN_PII_TOOL ? dirname(process.env.NGAN_PII_TOOL) : join(ROOT, 'build');
	return execFileSync(join(bld, 'ngan-passwd'), { input: password, encoding: 'utf8' }).trim();
}

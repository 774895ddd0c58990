// Deployment (issue 15, item 7): every secret also from a *_FILE
// variable, as Docker and Kubernetes mount secrets. A second server
// started with DATABASE_URL_FILE and NGAN_PII_KEY_FILE instead of the
// variables reaches the database and seals national ids with the same
// key as the suite's server (one finds what the other stored); Kore's
// parent reads the files once, so a worker restarted after they are gone
// keeps the values. A secret set both ways, or from a file that cannot be
// read, stops the server at once with a message naming the variables and
// never the value. The container's entry point follows the same rule
// (and migrates with the URL from the file). On main the server ignored
// the _FILE variables (its workers restarted forever without a
// DATABASE_URL) and the entry point demanded the plain ones.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { api, tokenFor, expectStatus, participantBody, sleep, DATABASE_URL } from './lib.mjs';
import { startServer, workerPids } from './server-lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PII_KEY = process.env.NGAN_PII_KEY ?? '';
const tmp = mkdtempSync(join(tmpdir(), 'ngan-secrets-'));

after(() => rmSync(tmp, { recursive: true, force: true }));

function secretFile(name, content) {
	const f = join(tmp, name);
	writeFileSync(f, content, { mode: 0o600 });
	return f;
}

async function readyz(base) {
	try {
		const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(3000) });
		return r.status;
	} catch {
		return 0;
	}
}

test('a server started with DATABASE_URL_FILE and NGAN_PII_KEY_FILE instead of the variables', async () => {
	assert.ok(PII_KEY, 'NGAN_PII_KEY (scripts/test.sh exports it)');
	// Trailing newlines, as `echo ... > file` and editors leave them
	// (CRLF too): stripped.
	const urlFile = secretFile('database-url', `${DATABASE_URL}\n`);
	const keyFile = secretFile('pii-key', `${PII_KEY}\r\n`);
	const srv = await startServer({ DATABASE_URL: undefined, NGAN_PII_KEY: undefined,
	    DATABASE_URL_FILE: urlFile, NGAN_PII_KEY_FILE: keyFile }, 'secret-files', { workers: 1 });
	try {
		assert.equal(await readyz(srv.base), 200, `/readyz: the database URL from the file\n${srv.log()}`);

		// A person stored through it is found by national id through the
		// suite's server: the same key made the same keyed hash.
		const admin = await tokenFor('admin');
		const body = participantBody();
		const r = await fetch(`${srv.base}/v1/participants`, { method: 'POST',
		    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
		    body: JSON.stringify(body), signal: AbortSignal.timeout(10000) });
		const text = await r.text();
		// 201 before issue 14 made recording a person answer 200 either way.
		assert.ok(r.status === 201 || r.status === 200, `${r.status} ${text}`);
		const id = JSON.parse(text).id;
		const found = await api('GET', `/v1/participants?q=${body.national_id}`, { token: admin });
		expectStatus(found, 200);
		assert.deepEqual(found.json.items.map((p) => p.id), [id]);

		// The files were read once by Kore's parent: gone now, a worker
		// killed and restarted still has the URL and the key.
		unlinkSync(urlFile);
		unlinkSync(keyFile);
		const [w] = workerPids(srv.proc.pid);
		assert.ok(w, 'a worker');
		process.kill(w, 'SIGKILL');
		let pids = [];
		for (let i = 0; i < 100; i++) {
			pids = workerPids(srv.proc.pid);
			if (pids.length === 1 && pids[0] !== w && await readyz(srv.base) === 200)
				break;
			await sleep(100);
		}
		assert.ok(pids.length === 1 && pids[0] !== w, `a new worker: ${pids}`);
		assert.equal(await readyz(srv.base), 200, srv.log());
		const again = await fetch(`${srv.base}/v1/participants?q=${body.national_id}`, {
		    headers: { authorization: `Bearer ${admin}` }, signal: AbortSignal.timeout(10000) });
		assert.equal(again.status, 200);
		assert.deepEqual((await again.json()).items.map((p) => p.id), [id]);
	} finally {
		await srv.stop();
	}
});

test('a secret set both ways, or from a file that cannot be read, stops the server with a clear message', async () => {
	const urlFile = secretFile('database-url-both', `${DATABASE_URL}\n`);
	const cases = [
		// DATABASE_URL is the suite's, in the environment.
		[{ DATABASE_URL_FILE: urlFile }, /DATABASE_URL and DATABASE_URL_FILE are both set: set one/],
		[{ NGAN_PII_KEY: undefined, NGAN_PII_KEY_FILE: join(tmp, 'missing') },
		    /NGAN_PII_KEY_FILE: cannot read .*missing: No such file or directory/],
		[{ NGAN_PII_KEY: undefined, NGAN_PII_KEY_FILE: secretFile('empty', '\n') },
		    /NGAN_PII_KEY_FILE: .*empty is empty/],
		[{ NGAN_PII_KEY: undefined, NGAN_PII_KEY_FILE: tmp }, /NGAN_PII_KEY_FILE: .* is not a regular file/],
		[{ NGAN_PII_KEY: undefined, NGAN_PII_KEY_FILE: secretFile('nul', `${PII_KEY.slice(0, 10)}\0x`) },
		    /NGAN_PII_KEY_FILE: .* holds a NUL byte/],
		[{ PGPASSWORD: 'x', PGPASSWORD_FILE: urlFile }, /PGPASSWORD and PGPASSWORD_FILE are both set/],
	];
	for (const [env, message] of cases) {
		const t0 = Date.now();
		let srv = null;
		let err = null;
		try {
			srv = await startServer(env, 'secret-bad');
		} catch (e) {
			err = e;
		}
		if (srv)
			await srv.stop();
		assert.ok(err, `${JSON.stringify(env)}: the server must not start`);
		assert.match(err.message, message);
		// Stopped by the parent before any worker: at once, not after
		// workers restarting in a loop.
		assert.ok(Date.now() - t0 < 5000, `${JSON.stringify(env)}: stopped within 5 s`);
		assert.ok(!err.message.includes(DATABASE_URL) && !err.message.includes(PII_KEY),
		    'the message holds no secret');
	}
});

// Runs the container's entry point from the checkout; resolves the
// process and its output so far as a function.
function entrypoint(env) {
	const p = spawn('bash', ['scripts/docker-entrypoint.sh'], { cwd: ROOT,
	    env: { ...process.env, LD_PRELOAD: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	p.stdout.on('data', (d) => { out += d; });
	p.stderr.on('data', (d) => { out += d; });
	const exit = new Promise((r) => p.on('exit', (code, sig) => r({ code, sig })));
	return { p, exit, out: () => out };
}

async function freePort() {
	const { createServer } = await import('node:net');
	return new Promise((resolve) => {
		const s = createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

test('the container entry point: DATABASE_URL_FILE and NGAN_PII_KEY_FILE, migrations with them, both set refused',
    { skip: !existsSync(join(ROOT, 'build', 'ngan.so')) && 'build/ngan.so missing (the entry point runs the plain build)' },
    async () => {
	const port = await freePort();
	const rundir = join(tmp, 'run');
	mkdirSync(rundir);
	const env = { DATABASE_URL: undefined, NGAN_PII_KEY: undefined,
	    DATABASE_URL_FILE: secretFile('ep-database-url', `${DATABASE_URL}\n`),
	    NGAN_PII_KEY_FILE: secretFile('ep-pii-key', `${PII_KEY}\n`),
	    PORT: String(port), BIND_ADDR: '127.0.0.1', WORKERS: '1', PG_CONNS: '2', RUNDIR: rundir,
	    MIGRATE: '1', DEMO_PASSWORD: undefined };
	const ep = entrypoint(env);
	try {
		let status = 0;
		for (let i = 0; i < 150 && status !== 200; i++) {
			status = await readyz(`http://127.0.0.1:${port}`);
			if (status !== 200)
				await sleep(100);
		}
		assert.equal(status, 200, `the entry point's server is ready:\n${ep.out()}`);
		// migrate.sh ran with the URL from the file: all applied already.
		assert.doesNotMatch(ep.out(), /error|applying/, ep.out());
	} finally {
		ep.p.kill('SIGTERM');
		const t = setTimeout(() => ep.p.kill('SIGKILL'), 15000);
		await ep.exit;
		clearTimeout(t);
	}

	const both = entrypoint({ ...env, DATABASE_URL: DATABASE_URL });
	const r = await both.exit;
	assert.equal(r.code, 1, both.out());
	assert.match(both.out(), /^error: DATABASE_URL and DATABASE_URL_FILE are both set: set one$/m);
	assert.ok(!both.out().includes(DATABASE_URL), 'the message holds no secret');
});

// Helpers of the operations tests (backups, several processes): a
// throwaway PostgreSQL cluster made by scripts/pg.sh, migrated with the
// demo data, and a server of its own on it, as scripts/test.sh makes the
// suite's. It imports nothing of lib.mjs, which reads NGAN_BASE_URL and
// DATABASE_URL when it is loaded: a test sets those to its own server and
// database first, then imports lib.mjs.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync,
    writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The build the suite runs (scripts/test.sh names its tools).
export const BUILD = process.env.NGAN_PII_TOOL ? dirname(process.env.NGAN_PII_TOOL) :
    join(ROOT, 'build');

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
		s.on('error', reject);
	});
}

// Runs bash with args from the repository root; resolves stdout. A
// failure rejects with stderr in its message. Asynchronous: a test that
// blocked in execFileSync would keep its HTTP client from noticing that
// the server closed idle connections meanwhile.
export function bash(args, { env = {}, timeout = 300000 } = {}) {
	return new Promise((resolve, reject) => {
		execFile('bash', args, { cwd: ROOT, encoding: 'utf8', timeout,
		    maxBuffer: 16 << 20, env: { ...process.env, ...env } }, (e, stdout, stderr) => {
			if (!e) {
				resolve(stdout);
				return;
			}
			const err = new Error(`bash ${args.join(' ')} failed (status ${e.code}):\n` +
			    `${stdout}\n${stderr}`);
			err.status = e.code;
			err.stdout = stdout;
			err.stderr = stderr;
			reject(err);
		});
	});
}

// KEY=VALUE lines as scripts/lib.sh's set_env writes them (%q quoting:
// the values here are URLs and passwords of URL-safe characters).
export function readEnvFile(file) {
	const out = {};
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
		if (m)
			out[m[1]] = m[2].replace(/^'(.*)'$/, '$1').replace(/\\(.)/g, '$1');
	}
	return out;
}

// A new cluster in a folder of its own under /tmp, migrated, with the
// demo accounts under demoPassword. Returns {tmp, pgdir, port, url, env,
// su(sql), stop()}.
export async function throwawayCluster({ demoPassword }) {
	const tmp = mkdtempSync('/tmp/ngan-ops.');
	// postgres (when we are root) passes through to its own pg/.
	chmodSync(tmp, 0o711);
	const pgdir = join(tmp, 'pg');
	mkdirSync(pgdir, { mode: 0o700 });
	const port = await freePort();
	const c = { tmp, pgdir, port };
	c.stop = async () => {
		try {
			await bash(['scripts/pg.sh', 'stop', pgdir, String(port)]);
		} catch {
			// stopped already
		}
		rmSync(tmp, { recursive: true, force: true });
	};
	try {
		await bash(['scripts/pg.sh', 'init', pgdir, String(port), join(tmp, 'pg.env')]);
		c.env = readEnvFile(join(tmp, 'pg.env'));
		c.url = c.env.DATABASE_URL;
		const hash = execFileSync(join(BUILD, 'ngan-passwd'), { input: demoPassword,
		    encoding: 'utf8' }).trim();
		await bash(['scripts/migrate.sh', c.url, '--demo', hash]);
	} catch (e) {
		await c.stop();
		throw e;
	}
	return c;
}

// psql -At as the superuser over the unix socket of the cluster in pgdir.
export function suPsql(pgdir, port, query, db = 'ngan') {
	const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', join(pgdir, 'run'),
	    '-p', String(port), '-U', 'postgres', '-d', db, '-c', query];
	const root = process.getuid?.() === 0;
	return execFileSync(root ? 'runuser' : 'psql', root ? ['-u', 'postgres', '--', 'psql',
	    ...args] : args, { encoding: 'utf8', cwd: '/', timeout: 30000 }).replace(/\n+$/, '');
}

// A server (conf/ngan.conf.in rendered as scripts/lib.sh's render_conf
// does) on a free port with env over the suite's environment. Resolves
// {port, base, stop()} once /healthz answers.
export async function startKore(dir, env, { name = 'kore', workers = 2, conns = 4 } = {}) {
	const port = await freePort();
	const conf = readFileSync(join(ROOT, 'conf/ngan.conf.in'), 'utf8')
	    .replaceAll('@PORT@', String(port)).replaceAll('@WORKERS@', String(workers))
	    .replaceAll('@PG_CONNS@', String(conns)).replaceAll('@MODULE@', join(BUILD, 'ngan.so'))
	    .replaceAll('@BIND@', '127.0.0.1') + `\npidfile\t\t${join(dir, `${name}.pid`)}\n`;
	const confPath = join(dir, `${name}.conf`);
	writeFileSync(confPath, conf);
	let text = '';
	const proc = spawn('kore', ['-f', '-n', '-r', '-c', confPath], {
	    env: { ...process.env, NGAN_ACCESS_LOG: '0', ...env,
		LD_PRELOAD: process.env.NGAN_SAN_PRELOAD || '' },
	    stdio: ['ignore', 'pipe', 'pipe'] });
	proc.stdout.on('data', (d) => { text += d; });
	proc.stderr.on('data', (d) => { text += d; });
	let exited = null;
	const exit = new Promise((r) => proc.on('exit', (code, sig) => {
		exited = { code, sig };
		r(exited);
	}));
	const base = `http://127.0.0.1:${port}`;
	let up = false;
	for (let i = 0; i < 300 && !exited && !up; i++) {
		try {
			const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
			up = r.status === 200;
			if (up)
				break;
		} catch {
			// not yet
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	if (!up) {
		if (!exited)
			proc.kill('SIGKILL');
		throw new Error(`${name}: kore did not start: ${text}`);
	}
	return {
	    port, base, log: () => text,
	    async stop() {
		if (!exited)
			proc.kill('SIGTERM');
		const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
		await exit;
		clearTimeout(t);
	    },
	};
}

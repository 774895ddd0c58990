// A second server for tests that must stop or reconfigure one (SIGTERM,
// key rotation): the suite's own config (scripts/test.sh renders it next
// to NGAN_SERVER_LOG) on another free port, the same database, the same
// sanitizer preload, and whatever environment the test changes.

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { sleep } from './lib.mjs';

export const RUN_DIR = process.env.NGAN_SERVER_LOG ? dirname(process.env.NGAN_SERVER_LOG) : '';

// The main server's pid (scripts/test.sh writes it).
export function mainPid() {
	const f = join(RUN_DIR, 'kore.pid');
	return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
}

// Child pids of pid whose command line names a Kore worker.
export function workerPids(pid) {
	const out = [];
	for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
		try {
			const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
			if (ppid === pid && /wrk/.test(cmd))
				out.push(Number(p));
		} catch {
			// gone meanwhile
		}
	}
	return out.sort((a, b) => a - b);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
		s.on('error', reject);
	});
}

// Starts kore with env overrides and Kore directives replaced (e.g.
// { workers: 1, pgsql_conn_max: 1 }); resolves {port, base, proc, log,
// stop()} once /healthz answers.
export async function startServer(env = {}, name = 'second', directives = {}) {
	const port = await freePort();
	let conf = readFileSync(join(RUN_DIR, 'ngan.conf'), 'utf8')
	    .replace(/^(\s*bind\s+\S+\s+)\d+/m, `$1${port}`)
	    .replace(/^pidfile\s+.*$/m, `pidfile\t\t${join(RUN_DIR, `${name}.pid`)}`);
	for (const [k, v] of Object.entries(directives)) {
		const re = new RegExp(`^${k}\\s+.*$`, 'm');
		if (!re.test(conf))
			throw new Error(`startServer: no ${k} line in ngan.conf`);
		conf = conf.replace(re, `${k}\t\t${v}`);
	}
	const confPath = join(RUN_DIR, `${name}.conf`);
	writeFileSync(confPath, conf);
	const log = join(RUN_DIR, `${name}.log`);
	let text = '';
	const proc = spawn('stdbuf', ['-oL', 'kore', '-f', '-n', '-r', '-c', confPath], {
	    env: { ...process.env, ...env, LD_PRELOAD: process.env.NGAN_SAN_PRELOAD || '' },
	    stdio: ['ignore', 'pipe', 'pipe'] });
	proc.stdout.on('data', (d) => { text += d; });
	proc.stderr.on('data', (d) => { text += d; });
	let exited = null;
	const exit = new Promise((r) => proc.on('exit', (code, sig) => { exited = { code, sig }; r(exited); }));
	const base = `http://127.0.0.1:${port}`;
	for (let i = 0; i < 100 && !exited; i++) {
		try {
			const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
			if (r.status === 200)
				break;
		} catch {
			// not yet
		}
		await sleep(100);
	}
	if (exited)
		throw new Error(`${name} server exited: ${text}`);
	return {
	    port, base, proc, exit, log: () => text,
	    async stop() {
		if (!exited)
			proc.kill('SIGTERM');
		const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
		await exit;
		clearTimeout(t);
		writeFileSync(log, text);
	    },
	};
}

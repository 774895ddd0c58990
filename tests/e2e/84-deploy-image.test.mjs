// Deployment (issue 15, item 7): the Dockerfile and the README's "Try it".
//
// No image is built here (the test machine has no container engine), so
// this checks what can be checked without one, and no more:
// - the runtime stage's instructions: a numeric non-root USER before the
//   ENTRYPOINT, a HEALTHCHECK that runs scripts/healthcheck.sh (copied in),
//   STOPSIGNAL SIGTERM, no -dev package, compiler or kore package, Debian's
//   kore binary copied from the build stage, COPY sources that exist;
// - the health check script itself, run here: 0 for a 200 from GET
//   /readyz (the suite's server, and a stub that records the path), 1 for
//   a 503 or nothing listening;
// - the drain (DRAIN_MS + FLUSH_MS in api/main.c) ends a second before
//   the stop timeout the README documents, and the README and Dockerfile
//   state the drain api/main.c has;
// - every shared library that build/ngan.so, build/ngan-passwd, build/ngan-outbox,
//   build/ngan-certzip and /usr/bin/kore load here (ldd on this Debian) belongs to a package the
//   runtime stage installs, one they depend on, or one of Debian's
//   required packages (what bookworm-slim holds): by dpkg and apt-cache
//   on this machine; skipped where they are missing.
// Then the README's "Try it" block, extracted from README.md and run
// verbatim by bash in a folder holding a var/dev.env as make run writes
// it (DEMO_PASSWORD, NGAN_BASE_URL), with an otherwise empty environment:
// a token, /v1/me as JSON, two agencies, the users, a 404 problem. On main
// the block used a DEMO_PASSWORD no fresh shell has and a fixed port.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BASE_URL, DEMO_PASSWORD, decodeJwt } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const mainC = readFileSync(join(ROOT, 'api', 'main.c'), 'utf8');

// Dockerfile instructions by stage: [{ from, name, ins: [{ op, args }] }].
// Continuation lines are joined; comment lines dropped, as docker does.
function parseDockerfile(text) {
	const stages = [];
	let cur = '';
	const lines = text.split('\n');
	const out = [];
	for (const line of lines) {
		if (/^\s*#/.test(line))
			continue;
		if (/\\\s*$/.test(line)) {
			cur += line.replace(/\\\s*$/, ' ');
			continue;
		}
		cur += line;
		if (cur.trim())
			out.push(cur.trim());
		cur = '';
	}
	for (const l of out) {
		const m = /^(\S+)\s*(.*)$/.exec(l);
		const op = m[1].toUpperCase();
		const args = m[2].replace(/\s+/g, ' ').trim();
		if (op === 'FROM') {
			const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
			stages.push({ from: f[1], name: f[2] ?? '', ins: [] });
		} else {
			assert.ok(stages.length, `${op} before FROM`);
			stages.at(-1).ins.push({ op, args });
		}
	}
	return stages;
}

const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1);
const ops = (stage, op) => stage.ins.filter((i) => i.op === op);
const runText = (stage) => ops(stage, 'RUN').map((i) => i.args).join(' ');

// Packages an `apt-get install` in the stage names.
function aptPackages(stage) {
	const pkgs = [];
	for (const m of runText(stage).matchAll(/apt-get install((?:\s+(?!&&)\S+)+)/g))
		pkgs.push(...m[1].trim().split(/\s+/).filter((w) => !w.startsWith('-')));
	return pkgs;
}

function freePort() {
	return new Promise((resolve) => {
		const s = createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

function healthcheck(port) {
	return spawnSync('bash', [join(ROOT, 'scripts', 'healthcheck.sh')], {
	    env: { PATH: process.env.PATH, PORT: String(port) }, encoding: 'utf8', timeout: 10000 });
}

test('Dockerfile runtime stage: numeric non-root USER, HEALTHCHECK on /readyz, STOPSIGNAL SIGTERM', () => {
	assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
	assert.match(runtime.from, /^debian:bookworm-slim$/);

	const users = ops(runtime, 'USER');
	assert.ok(users.length >= 1, 'USER in the runtime stage');
	const user = users.at(-1).args;
	const [uid, gid] = user.split(':');
	assert.match(uid, /^\d+$/, `USER ${user}: numeric, so Kubernetes' runAsNonRoot can check it`);
	assert.notEqual(Number(uid), 0, 'not root');
	if (gid !== undefined)
		assert.notEqual(Number(gid), 0, 'not the root group');
	const iUser = runtime.ins.lastIndexOf(users.at(-1));
	const iEntry = runtime.ins.findIndex((i) => i.op === 'ENTRYPOINT');
	assert.ok(iEntry > iUser, 'ENTRYPOINT after USER');
	assert.match(runText(runtime), new RegExp(`useradd[^&]*--uid ${uid}\\b`), 'the user exists with that uid');

	const hc = ops(runtime, 'HEALTHCHECK');
	assert.equal(hc.length, 1, 'one HEALTHCHECK');
	const cmd = /\bCMD\s+(.*)$/.exec(hc[0].args);
	assert.ok(cmd, 'HEALTHCHECK ... CMD');
	assert.deepEqual(JSON.parse(cmd[1]), ['/app/scripts/healthcheck.sh'], 'exec form, the script');
	const workdir = ops(runtime, 'WORKDIR').at(-1)?.args;
	assert.equal(workdir, '/app');
	assert.ok(ops(runtime, 'COPY').some((c) => !c.args.startsWith('--from') &&
	    c.args.split(' ').includes('scripts/healthcheck.sh') && c.args.endsWith(' scripts/')),
	    'scripts/healthcheck.sh copied to /app/scripts/');
	assert.match(readFileSync(join(ROOT, 'scripts', 'healthcheck.sh'), 'utf8'), /GET \/readyz /);

	const stop = ops(runtime, 'STOPSIGNAL');
	assert.deepEqual(stop.map((s) => s.args), ['SIGTERM']);

	// Scripts the image runs are executable in the checkout (COPY keeps
	// the mode).
	for (const s of ['scripts/healthcheck.sh', 'scripts/docker-entrypoint.sh'])
		accessSync(join(ROOT, s), constants.X_OK);
	assert.deepEqual(JSON.parse(ops(runtime, 'ENTRYPOINT')[0].args), ['/app/scripts/docker-entrypoint.sh']);
});

test('Dockerfile runtime stage: Debian\'s kore binary without its -dev dependencies; COPY sources exist', () => {
	const pkgs = aptPackages(runtime);
	assert.ok(pkgs.length > 0, 'apt-get install in the runtime stage');
	for (const p of pkgs) {
		assert.doesNotMatch(p, /-dev$|^(gcc|clang|make|kore|curl)\b/,
		    `${p}: not in the runtime (kore's package would pull in libc6-dev, libssl-dev, libpq-dev)`);
	}
	const build = stages.find((s) => s.name === 'build');
	assert.ok(build && aptPackages(build).includes('kore'), 'the build stage installs kore');
	assert.ok(ops(runtime, 'COPY').some((c) => c.args === '--from=build /usr/bin/kore /usr/bin/kore'),
	    'kore copied from the build stage');
	for (const c of ops(runtime, 'COPY').filter((i) => !i.args.startsWith('--'))) {
		const srcs = c.args.split(' ').slice(0, -1);
		for (const s of srcs)
			assert.ok(existsSync(join(ROOT, s)), `COPY ${s}: in the checkout`);
	}
});

// The plain build, as the image's (a sanitizer build links more).
const BUILD = join(ROOT, 'build');

test('Dockerfile runtime stage: every library kore and the module load comes with its packages',
    { skip: (spawnSync('sh', ['-c', 'command -v dpkg-query && command -v apt-cache && command -v ldd'])
	.status !== 0 && 'dpkg, apt-cache or ldd missing') ||
	(!existsSync(join(BUILD, 'ngan.so')) && 'build/ngan.so missing (make build)') }, () => {
	const elves = [join(BUILD, 'ngan.so'), join(BUILD, 'ngan-passwd'), join(BUILD, 'ngan-outbox'),
	    join(BUILD, 'ngan-certzip'), '/usr/bin/kore'];
	const libs = new Set();
	for (const e of elves) {
		const out = execFileSync('ldd', [e], { encoding: 'utf8' });
		assert.doesNotMatch(out, /not found/, `${e}: ${out}`);
		for (const m of out.matchAll(/=>\s+(\/\S+)/g))
			libs.add(m[1]);
	}
	const owner = (path) => {
		for (const p of [path, realpathSync(path), path.replace(/^\/lib\//, '/usr/lib/'),
		    realpathSync(path).replace(/^\/lib\//, '/usr/lib/')]) {
			const r = spawnSync('dpkg-query', ['-S', p], { encoding: 'utf8' });
			if (r.status === 0)
				return r.stdout.split(':')[0];
		}
		return null;
	};
	const pkgs = aptPackages(runtime);
	const closure = new Set(execFileSync('apt-cache', ['depends', '--recurse', '--no-recommends',
	    '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...pkgs],
	    { encoding: 'utf8', maxBuffer: 1 << 24 }).split('\n').filter((l) => /^[a-z0-9]/.test(l)));
	const required = execFileSync('dpkg-query', ['-W', '-f', '${Package}\\t${Priority}\\n'], { encoding: 'utf8' })
	    .split('\n').filter((l) => l.endsWith('\trequired')).map((l) => l.split('\t')[0]);
	for (const r of required)
		closure.add(r);
	const missing = [];
	for (const l of libs) {
		const o = owner(l);
		assert.ok(o, `${l}: no Debian package owns it`);
		if (!closure.has(o))
			missing.push(`${l} (${o})`);
	}
	assert.deepEqual(missing, [], `libraries the runtime stage would lack; install: ${pkgs.join(' ')}`);
});

test('the drain ends before the stop timeout the README gives; README and Dockerfile state the drain', () => {
	const drain = Number(/^#define DRAIN_MS\s+(\d+)/m.exec(mainC)?.[1]);
	const flush = Number(/^#define FLUSH_MS\s+(\d+)/m.exec(mainC)?.[1]);
	assert.ok(drain > 0 && flush > 0, 'DRAIN_MS and FLUSH_MS in api/main.c');
	const stop = /`docker stop` waits (\d+) s by default/.exec(readme);
	assert.ok(stop, 'README: the stop timeout ("`docker stop` waits N s by default")');
	assert.ok(drain + flush + 1000 <= Number(stop[1]) * 1000,
	    `drain ${drain} ms + flush ${flush} ms, a second to spare, within docker stop's ${stop[1]} s`);
	assert.match(readme, new RegExp(`the server drains for at most ${drain / 1000} s`));
	assert.match(readme, new RegExp(`up to ${drain / 1000} s, \`DRAIN_MS\``));
	assert.match(dockerfile, new RegExp(`for at most ${drain / 1000} s\\s*#?\\s*\\(DRAIN_MS`));
});

test('scripts/healthcheck.sh: 0 for 200 from GET /readyz, 1 for 503 or nothing listening', async () => {
	// The suite's server.
	const suite = healthcheck(new URL(BASE_URL).port);
	assert.equal(suite.status, 0, suite.stderr);

	let answer = 200;
	const paths = [];
	const stub = createServer((req, res) => {
		paths.push(`${req.method} ${req.url}`);
		res.writeHead(answer, { 'content-type': 'application/json' });
		res.end('{}');
	});
	await new Promise((r) => stub.listen(0, '127.0.0.1', r));
	const { port } = stub.address();
	try {
		// spawnSync would block the stub's loop: run the script async.
		const run = () => healthcheckAsync(port);
		assert.equal((await run()).status, 0);
		answer = 503;
		assert.equal((await run()).status, 1);
		assert.deepEqual(paths, ['GET /readyz', 'GET /readyz']);
	} finally {
		await new Promise((r) => stub.close(r));
	}
	const closed = healthcheck(await freePort());
	assert.equal(closed.status, 1, 'nothing listening');
});

function healthcheckAsync(port) {
	return new Promise((resolve) => {
		const p = spawn('bash', [join(ROOT, 'scripts', 'healthcheck.sh')], {
		    env: { PATH: process.env.PATH, PORT: String(port) }, stdio: 'ignore' });
		const t = setTimeout(() => p.kill('SIGKILL'), 10000);
		p.on('exit', (status) => { clearTimeout(t); resolve({ status }); });
	});
}

test('README "Try it" runs verbatim after make run: a token, /v1/me, agencies, users, a 404 problem', () => {
	const m = /^## Try it\n[\s\S]*?^```sh\n([\s\S]*?)^```$/m.exec(readme);
	assert.ok(m, 'a sh block under "## Try it"');
	const block = m[1];
	// Commands: a line ending in \ or | goes on.
	const cmds = [];
	let cur = '';
	for (const line of block.split('\n')) {
		if (!line.trim() && !cur)
			continue;
		cur += `${line}\n`;
		if (!/[\\|]\s*$/.test(line)) {
			cmds.push(cur);
			cur = '';
		}
	}
	assert.equal(cur, '', 'the block ends with a whole command');
	// What the block takes from var/dev.env, scripts/run.sh writes there.
	const runSh = readFileSync(join(ROOT, 'scripts', 'run.sh'), 'utf8');
	assert.match(block, /^\. var\/dev\.env\b/m, 'the block reads var/dev.env');
	const assigned = new Set([...block.matchAll(/^([A-Z_]+)=/gm)].map((x) => x[1]));
	const used = new Set([...block.matchAll(/\$\{?([A-Z_]+)/g)].map((x) => x[1]).filter((v) => !assigned.has(v)));
	assert.ok(used.size > 0);
	for (const v of used)
		assert.match(runSh, new RegExp(`set_env "\\$envfile" ${v} `), `make run writes ${v} to var/dev.env`);

	// A checkout after make run: var/dev.env as scripts/run.sh writes it.
	const dir = mkdtempSync(join(tmpdir(), 'ngan-tryit-'));
	try {
		mkdirSync(join(dir, 'var'));
		const env = join(dir, 'var', 'dev.env');
		execFileSync('bash', ['-c', `. '${join(ROOT, 'scripts', 'lib.sh')}'
		    set_env "$1" DEMO_PASSWORD "$2"; set_env "$1" NGAN_BASE_URL "$3"`,
		'x', env, DEMO_PASSWORD, BASE_URL]);
		// Each command's output after a marker line; the token at the end.
		const script = cmds.map((c, i) => `printf '\\n@@cmd %d@@\\n' ${i}\n${c}`).join('') +
		    'printf \'\\n@@token@@%s\\n\' "$TOKEN"\n';
		const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 60000,
		    env: { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' } });
		assert.equal(r.stderr, '', `nothing on stderr:\n${r.stderr}`);
		assert.equal(r.status, 0, r.stdout);
		const outs = r.stdout.split(/\n@@cmd \d+@@\n/).slice(1);
		const [last, token] = outs.at(-1).split(/\n@@token@@/);
		outs[outs.length - 1] = last;
		assert.equal(outs.length, cmds.length);
		const out = (re) => {
			const i = cmds.findIndex((c) => re.test(c));
			assert.ok(i >= 0, `a command matching ${re}`);
			return outs[i].trim();
		};

		assert.match(token.trim(), /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/, 'TOKEN holds a JWT');
		assert.ok(decodeJwt(token.trim()).payload.sub, 'with a subject');
		const me = JSON.parse(out(/\/v1\/me\b/));
		assert.equal(me.username, 'admin');
		const agencies = JSON.parse(out(/\/v1\/agencies/));
		assert.ok(Array.isArray(agencies.items) && agencies.items.length === 2, out(/\/v1\/agencies/));
		const users = JSON.parse(out(/\/v1\/users/));
		assert.ok(users.items.some((u) => u.username === 'admin'));
		const missing = JSON.parse(out(/\/nowhere/));
		assert.equal(missing.status, 404);
		assert.ok(missing.type && missing.title, 'a problem');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

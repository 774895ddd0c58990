// Issue 14, item 11 (the smaller points at the edge): /metrics needs a
// credential; "username taken" is answered to admins only; ES256
// signatures with a high S are refused (each signature has one form);
// an Accept-Language with odd bytes is ignored, never a bare 400; and
// `make run` never prints the database password.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import net from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, describe } from 'node:test';
import { api, BASE_URL, DEMO_PASSWORD, LAMPANG_AGENCY, PHICHIT_AGENCY, createUser,
    expectProblem, expectStatus, expectUnauthorized, isLowS, login, sTwin, sql, sqlInt,
    strongPassword, tokenFor, uniq, unchanged, validateResponse } from './lib.mjs';
import { runningEvent, registered, checkin, expectScan } from './checkins-lib.mjs';

const METRICS_TOKEN = process.env.NGAN_METRICS_TOKEN ?? '';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('/metrics needs a credential', () => {
	test('no credential, a wrong one, or the metrics token on another route: 401', async () => {
		const none = await api('GET', '/metrics');
		expectUnauthorized(none);
		assert.ok(!/ngan_http_requests_total/.test(none.text), 'no metrics in the refusal');
		expectUnauthorized(await api('GET', '/metrics', { token: 'x'.repeat(64) }));
		assert.ok(METRICS_TOKEN.length >= 32, 'scripts/test.sh sets NGAN_METRICS_TOKEN');
		const almost = METRICS_TOKEN.slice(0, -1) + (METRICS_TOKEN.endsWith('a') ? 'b' : 'a');
		expectUnauthorized(await api('GET', '/metrics', { token: almost }));
		expectUnauthorized(await api('GET', '/metrics', { token: METRICS_TOKEN.slice(0, -1) }));
		expectUnauthorized(await api('GET', '/metrics', { headers: { authorization: `Basic ${METRICS_TOKEN}` } }));
		// The metrics token opens /metrics only.
		expectUnauthorized(await api('GET', '/v1/me', { token: METRICS_TOKEN }));
	});

	test('the metrics token or an admin: 200; other roles: 403', async () => {
		const byToken = expectStatus(await api('GET', '/metrics', { token: METRICS_TOKEN }), 200);
		assert.match(byToken.text, /^# TYPE ngan_http_requests_total counter$/m);
		expectStatus(await api('GET', '/metrics', { token: await tokenFor('admin') }), 200);
		for (const who of ['organizer', 'scanner', 'partner'])
			expectProblem(await api('GET', '/metrics', { token: await tokenFor(who) }), 403, 'forbidden', who);
	});
});

describe('POST /v1/users: "username taken" only to admins', () => {
	const post = (body, token) => api('POST', '/v1/users', { token, body });
	const scannerBody = (username) => ({ username, display_name: 'ผู้สแกน ประตูหน้า',
	    role: 'scanner', agency_id: LAMPANG_AGENCY, password: strongPassword() });

	test('admins get 409 for a taken name, nothing changes', async () => {
		const { user } = await createUser({ role: 'organizer', agency_id: PHICHIT_AGENCY });
		await unchanged(async () => {
			expectProblem(await post(scannerBody(user.username), await tokenFor('admin')), 409, 'conflict');
		}, ['app_user', 'user_versions']);
	});

	test('organizers: every new account gets a suffix the server picks, taken name or not', async () => {
		const org = await tokenFor('organizer');
		// A name another agency's account has, and a free one: the answers
		// look alike, so the first tells nothing about Phichit.
		const { user: theirs } = await createUser({ role: 'organizer', agency_id: PHICHIT_AGENCY });
		const free = uniq('gate.');
		const answers = [];
		for (const name of [theirs.username, free]) {
			const body = scannerBody(name);
			const res = expectStatus(await post(body, org), 201, name);
			const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.[a-z0-9]{4}$`);
			assert.match(res.json.username, re, 'the requested name, a dot and four characters');
			assert.equal(res.json.role, 'scanner');
			assert.equal(res.json.agency_id, LAMPANG_AGENCY);
			// The answered name is the one to sign in with.
			await login(res.json.username, body.password);
			answers.push(res);
		}
		assert.deepEqual(Object.keys(answers[0].json).sort(), Object.keys(answers[1].json).sort());
		assert.equal(answers[0].status, answers[1].status);
		// Phichit's account is untouched, and nobody has the bare names.
		assert.equal(sqlInt('select count(*) from app_user where username = $1', [theirs.username]), 1);
		assert.equal(sql('select agency_id from app_user where username = $1', [theirs.username]),
		    PHICHIT_AGENCY);
		assert.equal(sqlInt('select count(*) from app_user where username = $1', [free]), 0);
		// The same name twice: two accounts, two suffixes.
		const again = expectStatus(await post(scannerBody(free), org), 201);
		assert.notEqual(again.json.username, answers[1].json.username);
	});

	test('organizers: a name too long for the suffix is a 422 naming username', async () => {
		const org = await tokenFor('organizer');
		await unchanged(async () => {
			const res = await post(scannerBody(`s${'a'.repeat(59)}`), org);
			expectProblem(res, 422, 'validation');
			assert.ok(res.json.errors.some((e) => e.field === 'username'), res.text);
		}, ['app_user']);
		// 59 characters fit.
		expectStatus(await post(scannerBody(`s${'b'.repeat(50)}${uniq('').slice(-8)}`), org), 201);
	});
});

describe('ES256: high-S signatures are refused', () => {
	test('an access token and its high-S twin: the twin is 401, everywhere', async () => {
		const { access_token: token } = await login('organizer');
		expectStatus(await api('GET', '/v1/me', { token }), 200);
		// n - s verifies as well as s: only one of the two may pass.
		const twin = sTwin(token);
		expectUnauthorized(await api('GET', '/v1/me', { token: twin }), { invalidToken: true });
		expectUnauthorized(await api('GET', '/v1/agencies', { token: twin }), { invalidToken: true });
		// The original still works after the twin was refused: the server
		// signs with the low S and the twin is the high one.
		expectStatus(await api('GET', '/v1/me', { token }), 200);
		assert.ok(isLowS(token) && !isLowS(twin), 'the server signs with a low S');
	});

	test('a ticket and its high-S twin: the twin is an invalid ticket and checks no one in', async () => {
		const organizer = await tokenFor('organizer');
		const ev = await runningEvent();
		const p = await registered(ev.id);
		const twin = sTwin(p.token);
		const checkins = () => sqlInt(`select count(*) from checkin where registration_id = $1::uuid
		    and state = 'effective'`, [p.id]);
		expectScan(await checkin(organizer, { token: twin, event_id: ev.id }), 422, 'invalid_token');
		assert.equal(checkins(), 0, 'nobody checked in by the twin');
		expectScan(await checkin(organizer, { token: p.token, event_id: ev.id }), 201, 'checked_in');
		assert.equal(checkins(), 1);
		assert.ok(isLowS(p.token), 'tickets are signed with a low S');
	});

	test('a ticket link\'s high-S twin does not open the ticket', async () => {
		const organizer = await tokenFor('organizer');
		const ev = await runningEvent();
		const p = await registered(ev.id);
		const staff = await fetch(`${BASE_URL}/v1/registrations/${p.id}/ticket`,
		    { headers: { authorization: `Bearer ${organizer}` } }).then((r) => r.json());
		const link = staff.link_token;
		assert.equal(typeof link, 'string');
		const open = (l) => fetch(`${BASE_URL}/v1/registrations/${p.id}/ticket?link=${encodeURIComponent(l)}`);
		const res = await open(sTwin(link));
		assert.ok([401, 403, 410].includes(res.status), `the twin is refused: ${res.status}`);
		assert.equal((await open(link)).status, 200, 'the link works');
		assert.ok(isLowS(link), 'link tokens are signed with a low S');
	});
});

// ---------------------------------------------------------------- Accept-Language

const { hostname, port } = new URL(BASE_URL);

// Sends raw bytes, reads one response (Content-Length framed).
function raw(bytes) {
	return new Promise((resolve) => {
		const s = net.connect(Number(port), hostname);
		let buf = Buffer.alloc(0);
		const finish = (why) => {
			s.destroy();
			const text = buf.toString('latin1');
			const head = text.indexOf('\r\n\r\n');
			const status = Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
			const headers = new Headers();
			for (const line of text.slice(0, head).split('\r\n').slice(1)) {
				const i = line.indexOf(':');
				if (i > 0)
					headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
			}
			const body = buf.subarray(head + 4).toString('utf8');
			let json;
			try {
				json = JSON.parse(body);
			} catch {
				json = undefined;
			}
			resolve({ status, headers, text: body, json, why });
		};
		s.setTimeout(20000, () => finish('timeout'));
		s.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			const text = buf.toString('latin1');
			const head = text.indexOf('\r\n\r\n');
			const len = Number(text.match(/\r\ncontent-length: (\d+)/i)?.[1] ?? -1);
			if (head >= 0 && len >= 0 && buf.length >= head + 4 + len)
				finish('complete');
		});
		s.on('close', () => finish('close'));
		s.on('error', () => finish('error'));
		s.on('connect', () => s.write(bytes));
	});
}

const ODD = {
	'Thai in UTF-8': Buffer.from('ไทย,en;q=0.9', 'utf8'),
	'Latin-1 byte': Buffer.from([0x65, 0x6e, 0xe9]),
	'control character': Buffer.from('en\x01-US'),
	'tab': Buffer.from('en;\tq=1'),
	'DEL': Buffer.from('en\x7f'),
	'NUL': Buffer.from('en\x00th'),
	'empty': Buffer.from(''),
	'absurdly long': Buffer.from(`${'en-GB-oxendict-x-private,'.repeat(250)}en`),
	'folded onto a second line': Buffer.from('th,\r\n en'),
};

function request(method, path, lang, { token, body } = {}) {
	const head = [`${method} ${path} HTTP/1.1`, 'Host: ngan.test'];
	if (token)
		head.push(`Authorization: Bearer ${token}`);
	if (body !== undefined)
		head.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
	return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\nAccept-Language: `), lang,
	    Buffer.from(`\r\nX-After: still-read\r\n\r\n${body ?? ''}`)]);
}

describe('Accept-Language with odd bytes is ignored, not a bare 400', () => {
	test('GET /healthz answers 200 whatever the header holds', async () => {
		for (const [name, lang] of Object.entries(ODD)) {
			const res = await raw(request('GET', '/healthz', lang));
			assert.equal(res.status, 200, `${name}: ${res.status} ${res.text.slice(0, 200)}`);
			validateResponse('GET', '/healthz', res);
		}
	});

	test('a scan answers in Thai (the default) with an odd header, in English with a clean one', async () => {
		const organizer = await tokenFor('organizer');
		const ev = await runningEvent();
		const body = (n) => JSON.stringify({ token: 'not.a.ticket', event_id: ev.id, nonce: `lang-odd-${n}-${uniq('')}` });
		let n = 0;
		for (const [name, lang] of Object.entries(ODD)) {
			const res = await raw(request('POST', '/v1/checkins', lang, { token: organizer, body: body(n++) }));
			const said = `${name}: ${res.status} (${res.why}) ${res.text.slice(0, 300)}`;
			assert.equal(res.status, 422, said);
			validateResponse('POST', '/v1/checkins', res);
			assert.equal(res.json?.result, 'invalid_token', said);
			assert.match(res.json.message, /[\u0E00-\u0E7F]/, `Thai: ${said}`);
		}
		const en = await raw(request('POST', '/v1/checkins', Buffer.from('en-US,en;q=0.9,th;q=0.5'),
		    { token: organizer, body: body(n++) }));
		const said = `${en.status} (${en.why}) ${en.text.slice(0, 300)}`;
		assert.equal(en.status, 422, said);
		assert.doesNotMatch(en.json.message, /[\u0E00-\u0E7F]/, `English when asked cleanly: ${said}`);
	});
});

// ---------------------------------------------------------------- make run

function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.listen(0, '127.0.0.1', () => {
			const { port: p } = s.address();
			s.close(() => resolve(p));
		});
		s.on('error', reject);
	});
}

test('make run prints no database password', { timeout: 240000 }, async (t) => {
	if (process.env.NGAN_SANITIZE) {
		t.skip('make run uses the plain build');
		return;
	}
	if (!existsSync(join(ROOT, 'build/ngan.so'))) {
		t.skip('no build/ngan.so');
		return;
	}
	const dir = mkdtempSync(join(tmpdir(), 'ngan-run-'));
	const varDir = join(dir, 'var');
	const env = { ...process.env, NGAN_VAR: varDir, PORT: String(await freePort()),
	    PG_PORT: String(await freePort()), WORKERS: '1', PG_CONNS: '2', DEMO_PASSWORD };
	for (const k of ['DATABASE_URL', 'PG_SUPER_PASSWORD', 'PG_APP_PASSWORD', 'NGAN_PG_ADMIN_URL'])
		delete env[k];
	let out = '';
	const proc = spawn('bash', [join(ROOT, 'scripts/run.sh')], { env, detached: true,
	    stdio: ['ignore', 'pipe', 'pipe'] });
	proc.stdout.on('data', (d) => { out += d; });
	proc.stderr.on('data', (d) => { out += d; });
	const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
	try {
		const t0 = Date.now();
		while (!/ngan is running at/.test(out) && Date.now() - t0 < 200000 && proc.exitCode === null)
			await new Promise((r) => setTimeout(r, 250));
		assert.match(out, /ngan is running at/, `make run started: ${out.slice(-2000)}`);
		const res = await fetch(`http://127.0.0.1:${env.PORT}/healthz`);
		assert.equal(res.status, 200);
		const dev = readFileSync(join(varDir, 'dev.env'), 'utf8');
		const secret = (k) => {
			const m = dev.match(new RegExp(`^${k}=(.*)$`, 'm'));
			assert.ok(m, `${k} in dev.env`);
			return m[1].replace(/^'|'$/g, '');
		};
		for (const k of ['PG_APP_PASSWORD', 'PG_SUPER_PASSWORD']) {
			const pw = secret(k);
			assert.ok(pw.length >= 16);
			assert.ok(!out.includes(pw), `make run printed ${k}`);
		}
		assert.ok(!/postgres(ql)?:\/\/[^:\s]+:[^@\s]+@/.test(out), 'no URL with a password');
		assert.match(out, /database: /, 'it still says where the database is');
	} finally {
		if (proc.exitCode === null) {
			proc.kill('SIGINT');
			const timer = setTimeout(() => {
				try {
					process.kill(-proc.pid, 'SIGKILL');
				} catch {
					// gone
				}
			}, 60000);
			await exited;
			clearTimeout(timer);
		}
		// Whatever is left (a server or database of this run): make stop.
		spawnSync('bash', [join(ROOT, 'scripts/stop.sh')], { env, stdio: 'ignore', timeout: 60000 });
		try {
			rmSync(readlinkSync(join(varDir, 'pg')), { recursive: true, force: true });
		} catch {
			// no cluster was made
		}
		rmSync(dir, { recursive: true, force: true });
	}
});

// Issue 14, item 6: slow request bodies must not starve everyone.
// 2,500 connections sending their bodies a byte at a time used to leave
// other clients with 503s and 8.8 s waits (each held one of Kore's
// request slots until its 30 s body timeout). The server now caps the
// connections one address may hold (NGAN_CONN_PER_ADDR; trusted proxies
// are exempt, the front limits its own clients) and closes a body that
// arrives slower than NGAN_BODY_MIN_RATE after a few seconds' grace.
//
// A second server trusts no proxy, so every loopback address (127.0.0.x,
// all of it ours) is a client of its own. Every socket opened here is
// destroyed before the test ends.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { BASE_URL, sleep } from './lib.mjs';
import { startServer } from './server-lib.mjs';

const CAP = 32;		// NGAN_CONN_PER_ADDR's default
const BODY = 100000;	// what each slow client announces

// A connection from localAddress that sends its headers and then nothing
// (or a byte at a time, see drip()). Resolves once connected.
function slowClient(port, localAddress, stats, { headers = true } = {}) {
	return new Promise((resolve) => {
		const s = net.connect({ host: '127.0.0.1', port, localAddress });
		s.from = localAddress;
		s.out = '';
		s.on('data', (d) => { s.out += d.toString('latin1'); });
		s.on('error', () => {});
		s.on('close', () => {
			s.closedAt = Date.now();
			stats.closed++;
			const status = Number(s.out.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
			stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
		});
		s.on('connect', () => {
			s.openedAt = Date.now();
			if (headers) {
				s.write('POST /v1/agencies HTTP/1.1\r\nHost: x\r\n' +
				    'Content-Type: application/json\r\n' +
				    `Content-Length: ${BODY}\r\n\r\n{`);
			}
			resolve(s);
		});
	});
}

function newStats() {
	return { closed: 0, statuses: {} };
}

// Normal requests on a keep-alive agent; resolves {status, ms}.
function normal(port, agent, path) {
	const t0 = performance.now();
	return new Promise((resolve) => {
		const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 5000 }, (res) => {
			res.resume();
			res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
	});
}

test('2,000 connections sending their bodies a byte at a time: 95% of normal requests within 1 s', async (t) => {
	const srv = await startServer({ NGAN_TRUSTED_PROXIES: 'none' }, 'slowloris');
	const port = srv.port;
	const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
	const sockets = [];
	const stats = newStats();
	let drip;
	try {
		// 2,000 connections from 50 addresses (40 each).
		for (let a = 0; a < 50; a++) {
			const from = `127.0.0.${10 + a}`;
			const batch = [];
			for (let i = 0; i < 40; i++)
				batch.push(slowClient(port, from, stats));
			sockets.push(...await Promise.all(batch));
		}
		assert.equal(sockets.length, 2000);
		drip = setInterval(() => {
			for (const s of sockets) {
				if (!s.destroyed && s.writable)
					s.write(' ');
			}
		}, 1000);

		// Normal traffic meanwhile: a public list that reads the database.
		const results = [];
		const end = Date.now() + 12000;
		while (Date.now() < end) {
			results.push(...await Promise.all([
			    normal(port, agent, '/v1/events?limit=5'),
			    normal(port, agent, '/healthz'),
			]));
			await sleep(100);
		}
		const fast = results.filter((r) => r.status === 200 && r.ms <= 1000).length;
		const failed = results.filter((r) => r.status !== 200);
		const slowest = results.map((r) => r.ms).sort((x, y) => y - x)[0];
		assert.ok(fast >= 0.95 * results.length,
		    `${fast} of ${results.length} normal requests within 1 s (slowest ${Math.round(slowest)} ms, ` +
		    `${failed.length} failed: ${JSON.stringify(failed.slice(0, 5))})`);
		assert.equal(failed.length, 0, 'no normal request failed');

		// Per address: at most CAP kept, the others refused at once with
		// 503. Addresses are counted in keyed-hash slots, so two of the 50
		// may share one (and its cap), about one run in thirteen: every
		// slot then keeps exactly CAP, so the total is a multiple of CAP.
		const refused = stats.statuses[503] ?? 0;
		const kept = sockets.filter((s) => !s.out.startsWith('HTTP/1.1 503'));
		const keptBy = new Map();
		for (const s of kept)
			keptBy.set(s.from, (keptBy.get(s.from) ?? 0) + 1);
		const byAddress = JSON.stringify(Object.fromEntries(keptBy));
		assert.equal(refused + kept.length, 2000, `statuses: ${JSON.stringify(stats.statuses)}`);
		assert.ok([...keptBy.values()].every((n) => n <= CAP), `at most ${CAP} an address: ${byAddress}`);
		assert.equal(kept.length % CAP, 0, `kept ${kept.length}, a multiple of ${CAP}: ${byAddress}`);
		assert.ok(kept.length >= 45 * CAP, `kept ${kept.length}: ${byAddress}`);
		assert.ok([...keptBy.values()].filter((n) => n === CAP).length >= 40,
		    `most addresses keep exactly ${CAP}: ${byAddress}`);
		// The bodies: closed with 408 after the grace, long before Kore's
		// 30 s body timeout.
		assert.ok(kept.every((s) => s.destroyed || s.closedAt),
		    `all slow bodies closed by the server within 12 s: ${kept.filter((s) => !s.closedAt).length} open`);
		assert.ok(kept.every((s) => s.out.startsWith('HTTP/1.1 408')),
		    `closed with 408: ${JSON.stringify(stats.statuses)}`);
		const held = kept.map((s) => s.closedAt - s.openedAt).sort((x, y) => y - x)[0];
		assert.ok(held < 10000, `the longest slow body was held ${held} ms`);
		const ms = results.map((r) => r.ms).sort((x, y) => x - y);
		t.diagnostic(`${results.length} normal requests: p95 ${Math.round(ms[Math.floor(0.95 * ms.length)])} ms, ` +
		    `slowest ${Math.round(slowest)} ms; ${refused} connections refused (503), ` +
		    `${kept.length} slow bodies closed (408) after ${held} ms at most`);
	} finally {
		clearInterval(drip);
		for (const s of sockets)
			s.destroy();
		agent.destroy();
		await srv.stop();
	}
});

test('connections per address: the one over the cap gets 503, a freed place is taken again', async () => {
	const srv = await startServer({ NGAN_TRUSTED_PROXIES: 'none', NGAN_CONN_PER_ADDR: '5' }, 'conncap');
	const sockets = [];
	const stats = newStats();
	try {
		for (let i = 0; i < 7; i++)
			sockets.push(await slowClient(srv.port, '127.0.0.80', stats, { headers: false }));
		await sleep(500);
		const refused = sockets.filter((s) => s.out.startsWith('HTTP/1.1 503'));
		assert.equal(refused.length, 2, `two refused: ${JSON.stringify(stats.statuses)}`);
		for (const s of refused) {
			assert.match(s.out, /\r\nretry-after: \d+\r\n/i, 'Retry-After');
			assert.match(s.out, /application\/problem\+json/);
			assert.ok(s.closedAt, 'and closed');
		}
		// Another address is not concerned.
		const other = await slowClient(srv.port, '127.0.0.81', stats, { headers: false });
		sockets.push(other);
		// Closing two of the five frees two places.
		sockets[0].destroy();
		sockets[1].destroy();
		await sleep(500);
		const again = [];
		for (let i = 0; i < 2; i++)
			again.push(await slowClient(srv.port, '127.0.0.80', stats, { headers: false }));
		sockets.push(...again);
		const res = await fetch(`${srv.base}/healthz`).catch(() => null);
		assert.equal(res?.status, 200, '127.0.0.1 is served');
		await sleep(500);
		assert.ok(again.every((s) => !s.closedAt && s.out === ''), 'freed places are taken again');
		assert.equal(other.out, '', '127.0.0.81 kept its connection');
	} finally {
		for (const s of sockets)
			s.destroy();
		await srv.stop();
	}
});

// An idle keep-alive connection is closed silently, a few seconds after
// the Keep-Alive hint (clients time it coarsely) and before Kore's
// http_header_timeout (10 s) would answer it with a 408 that a client
// reusing the connection reads as the answer to its next request
// (undici and nginx's upstream keepalive trust the hint). It used to say
// timeout=60 and cut at 10 s with a 408.
test('an idle keep-alive connection closes silently, after its Keep-Alive hint', async () => {
	const port = new URL(BASE_URL).port;
	const s = net.connect({ host: '127.0.0.1', port });
	let out = '';
	let closedAt = 0;
	const closed = new Promise((resolve) => s.on('close', () => { closedAt = Date.now(); resolve(); }));
	s.on('error', () => {});
	s.on('data', (d) => { out += d.toString('latin1'); });
	try {
		await new Promise((resolve) => s.on('connect', resolve));
		s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
		for (let i = 0; i < 50 && !/\r\n\r\n[\s\S]*\S/.test(out); i++)
			await sleep(100);
		const answeredAt = Date.now();
		assert.match(out, /^HTTP\/1\.1 200 /);
		const hint = Number(out.match(/^keep-alive: timeout=(\d+)\r$/im)?.[1]);
		assert.ok(hint > 0 && hint < 10, `a Keep-Alive hint below the 10 s header timeout: ${hint}`);
		const first = out;
		await Promise.race([closed, sleep(15000)]);
		assert.ok(closedAt > 0, 'the server closed the idle connection');
		assert.equal(out, first, 'nothing was sent on the idle connection');
		assert.ok(closedAt - answeredAt >= hint * 1000 + 2000,
		    `well after the hint: closed after ${closedAt - answeredAt} ms, hint ${hint} s`);
	} finally {
		s.destroy();
	}
});

// make soak's load (bench/soak.sh sets it up): an open-loop mixed workload
// at SOAK_RATE requests per second for SOAK_SECONDS, then per route the
// count, errors and p50/p99 latency. An error is any answer outside the
// route's expected statuses, or no answer. Exits 1 on any error.
//
// Adding a route (catalogue, partner stats when they land) is one entry
// in MIX: a weight, a name, and a function returning [method, path, body,
// token, expected statuses].
//
// Environment: SOAK_BASE, SOAK_RATE, SOAK_SECONDS, SOAK_ADMIN, SOAK_ORG,
// SOAK_EVENT (the check-in event), SOAK_REG_EVENT (registrations),
// SOAK_TICKETS (file, a ticket a line), SOAK_MAX_INFLIGHT (256).

import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';

const env = process.env;
const base = env.SOAK_BASE;
const rate = Number(env.SOAK_RATE ?? 100);
const seconds = Number(env.SOAK_SECONDS ?? 300);
const maxInflight = Number(env.SOAK_MAX_INFLIGHT ?? 256);
const admin = env.SOAK_ADMIN;
const org = env.SOAK_ORG;
const tickets = readFileSync(env.SOAK_TICKETS, 'utf8').split('\n').filter(Boolean);
const demoEvent = 'e0000000-0000-4000-8000-000000000003';
let ticketNext = 0;

function nid() {
	const b = randomBytes(12);
	let s = String(1 + (b[0] % 8));
	for (let i = 1; i < 12; i++)
		s += String(b[i] % 10);
	let sum = 0;
	for (let i = 0; i < 12; i++)
		sum += Number(s[i]) * (13 - i);
	return s + String((11 - (sum % 11)) % 10);
}

function phone() {
	const b = randomBytes(9);
	return `0${8 + (b[0] % 2)}${Array.from(b.subarray(1), (x) => x % 10).join('')}`;
}

const MIX = [
	[40, 'GET /v1/events/{id}', () => ['GET', `/v1/events/${demoEvent}`, null, null, [200]]],
	[15, 'GET /v1/events', () => ['GET', '/v1/events?limit=20', null, null, [200]]],
	[10, 'GET /v1/me', () => ['GET', '/v1/me', null, org, [200]]],
	[25, 'POST /v1/checkins', () => ['POST', '/v1/checkins', {
	    token: tickets[ticketNext++ % tickets.length], event_id: env.SOAK_EVENT,
	    nonce: `soak-${randomUUID()}` }, admin,
	    // Once every ticket is used, scans come round again: a door's
	    // rescan, answered 409 already_checked_in, is right too.
	    (status, text) => status === 201 || status === 200 ||
		(status === 409 && text.includes('"already_checked_in"'))]],
	[10, 'POST /v1/events/{id}/registrations', () => ['POST',
	    `/v1/events/${env.SOAK_REG_EVENT}/registrations`, { participant: {
		title_th: 'นาย', first_name: `ทดสอบ${randomUUID().slice(0, 8)}`, last_name: 'ยืนนาน',
		national_id: nid(), phone: phone(), province_code: '52', district_code: '5201',
		subdistrict_code: '520101', target_group: 'labour_volunteer', section40: false,
		pdpa_consent_at: new Date(Date.now() - 3600e3).toISOString(),
		pdpa_consent_version: '2562-1' } }, org, [201]]],
	[10, 'GET /v1/products', () => ['GET', '/v1/products?q=%E0%B8%9C%E0%B9%89%E0%B8%B2&limit=20',
	    null, null, [200]]],
	[5, 'GET /v1/stats/attendance', () => ['GET', '/v1/stats/attendance?group_by=province',
	    null, admin, [200]]],
];
const total = MIX.reduce((a, m) => a + m[0], 0);

const stats = new Map(MIX.map((m) => [m[1], { n: 0, errors: 0, lat: [], samples: [] }]));
let inflight = 0;
let skipped = 0;

function pick() {
	let r = Math.random() * total;
	for (const m of MIX) {
		if ((r -= m[0]) < 0)
			return m;
	}
	return MIX[0];
}

async function one() {
	const [, name, make] = pick();
	const [method, path, body, token, ok] = make();
	const st = stats.get(name);
	const h = {};
	if (token)
		h.authorization = `Bearer ${token}`;
	if (body)
		h['content-type'] = 'application/json';
	const t0 = performance.now();
	inflight++;
	try {
		const r = await fetch(base + path, { method, headers: h,
		    body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(10000) });
		const text = await r.text();
		if (typeof ok === 'function' ? !ok(r.status, text) :
		    !ok.includes(r.status)) {
			st.errors++;
			if (st.samples.length < 3)
				st.samples.push(`${r.status} ${text.slice(0, 200)}`);
		}
	} catch (e) {
		st.errors++;
		if (st.samples.length < 3)
			st.samples.push(String(e.cause?.message ?? e.message));
	} finally {
		inflight--;
	}
	st.n++;
	st.lat.push(performance.now() - t0);
}

const pct = (a, p) => {
	if (a.length === 0)
		return 0;
	const s = Float64Array.from(a).sort();
	return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

const start = performance.now();
const end = start + seconds * 1000;
const pending = new Set();
let sent = 0;
await new Promise((resolve) => {
	const tick = () => {
		const now = performance.now();
		if (now >= end) {
			resolve();
			return;
		}
		// Open loop: as many as the schedule says by now.
		const due = Math.floor(((now - start) / 1000) * rate);
		while (sent < due) {
			sent++;
			if (inflight >= maxInflight) {
				skipped++;
				continue;
			}
			const p = one();
			pending.add(p);
			p.finally(() => pending.delete(p));
		}
		setTimeout(tick, 5);
	};
	tick();
});
await Promise.all(pending);

let errors = skipped;
console.log(`soak: ${seconds} s at ${rate} req/s offered, ${sent - skipped} sent, ` +
    `${skipped} not sent (over ${maxInflight} in flight)`);
console.log('route\tcount\terrors\tp50_ms\tp99_ms');
for (const [name, st] of stats) {
	errors += st.errors;
	console.log(`${name}\t${st.n}\t${st.errors}\t${pct(st.lat, 0.5).toFixed(1)}\t${pct(st.lat, 0.99).toFixed(1)}`);
	for (const s of st.samples)
		console.log(`  e.g. ${s}`);
}
console.log(`soak: errors ${errors}`);
process.exit(errors === 0 ? 0 : 1);

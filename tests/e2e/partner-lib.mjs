// Helpers of the partner data tests (50-57): partner clients and their
// tokens, events with people registered and checked in, raw HTTP for what
// the spec leaves out on purpose (CORS preflight).

import assert from 'node:assert/strict';
import { api, BASE_URL, expectStatus, tokenFor, tokenRequest, uniq } from './lib.mjs';
import { checkin, registered, runningEvent } from './checkins-lib.mjs';

export const RATE = Number(process.env.NGAN_PARTNER_RATE ?? 40);

// A new partner client; returns its creation answer (with the secret).
export async function partnerClient(overrides = {}) {
	const admin = await tokenFor('admin');
	const res = await api('POST', '/v1/partner-clients', { token: admin,
	    body: { name: `แดชบอร์ดพันธมิตร ${uniq('')}`, scopes: ['stats:read', 'feed:read'],
		...overrides } });
	expectStatus(res, 201, 'create partner client');
	return res.json;
}

export async function clientToken(c) {
	const res = await tokenRequest({ grant_type: 'client_credentials',
	    client_id: c.client_id, client_secret: c.client_secret });
	expectStatus(res, 200, 'client_credentials');
	return res.json.access_token;
}

// A client and a token for it.
export async function partner(overrides = {}) {
	const c = await partnerClient(overrides);
	return { client: c, token: await clientToken(c) };
}

export function stats(token, query = {}) {
	const q = new URLSearchParams(query).toString();
	return api('GET', `/v1/stats/attendance${q ? `?${q}` : ''}`, { token });
}

export function feed(token, query = {}) {
	const q = new URLSearchParams(query).toString();
	return api('GET', `/v1/feed/registrations${q ? `?${q}` : ''}`, { token });
}

// Pages the feed to its current end; returns {items, cursor}.
export async function drainFeed(token, cursor, limit = 200) {
	const items = [];
	for (let i = 0; i < 1000; i++) {
		const q = { limit: String(limit) };
		if (cursor)
			q.cursor = cursor;
		const res = expectStatus(await feed(token, q), 200, 'feed page');
		items.push(...res.json.items);
		const next = res.json.next_cursor;
		assert.ok(next, 'next_cursor is never null');
		if (res.json.items.length === 0 && next === cursor)
			return { items, cursor };
		cursor = next;
	}
	assert.fail('the feed did not end');
}

// A running event (Lampang unless overridden) with n people registered
// and the first `came` of them checked in by the organiser.
export async function eventWithPeople(n, came, overrides = {}, participant = {}) {
	const organizer = await tokenFor('organizer');
	const event = await runningEvent({ capacity: 100, quotas: [], ...overrides });
	const people = [];
	for (let i = 0; i < n; i++)
		people.push(await registered(event.id, { participant, token: organizer }));
	for (const p of people.slice(0, came)) {
		const res = await checkin(organizer, { token: p.token, event_id: event.id, direction: 'in' });
		assert.equal(res.status, 201, `check-in: ${res.text}`);
	}
	return { event, people };
}

// Raw fetch, for answers the spec does not describe (preflight).
export async function raw(method, path, headers = {}) {
	const r = await fetch(BASE_URL + path, { method, headers });
	return { status: r.status, headers: r.headers, text: await r.text() };
}

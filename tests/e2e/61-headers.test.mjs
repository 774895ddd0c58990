// Security headers (issue 7): no server version or stack in answers, and
// Cache-Control: no-store on everything personal. A new personal route
// is one line in PERSONAL.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, login, tokenFor, expectStatus } from './lib.mjs';
import { runningEvent, registered, rawOrApi } from './checkins-lib.mjs';

let organizer, ev, reg, participantId;
before(async () => {
	organizer = await tokenFor('organizer');
	ev = await runningEvent();
	reg = await registered(ev.id);
	participantId = (await rawOrApi('GET', `/v1/registrations/${reg.id}`,
	    { token: organizer })).json?.participant_id;
});

const PERSONAL = [
	() => '/v1/me',
	() => `/v1/registrations/${reg.id}`,
	() => `/v1/registrations/${reg.id}/ticket`,
	() => `/v1/registrations/${reg.id}/qr.svg`,
	() => `/v1/events/${ev.id}/registrations`,
	() => `/v1/events/${ev.id}/registrations.csv`,
	() => `/v1/participants/${participantId}`,
	() => '/v1/participants?q=%E0%B8%AA%E0%B8%A1',
	() => `/v1/events/${ev.id}/checkins`,
	() => `/v1/events/${ev.id}/scanner-manifest`,
];

test('no server version, no stack or internals in errors', async () => {
	for (const path of ['/healthz', '/nope', '/v1/me']) {
		const res = await api('GET', path);
		const server = res.headers.get('server') ?? '';
		assert.ok(!/kore|\d+\.\d+/i.test(server), `${path}: Server: ${server}`);
		assert.ok(!/\.c:\d+|kore_|PQ|SQLSTATE|stack/i.test(res.text), `${path}: ${res.text}`);
	}
});

test('Cache-Control: no-store on tokens and personal data', async () => {
	const t = await login('organizer');
	assert.ok(t.access_token);
	const tok = await api('POST', '/v1/auth/token', { body: { grant_type: 'refresh_token',
	    refresh_token: t.refresh_token } });
	expectStatus(tok, 200);
	assert.match(tok.headers.get('cache-control') ?? '', /no-store/, 'token endpoint');
	assert.ok(participantId, 'the registration names its participant');
	const missing = [];
	for (const p of PERSONAL) {
		const res = await rawOrApi('GET', p(), { token: organizer });
		assert.equal(res.status, 200, `${p()}: ${res.text?.slice(0, 200)}`);
		if (!/no-store/.test(res.headers.get('cache-control') ?? ''))
			missing.push(p());
	}
	assert.deepEqual(missing, [], 'routes without Cache-Control: no-store');
});

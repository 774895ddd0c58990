// The spec works with real tooling: openapi-typescript generates types
// from openapi.yaml with its default options, small clients written
// against them with openapi-fetch are type-checked (TypeScript, strict,
// no casts, no `any`) and compiled, and run against the server:
// - a partner: client_credentials token, list events, read statistics;
// - staff: register a known participant and an inline walk-in through the
//   RegistrationInput union without the fields that have a default
//   (`check_in`, `direction`), read the ticket, check it in, each answer's
//   message in the language asked by the declared Accept-Language header.
// A second file must NOT type-check where the contract forbids: a
// registration naming no participant, a direction that is neither in nor
// out (each line under @ts-expect-error, which fails when nothing errs).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { BASE_URL, OPENAPI_PATH, createParticipant, participantBody, sqlInt,
    tokenFor } from './lib.mjs';
import { nonce, runningEvent } from './checkins-lib.mjs';
import { partnerClient } from './partner-lib.mjs';

const CLIENT_TS = `
import createClient from 'openapi-fetch';
import type { paths, components } from './schema.js';

type Stats = components['schemas']['AttendanceStats'];

export async function scenario(baseUrl: string, clientId: string, secret: string):
    Promise<{ scope: string; titles: string[]; provinces: string[]; events: number }> {
	const api = createClient<paths>({ baseUrl });
	const tok = await api.POST('/v1/auth/token', {
	    body: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } });
	if (tok.data === undefined)
		throw new Error('token: ' + JSON.stringify(tok.error));
	const headers = { Authorization: 'Bearer ' + tok.data.access_token };
	const events = await api.GET('/v1/events', { headers,
	    params: { query: { province: '52', limit: 5 } } });
	if (events.data === undefined)
		throw new Error('events: ' + JSON.stringify(events.error));
	const stats = await api.GET('/v1/stats/attendance', { headers,
	    params: { query: { group_by: 'province' } } });
	if (stats.data === undefined)
		throw new Error('stats: ' + JSON.stringify(stats.error));
	const s: Stats = stats.data;
	return {
	    scope: tok.data.scope,
	    titles: events.data.items.map((e) => e.title),
	    provinces: s.items.map((row) => row.province_code ?? ''),
	    events: s.totals.events,
	};
}

type RegistrationInput = components['schemas']['RegistrationInput'];
type ParticipantInput = components['schemas']['ParticipantInput'];
type Registered = { how: string; id: string; status: string; message: string | null };

export async function staff(baseUrl: string, token: string, eventId: string,
    participantId: string, walkIn: ParticipantInput, scanNonce: string):
    Promise<{ registered: Registered[]; result: string; message: string }> {
	const api = createClient<paths>({ baseUrl, headers: { Authorization: 'Bearer ' + token } });
	// No check_in in either body: it has a default, so it is optional.
	const known: RegistrationInput = { participant_id: participantId, target_group: 'labour_volunteer' };
	const inline: RegistrationInput = { participant: walkIn, check_in: true, device_id: 'door-1' };
	const registered: Registered[] = [];
	for (const body of [known, inline]) {
		const r = await api.POST('/v1/events/{id}/registrations', {
		    params: { path: { id: eventId }, header: { 'Accept-Language': 'en' } }, body });
		if (r.data === undefined)
			throw new Error('register: ' + JSON.stringify(r.error));
		// The union narrows on its required member.
		const how = 'participant_id' in body ? 'known ' + body.participant_id :
		    'inline ' + body.participant.first_name;
		registered.push({ how, id: r.data.id, status: r.data.status,
		    message: r.data.checkin?.message ?? null });
	}
	const ticket = await api.GET('/v1/registrations/{id}/ticket', {
	    params: { path: { id: registered[0].id } } });
	if (ticket.data === undefined)
		throw new Error('ticket: ' + JSON.stringify(ticket.error));
	// No direction: it defaults to in. Thai asked for by name.
	const scan = await api.POST('/v1/checkins', {
	    params: { header: { 'Accept-Language': 'th-TH,th;q=0.9,en;q=0.8' } },
	    body: { token: ticket.data.token, event_id: eventId, nonce: scanNonce } });
	if (scan.data === undefined)
		throw new Error('check-in: ' + JSON.stringify(scan.error));
	return { registered, result: scan.data.result, message: scan.data.message };
}
`;

// Each line under @ts-expect-error must be a type error, or tsc reports
// the directive as unused.
const MUST_NOT_COMPILE_TS = `
import type { components, paths } from './schema.js';

type RegistrationInput = components['schemas']['RegistrationInput'];
type CheckinInput = components['schemas']['CheckinInput'];

// @ts-expect-error neither participant_id nor participant
export const neither: RegistrationInput = { target_group: 'general', check_in: false };
// @ts-expect-error a participant id is a string
export const numbered: RegistrationInput = { participant_id: 7 };
export const sideways: CheckinInput = { token: 't', event_id: 'e', nonce: 'n-12345678',
    // @ts-expect-error a direction is in or out
    direction: 'sideways' };
// Accept-Language is a header the operation declares (never, if not).
type Headers = NonNullable<paths['/v1/checkins']['post']['parameters']['header']>;
export const english: Headers = { 'Accept-Language': 'en' };
`;

// TypeScript's diagnostics for files in dir, with the compiler options a
// strict project uses; emits JavaScript into dir/out.
function compile(dir, files) {
	const program = ts.createProgram(files.map((f) => join(dir, f)), {
	    strict: true, noImplicitAny: true, target: ts.ScriptTarget.ES2022,
	    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
	    skipLibCheck: true, outDir: join(dir, 'out') });
	const emitted = program.emit();
	return ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics).map((d) =>
	    `${d.file ? d.file.fileName.split('/').pop() : ''}: ` +
	    ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

// The client's own code has no cast (`x as T`, `<T>x`, `x!`) and no `any`:
// it stands on the generated types alone.
function assertNoCasts(source) {
	const found = [];
	const file = ts.createSourceFile('client.ts', source, ts.ScriptTarget.ES2022, true);
	const visit = (node) => {
		if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node) ||
		    ts.isNonNullExpression(node) || node.kind === ts.SyntaxKind.AnyKeyword)
			found.push(node.getText(file));
		ts.forEachChild(node, visit);
	};
	visit(file);
	assert.deepEqual(found, [], 'the client uses the generated types with no cast and no any');
}

test('a TypeScript client generated from openapi.yaml type-checks and runs a partner scenario', async () => {
	const testsDir = fileURLToPath(new URL('..', import.meta.url));
	// Inside tests/node_modules so that the client resolves openapi-fetch.
	const dir = mkdtempSync(join(testsDir, 'node_modules', '.ngan-typed-'));
	try {
		const ast = await openapiTS(new URL(pathToFileURL(OPENAPI_PATH)));
		writeFileSync(join(dir, 'schema.ts'), astToString(ast));
		writeFileSync(join(dir, 'client.ts'), CLIENT_TS);
		writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
		assertNoCasts(CLIENT_TS);
		assert.deepEqual(compile(dir, ['client.ts']), [],
		    'the client type-checks against the generated types');
		assert.match(readFileSync(join(dir, 'schema.ts'), 'utf8'), /"\/v1\/stats\/attendance"/);

		const c = await partnerClient({ scopes: ['stats:read'], provinces: ['52'] });
		const { scenario } = await import(pathToFileURL(join(dir, 'out', 'client.js')).href);
		const out = await scenario(BASE_URL, c.client_id, c.client_secret);
		assert.equal(out.scope, 'stats:read');
		assert.ok(out.titles.length > 0, 'published Lampang events are listed');
		assert.deepEqual([...new Set(out.provinces)].filter(Boolean), out.provinces.length ? ['52'] : []);
		// The events the statistics count: Lampang's published ones, as listed.
		assert.ok(out.events > 0, `events counted: ${out.events}`);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

test('staff with the generated types: the registration union, optional defaults, Accept-Language', async () => {
	const testsDir = fileURLToPath(new URL('..', import.meta.url));
	const dir = mkdtempSync(join(testsDir, 'node_modules', '.ngan-typed-'));
	try {
		const ast = await openapiTS(new URL(pathToFileURL(OPENAPI_PATH)));
		const schemaTs = astToString(ast);
		writeFileSync(join(dir, 'schema.ts'), schemaTs);
		writeFileSync(join(dir, 'client.ts'), CLIENT_TS);
		writeFileSync(join(dir, 'bad.ts'), MUST_NOT_COMPILE_TS);
		writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
		// A union of the two closed bodies, not `unknown | unknown`.
		assert.match(schemaTs, /RegistrationInput: components\["schemas"\]\["RegistrationOfKnownParticipant"\] \| components\["schemas"\]\["RegistrationWithParticipant"\];/);
		assert.deepEqual(compile(dir, ['client.ts', 'bad.ts']), [],
		    'the client compiles, and every @ts-expect-error line is an error');

		const organizer = await tokenFor('organizer');
		const ev = await runningEvent();
		const p = await createParticipant({ target_group: 'volunteer_mentor' });
		const walkIn = participantBody();
		const { staff } = await import(pathToFileURL(join(dir, 'out', 'client.js')).href);
		const out = await staff(BASE_URL, organizer, ev.id, p.id, walkIn, nonce());
		assert.equal(out.registered.length, 2);
		assert.deepEqual(out.registered.map((r) => r.how),
		    [`known ${p.id}`, `inline ${walkIn.first_name}`]);
		assert.deepEqual(out.registered.map((r) => r.status), ['confirmed', 'confirmed']);
		assert.equal(out.registered[0].message, null, 'no check_in: no walk-in check-in');
		assert.doesNotMatch(out.registered[1].message, /[\u0E00-\u0E7F]/,
		    'the walk-in\'s check-in message in English, as asked');
		assert.equal(out.result, 'checked_in', 'direction defaults to in');
		assert.match(out.message, /[\u0E00-\u0E7F]/, 'the scan message in Thai, as asked');
		assert.equal(sqlInt(`select count(*) from checkin where registration_id = any($1::uuid[])
		    and direction = 'in' and state = 'effective'`, [`{${out.registered.map((r) => r.id).join(',')}}`]), 2,
		    'both are checked in (the walk-in at once, the other by the scan)');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

// openapi.yaml as the standard tools see it (issue 15, item 2): Redocly
// CLI (`recommended`) and Spectral (`spectral:oas`), run offline from
// tests/node_modules, find no error and no warning; our own rules
// (openapi-rules.mjs) catch the mistakes those tools caught and ours
// missed; the registration body is a oneOf whose branches never both
// match; Accept-Language is declared where answers follow it; `servers`
// is relative and the /docs page may call its own origin.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { api, createParticipant, dataUnchanged, expectFieldError, expectStatus, openEvent,
    OPENAPI_PATH, participantBody, spec, tokenFor, validateResponse,
    validatorAt } from './lib.mjs';
import { checkin, registered, runningEvent } from './checkins-lib.mjs';
import { specProblems } from './openapi-rules.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../node_modules/.bin/', import.meta.url));

// Runs a linter with no way out: telemetry and update checks off, and
// every proxy pointed at a closed port so a fetch would fail loudly.
function lint(tool, args) {
	try {
		return { code: 0, out: execFileSync(BIN + tool, args, { cwd: ROOT, encoding: 'utf8',
		    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDOCLY_TELEMETRY: 'off',
		    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', HTTP_PROXY: 'http://127.0.0.1:9',
		    HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' } }) };
	} catch (e) {
		return { code: e.status, out: `${e.stdout}\n${e.stderr}` };
	}
}

describe('the standard linters', () => {
	test('Redocly CLI (recommended): no error, no warning', () => {
		const { code, out } = lint('redocly', ['lint', OPENAPI_PATH, '--config', 'redocly.yaml',
		    '--format=json']);
		const report = JSON.parse(out.slice(out.indexOf('{')));
		assert.deepEqual(report.problems.map((p) => `${p.ruleId}: ${p.message}`), []);
		assert.equal(report.totals.errors, 0);
		assert.equal(report.totals.warnings, 0);
		assert.equal(code, 0);
		// Only the findings listed, with reasons, in .redocly.lint-ignore.yaml.
		const listed = Object.values(YAML.parse(readFileSync(`${ROOT}/.redocly.lint-ignore.yaml`,
		    'utf8'))['openapi.yaml']).flat().length;
		assert.equal(report.totals.ignored, listed);
	});

	test('Spectral (spectral:oas): no error, no warning', () => {
		const { code, out } = lint('spectral', ['lint', OPENAPI_PATH, '--ruleset', '.spectral.yaml',
		    '--format', 'json', '--fail-severity', 'hint', '--quiet']);
		const results = JSON.parse(out.slice(out.indexOf('[')));
		assert.deepEqual(results.map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`), []);
		assert.equal(code, 0);
	});
});

describe('our own rules (openapi-rules.mjs)', () => {
	test('hold for openapi.yaml', () => {
		assert.deepEqual(specProblems(spec), []);
	});

	test('catch a comma in a flow map, a pre-filled filter and a request default', () => {
		const bad = YAML.parse(`
openapi: 3.1.0
paths:
  /things:
    get:
      parameters:
        - { name: q, in: query, schema: { type: string, example: ก้านบัว } }
        - { name: from, in: query, example: '2020-01-01', schema: { type: string } }
        - { name: kind, in: query, schema: { $ref: '#/components/schemas/Code' } }
        - { name: fine, in: query, schema: { type: string, examples: [x] } }
        - { name: needed, in: query, required: true, schema: { type: string, example: x } }
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/ThingInput' }
components:
  schemas:
    Code: { type: string, example: textiles }
    Thing:
      properties:
        key: { type: string, description: base64url, 32 bytes. }
    ThingInput:
      required: [name]
      properties:
        name: { type: string, default: x }
        flag: { $ref: '#/components/schemas/Flag' }
    Flag: { type: boolean, default: false }
`);
		const problems = specProblems(bad);
		const has = (re) => assert.ok(problems.some((p) => re.test(p)), `${re}: ${problems.join('\n')}`);
		has(/Thing\/properties\/key: "32 bytes\." is not a schema keyword/);
		has(/GET \/things \?q: schema "example"/);
		has(/GET \/things \?from: an example on an optional filter/);
		has(/GET \/things \?kind: schema "example"/);
		has(/ThingInput\/properties\/name: a request field's "default"/);
		has(/ThingInput\/properties\/name: required and has a default/);
		assert.equal(problems.length, 6, problems.join('\n'));
	});
});

describe('the registration body: exactly one of participant_id and participant', () => {
	const whole = () => validatorAt('/components/schemas/RegistrationInput');
	const branches = () => spec.components.schemas.RegistrationInput.oneOf.map((b) =>
	    validatorAt(b.$ref.slice(1)));
	const matching = (body) => branches().filter((v) => v(body)).length;

	test('each valid body matches one branch; both, neither or a stray field match none', () => {
		const id = '0d3c6e4a-2b1f-4a8e-9c7d-5e6f7a8b9c0d';
		const person = participantBody();
		for (const body of [{ participant_id: id }, { participant_id: id, target_group: 'general',
		    check_in: true, device_id: 'door-1' }, { participant: person },
		    { participant: person, check_in: false }]) {
			assert.equal(matching(body), 1, JSON.stringify(body));
			assert.ok(whole()(body), JSON.stringify(whole().errors));
		}
		for (const body of [{ participant_id: id, participant: person }, {},
		    { target_group: 'general' }, { participant_id: id, extra: 1 }]) {
			assert.equal(matching(body), 0, JSON.stringify(body));
			assert.equal(whole()(body), false, JSON.stringify(body));
		}
	});

	test('the server agrees: both or neither is 422 and stores nothing', async () => {
		const token = await tokenFor('organizer');
		const { event } = await openEvent();
		const p = await createParticipant();
		const url = `/v1/events/${event.id}/registrations`;
		await dataUnchanged(async () => {
			expectFieldError(await api('POST', url, { token,
			    body: { participant_id: p.id, participant: participantBody() } }),
			    'participant', 'format');
			expectFieldError(await api('POST', url, { token, body: { target_group: 'general' } }),
			    'participant_id', 'required');
		});
	});
});

describe('Accept-Language', () => {
	// On the path (every operation can answer a problem in either
	// language) or on the operation.
	const declared = (template, method) => [...(spec.paths[template].parameters ?? []),
	    ...(spec.paths[template][method].parameters ?? [])]
	    .some((p) => p.$ref === '#/components/parameters/AcceptLanguage');

	test('is one reusable header parameter, on the operations whose answers follow it', () => {
		const p = spec.components.parameters.AcceptLanguage;
		assert.equal(p.in, 'header');
		assert.equal(p.name, 'Accept-Language');
		assert.ok(!('example' in p) && !('example' in p.schema), 'nothing pre-filled in Try it out');
		for (const [template, method] of [['/v1/checkins', 'post'], ['/v1/checkins/batch', 'post'],
		    ['/v1/events/{id}/registrations', 'post']])
			assert.ok(declared(template, method), `${method} ${template}`);
	});

	test('answers that say Vary: Accept-Language come from operations that declare it', async () => {
		const organizer = await tokenFor('organizer');
		const ev = await runningEvent();
		const who = await registered(ev.id);
		const en = await checkin(organizer, { token: who.token, event_id: ev.id },
		    { 'Accept-Language': 'en' });
		expectStatus(en, 201);
		assert.match(en.headers.get('vary') ?? '', /accept-language/i);
		assert.doesNotMatch(en.json.message, /[\u0E00-\u0E7F]/);
		const walkIn = expectStatus(await api('POST', `/v1/events/${ev.id}/registrations`, {
		    token: organizer, headers: { 'Accept-Language': 'en' },
		    body: { participant: participantBody(), check_in: true } }), 201);
		assert.match(walkIn.headers.get('vary') ?? '', /accept-language/i);
		// The harness refuses such an answer from an operation that does not
		// declare the header (lib.mjs validates every response so).
		// Every path declares it now (issue 15, item 4), so take it off
		// one for the check.
		const headers = new Headers({ 'content-type': 'application/json', 'x-request-id': 'abc',
		    vary: 'Accept-Language' });
		const item = spec.paths['/healthz'];
		const kept = item.parameters;
		item.parameters = [];
		try {
			assert.throws(() => validateResponse('GET', '/healthz',
			    { status: 200, headers, text: '{"status":"ok"}', json: { status: 'ok' } }),
			    /declares no Accept-Language parameter/);
		} finally {
			item.parameters = kept;
		}
	});
});

describe('Try it out on any host', () => {
	test('servers is the relative "/"', () => {
		assert.deepEqual(spec.servers.map((s) => s.url), ['/']);
	});

	test('the /docs page may call its own origin, and only it', async () => {
		const res = expectStatus(await api('GET', '/docs'), 200);
		const csp = Object.fromEntries(res.headers.get('content-security-policy').split(';')
		    .map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
		assert.deepEqual(csp['connect-src'], ["'self'"]);
		assert.deepEqual(csp['default-src'], ["'self'"]);
		assert.deepEqual(csp['frame-ancestors'], ["'none'"]);
	});
});

// openapi.yaml is linted (OpenAPI 3.1 JSON schema plus the project's own
// rules) and served by the server byte for byte.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { api, spec, specText, OPENAPI_PATH, allOperations, expectStatus,
    validateResponse, validatorAt } from './lib.mjs';

const ERROR_STATUSES = /^[45][0-9][0-9]$/;
// RFC 6749 governs these two: form-encoded parameters, errors as 5.2 JSON.
const OAUTH = new Set(['/v1/auth/token', '/v1/auth/revoke']);

function deref(node) {
	while (node && node.$ref) {
		node = node.$ref.slice(2).split('/').reduce((n, k) =>
		    n?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
	}
	return node;
}

function* refs(node, path = '#') {
	if (Array.isArray(node)) {
		for (const [i, v] of node.entries())
			yield* refs(v, `${path}/${i}`);
	} else if (node && typeof node === 'object') {
		for (const [k, v] of Object.entries(node)) {
			if (k === '$ref' && typeof v === 'string')
				yield { ref: v, at: path };
			else
				yield* refs(v, `${path}/${k}`);
		}
	}
}

test('openapi.yaml is a valid OpenAPI 3.1 document', async () => {
	const validator = new Validator();
	const result = await validator.validate(OPENAPI_PATH);
	assert.equal(validator.version, '3.1');
	assert.ok(result.valid,
	    `openapi.yaml is not valid OpenAPI 3.1:\n${JSON.stringify(result.errors, null, 2)}`);
	assert.match(spec.openapi, /^3\.1\.\d+$/);
});

test('every $ref resolves', () => {
	for (const { ref, at } of refs(spec)) {
		assert.ok(ref.startsWith('#/'), `${at}: only local refs (${ref})`);
		assert.ok(deref({ $ref: ref }) !== undefined, `${at}: dangling ${ref}`);
	}
});

test('every operation has operationId, tags, summary, security and documented responses', () => {
	const ids = new Set();
	const tagNames = new Set((spec.tags ?? []).map((t) => t.name));
	for (const { method, template, op } of allOperations()) {
		const where = `${method} ${template}`;
		assert.match(op.operationId ?? '', /^[a-z][A-Za-z0-9]+$/, `${where}: operationId`);
		assert.ok(!ids.has(op.operationId), `${where}: duplicate operationId ${op.operationId}`);
		ids.add(op.operationId);
		assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${where}: tags`);
		for (const t of op.tags)
			assert.ok(tagNames.has(t), `${where}: tag ${t} is not declared at the top`);
		assert.ok(op.summary?.length > 0, `${where}: summary`);
		const security = op.security ?? spec.security;
		assert.ok(Array.isArray(security), `${where}: security`);
		const responses = op.responses ?? {};
		assert.ok(Object.keys(responses).some((s) => /^2/.test(s)), `${where}: a 2xx response`);
		for (const [status, r0] of Object.entries(responses)) {
			const r = deref(r0);
			assert.ok(r.description, `${where} ${status}: description`);
			const h = Object.keys(r.headers ?? {});
			assert.ok(h.includes('X-Request-Id'), `${where} ${status}: X-Request-Id header`);
			if (ERROR_STATUSES.test(status) && op['x-scan-results']) {
				// Check-in answers every scan outcome with one JSON body.
				const types = Object.keys(r.content ?? {});
				assert.ok(types.length > 0 && types.every((t) =>
				    t === 'application/json' || t === 'application/problem+json'),
				    `${where} ${status}: scan results or problem+json`);
			} else if (OAUTH.has(template) && ['400', '401', '413', '415'].includes(status)) {
				// RFC 6749 5.2: the OAuth endpoints' own errors are JSON.
				assert.deepEqual(Object.keys(r.content ?? {}), ['application/json'],
				    `${where} ${status}: OAuth errors are application/json`);
				assert.match(JSON.stringify(r.content['application/json'].schema),
				    /#\/components\/schemas\/OAuthError/, `${where} ${status}: OAuthError`);
			} else if (ERROR_STATUSES.test(status)) {
				assert.deepEqual(Object.keys(r.content ?? {}), ['application/problem+json'],
				    `${where} ${status}: errors are problem+json`);
			}
		}
		// Operations that need a token can answer 401; those with a body 400/413/415/422.
		if (security.length > 0)
			assert.ok(responses['401'], `${where}: 401 for a missing token`);
		if (op.requestBody) {
			// The OAuth endpoints answer a bad body 400 invalid_request, not 422.
			for (const s of OAUTH.has(template) ? ['400', '413', '415'] : ['400', '413', '415', '422'])
				assert.ok(responses[s], `${where}: ${s} for a bad body`);
			// JSON, except the CSV registration import (text/csv only).
			const content = deref(op.requestBody).content;
			if (OAUTH.has(template)) {
				assert.ok(content['application/x-www-form-urlencoded'],
				    `${where}: form-encoded parameters (RFC 6749)`);
			}
			// and product images (raw bytes or multipart/form-data).
			assert.ok(content['application/json'] || content['text/csv'] ||
			    content['multipart/form-data'],
			    `${where}: JSON (or CSV, or an image) request body`);
		}
		if (template.startsWith('/v1/'))
			assert.ok(responses['503'], `${where}: 503 when the database is down`);
		if (template.includes('{'))
			assert.ok(responses['404'], `${where}: 404 for an unknown id`);
		if (method === 'PATCH') {
			assert.ok(responses['412'] && responses['428'], `${where}: 412 and 428`);
		}
	}
});

test('the generic 404 and 405 responses are declared', () => {
	assert.ok(spec.components.responses.NotFound);
	const m = spec.components.responses.MethodNotAllowed;
	assert.ok(m?.headers?.Allow, '405 documents Allow');
});

test('response objects whose fields the contract lists are closed', () => {
	for (const name of ['Problem', 'ValidationProblem', 'OAuthError', 'AuthorizationServerMetadata',
	    'TokenResponse', 'MeUser', 'MeClient', 'Agency', 'AgencyList',
	    'User', 'UserList', 'PartnerClientCreated', 'Jwks', 'Jwk',
	    'Health', 'Ready', 'AgencyCreate', 'UserCreate', 'UserPatch',
	    'PartnerClientCreate', 'PasswordGrant', 'RefreshTokenGrant',
	    'ClientCredentialsGrant', 'RevokeRequest']) {
		assert.equal(spec.components.schemas[name]?.additionalProperties, false,
		    `${name}: additionalProperties: false`);
	}
});

test('the response validator rejects what it should', () => {
	// A guard against a validator that accepts anything.
	const headers = new Headers({ 'content-type': 'application/json', 'x-request-id': 'abc' });
	assert.throws(() => validateResponse('GET', '/healthz',
	    { status: 200, headers, text: '{"status":"fine"}', json: { status: 'fine' } }),
	    /body does not match/);
	assert.throws(() => validateResponse('GET', '/healthz',
	    { status: 418, headers, text: '{}', json: {} }), /status not documented/);
	assert.throws(() => validateResponse('GET', '/healthz', {
	    status: 200, headers: new Headers({ 'content-type': 'application/json' }),
	    text: '{"status":"ok"}', json: { status: 'ok' } }), /X-Request-Id/);
	assert.throws(() => validateResponse('GET', '/v1/agencies/x', {
	    status: 200, headers, text: '{"status":"ok"}', json: { status: 'ok' } }),
	    /ETag|body does not match/);
	assert.throws(() => validateResponse('DELETE', '/healthz',
	    { status: 200, headers, text: '{}', json: {} }), /only 405/);
	assert.throws(() => validateResponse('GET', '/nope',
	    { status: 200, headers, text: '{}', json: {} }), /only 404/);
	validateResponse('GET', '/healthz',
	    { status: 200, headers, text: '{"status":"ok"}', json: { status: 'ok' } });
});

test('every example matches its schema', () => {
	const esc = (k) => k.replace(/~/g, '~0').replace(/\//g, '~1');
	let checked = 0;
	// Media type objects (request bodies and responses) with example(s).
	function* mediaTypes(node, pointer) {
		if (!node || typeof node !== 'object')
			return;
		if (node.content && typeof node.content === 'object') {
			for (const [mt, m] of Object.entries(node.content)) {
				if (m && m.schema)
					yield { m, pointer: `${pointer}/content/${esc(mt)}` };
			}
		}
		for (const [k, v] of Object.entries(node)) {
			if (k !== 'content' && v && typeof v === 'object')
				yield* mediaTypes(v, `${pointer}/${esc(k)}`);
		}
	}
	for (const { m, pointer } of mediaTypes(spec, '')) {
		const v = validatorAt(`${pointer}/schema`);
		const examples = [];
		if ('example' in m)
			examples.push(['example', m.example]);
		for (const [name, ex] of Object.entries(m.examples ?? {}))
			examples.push([name, ex.value]);
		for (const [name, value] of examples) {
			if (typeof value === 'string' && !/json/.test(pointer))
				continue;
			assert.ok(v(value), `${pointer} ${name}: ${JSON.stringify(v.errors)}`);
			checked++;
		}
	}
	assert.ok(checked >= 10, `examples checked: ${checked}`);
});

test('GET /openapi.yaml serves this file', async () => {
	const res = expectStatus(await api('GET', '/openapi.yaml'), 200);
	assert.match(res.headers.get('content-type'), /^application\/yaml\b/);
	assert.equal(res.text, specText, 'served document equals openapi.yaml');
});

// The route table (ngan_routes in api/main.c) and the paths are the same
// set of operations, both ways: every row's method is documented, every
// documented operation has its row. Parameter names may differ ({id}).
test('the route table and openapi.yaml name the same operations', () => {
	const text = readFileSync(new URL('../../api/main.c', import.meta.url),
	    'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
	const table = text.slice(text.indexOf('ngan_routes[] = {'),
	    text.indexOf('ngan_routes_count ='));
	const rows = table.split(/\n\t\{ "/).slice(1);
	const shape = (t) => t.replace(/\{[^}]*\}/g, '{}');
	const routes = new Set();
	for (const row of rows) {
		const template = row.slice(0, row.indexOf('"'));
		for (const m of row.matchAll(/\[(GET|POST|PUT|DELETE|PATCH)\] =/g))
			routes.add(`${m[1]} ${shape(template)}`);
	}
	const documented = new Set(allOperations()
	    .filter(({ method }) => method !== 'HEAD' && method !== 'OPTIONS')
	    .map(({ method, template }) => `${method} ${shape(template)}`));
	assert.ok(rows.length > 50, `${rows.length} rows read from the table`);
	assert.deepEqual([...routes].filter((o) => !documented.has(o)), [],
	    'routes openapi.yaml does not document');
	assert.deepEqual([...documented].filter((o) => !routes.has(o)), [],
	    'documented operations without a route');
});

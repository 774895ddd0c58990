// Shared helpers for the end-to-end tests.
//
// api() speaks HTTP to the server under test and validates EVERY response
// against openapi.yaml: the operation is found by method and path template,
// the status must be documented, the body must match the schema documented
// for that status and content type, and documented required headers must be
// present and match their schemas. A mismatch throws an AssertionError that
// names the request, the rule and the body, so the test fails clearly.
//
// Environment (see contract.md, "Running"):
//   NGAN_BASE_URL  http://127.0.0.1:PORT of the server under test
//   DATABASE_URL   libpq URI of the test database (psql assertions)
//   DEMO_PASSWORD  password of the demo accounts
//   NGAN_PG_STOP / NGAN_PG_START  shell commands stopping/starting PostgreSQL
//   NGAN_OPENAPI   path to openapi.yaml (default: the repository's)
//   NGAN_JWT_KEY   optional: the server's signing key, for forged-token tests

import assert from 'node:assert/strict';
import { execFileSync, execSync } from 'node:child_process';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

export const BASE_URL = (process.env.NGAN_BASE_URL ?? 'http://127.0.0.1:8080')
    .replace(/\/+$/, '');
export const DATABASE_URL = process.env.DATABASE_URL ?? '';
export const DEMO_PASSWORD = process.env.DEMO_PASSWORD ?? '';
export const OPENAPI_PATH = process.env.NGAN_OPENAPI ??
    fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
export const JWT_KEY_PATH = process.env.NGAN_JWT_KEY ?? '';

export const DEMO = Object.freeze({
	admin: { id: 'b0000000-0000-4000-8000-000000000001', role: 'admin', agency_id: null },
	organizer: { id: 'b0000000-0000-4000-8000-000000000002', role: 'organizer',
	    agency_id: 'a0000000-0000-4000-8000-000000000001' },
	scanner: { id: 'b0000000-0000-4000-8000-000000000003', role: 'scanner',
	    agency_id: 'a0000000-0000-4000-8000-000000000001' },
	partner: { id: 'b0000000-0000-4000-8000-000000000004', role: 'partner',
	    agency_id: 'a0000000-0000-4000-8000-000000000007' },
});
export const LAMPANG_AGENCY = 'a0000000-0000-4000-8000-000000000001';
export const PHICHIT_AGENCY = 'a0000000-0000-4000-8000-000000000002';

export const PROBLEM = 'application/problem+json';
export const ONE_MIB = 1024 * 1024;

// ---------------------------------------------------------------- spec

export const specText = readFileSync(OPENAPI_PATH, 'utf8');
export const spec = YAML.parse(specText);
const SPEC_ID = 'ngan:openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch',
    'trace'];

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
// The whole document is one schema resource, so '#/components/...' refs
// resolve; unknown OpenAPI keywords are ignored (strict: false).
ajv.addSchema(spec, SPEC_ID);
const compiled = new Map();

function ptrEscape(s) {
	return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

// An Ajv validator for the schema at a JSON pointer into openapi.yaml.
export function validatorAt(pointer) {
	let v = compiled.get(pointer);
	if (!v) {
		v = ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
		compiled.set(pointer, v);
	}
	return v;
}

function getPointer(pointer) {
	let node = spec;
	for (const raw of pointer.split('/').slice(1)) {
		const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
		if (node == null || !(key in node))
			return undefined;
		node = node[key];
	}
	return node;
}

// Follows a non-schema $ref ('#/components/responses/X') and returns the
// node with its JSON pointer, so schemas below it can be compiled by pointer.
function deref(node, pointer) {
	let seen = 0;
	while (node && typeof node === 'object' && typeof node.$ref === 'string') {
		assert.ok(node.$ref.startsWith('#/'), `only local refs: ${node.$ref}`);
		pointer = node.$ref.slice(1);
		node = getPointer(pointer);
		assert.ok(node !== undefined, `openapi.yaml: dangling $ref ${pointer}`);
		assert.ok(++seen < 20, `openapi.yaml: $ref loop at ${pointer}`);
	}
	return { node, pointer };
}

const routes = Object.keys(spec.paths ?? {}).map((template) => {
	const names = [];
	const re = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
	    .replace(/\\?\{([^}]+)\\?\}/g, (_m, name) => {
		    names.push(name);
		    return '([^/]+)';
	    });
	return { template, names, re: new RegExp(`^${re}$`) };
}).sort((a, b) => a.names.length - b.names.length);

export function findRoute(pathname) {
	return routes.find((r) => r.re.test(pathname)) ?? null;
}

export function documentedMethods(template) {
	const item = spec.paths[template];
	return METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
}

export function operationFor(method, pathname) {
	const route = findRoute(pathname);
	if (!route)
		return null;
	const m = method.toLowerCase();
	const op = spec.paths[route.template][m];
	if (!op)
		return { route, op: null };
	return {
	    route, op,
	    pointer: `/paths/${ptrEscape(route.template)}/${m}`,
	};
}

// All operations, for table-driven tests.
export function allOperations() {
	const out = [];
	for (const template of Object.keys(spec.paths)) {
		for (const m of METHODS) {
			const op = spec.paths[template][m];
			if (op)
				out.push({ method: m.toUpperCase(), template, op });
		}
	}
	return out;
}

// Whether the operation (or its path) declares parameter `name` in `where`.
function declaresParameter(found, where, name) {
	const item = spec.paths[found.route.template];
	return [...(item.parameters ?? []), ...(found.op.parameters ?? [])].some((p0) => {
		const { node: p } = deref(p0, '');
		return p.in === where && p.name.toLowerCase() === name;
	});
}

function mediaTypeOf(contentType) {
	return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function isJsonMedia(mt) {
	return mt === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mt);
}

function fmtErrors(errors) {
	return (errors ?? []).map((e) =>
	    `  ${e.instancePath || '(root)'} ${e.message}` +
	    (e.params && Object.keys(e.params).length ?
	    ` ${JSON.stringify(e.params)}` : '')).join('\n');
}

function clip(s, n = 1500) {
	if (s == null)
		return String(s);
	return s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s;
}

// Throws when the response does not match openapi.yaml.
export function validateResponse(method, url, res) {
	const pathname = new URL(url, BASE_URL).pathname;
	const where = `${method} ${pathname} -> ${res.status}`;
	const fail = (msg) => assert.fail(
	    `openapi.yaml mismatch: ${where}: ${msg}\n` +
	    `  content-type: ${res.headers.get('content-type')}\n` +
	    `  body: ${clip(res.text)}`);

	// Contract: every response carries X-Request-Id.
	if (!res.headers.get('x-request-id'))
		fail('X-Request-Id header missing');

	// HEAD is GET without the body (RFC 9110 9.3.2; openapi.yaml says
	// so once for every GET).
	const head = method.toUpperCase() === 'HEAD';
	if (head && res.text.length)
		fail('a HEAD answer has a body');
	const found = operationFor(head && operationFor('GET', pathname)?.op ? 'GET' : method, pathname);
	let responseNode, responsePointer;
	if (!found) {
		if (res.status !== 404)
			fail('path matches no documented operation, so only 404 is allowed');
		({ node: responseNode, pointer: responsePointer } =
		    deref(spec.components.responses.NotFound,
		    '/components/responses/NotFound'));
	} else if (!found.op) {
		if (res.status !== 405)
			fail(`${method} is not documented for ${found.route.template}, so only 405 is allowed`);
		({ node: responseNode, pointer: responsePointer } =
		    deref(spec.components.responses.MethodNotAllowed,
		    '/components/responses/MethodNotAllowed'));
		const allow = (res.headers.get('allow') ?? '').split(',')
		    .map((s) => s.trim().toUpperCase()).filter(Boolean);
		for (const m of documentedMethods(found.route.template)) {
			if (!allow.includes(m))
				fail(`Allow "${res.headers.get('allow')}" lacks documented method ${m}`);
		}
	} else {
		const responses = found.op.responses ?? {};
		const key = [String(res.status), `${String(res.status)[0]}XX`,
		    'default'].find((k) => k in responses);
		if (!key)
			fail(`status not documented for ${method.toUpperCase()} ${found.route.template} (documented: ${Object.keys(responses).join(', ')})`);
		({ node: responseNode, pointer: responsePointer } =
		    deref(responses[key], `${found.pointer}/responses/${key}`));
		// An answer that depends on Accept-Language comes from an
		// operation that declares the header, so clients can send it.
		const vary = (res.headers.get('vary') ?? '').toLowerCase().split(',')
		    .map((s) => s.trim());
		if (vary.includes('accept-language') &&
		    !declaresParameter(found, 'header', 'accept-language'))
			fail('Vary: Accept-Language, but the operation declares no Accept-Language parameter');
	}

	// Headers.
	for (const [name, h0] of Object.entries(responseNode.headers ?? {})) {
		if (name.toLowerCase() === 'content-type')
			continue;
		const { node: h, pointer: hp } = deref(h0,
		    `${responsePointer}/headers/${ptrEscape(name)}`);
		const value = res.headers.get(name);
		if (value == null) {
			if (h.required)
				fail(`documented header ${name} missing`);
			continue;
		}
		if (h.schema) {
			const v = validatorAt(`${hp}/schema`);
			if (!v(value))
				fail(`header ${name}: "${value}" does not match its schema:\n${fmtErrors(v.errors)}`);
		}
	}

	// Body.
	const content = responseNode.content;
	const hasBody = res.text.length > 0;
	if (head)
		return;
	if (!content) {
		if (hasBody)
			fail('no body documented, but the response has one');
		return;
	}
	if (!hasBody)
		fail('a body is documented, but the response is empty');
	const mt = mediaTypeOf(res.headers.get('content-type'));
	const mtKey = Object.keys(content).find((k) => k.toLowerCase() === mt);
	if (!mtKey)
		fail(`content type "${mt}" not documented (documented: ${Object.keys(content).join(', ')})`);
	if (!content[mtKey].schema)
		return;
	let instance = res.text;
	if (isJsonMedia(mt)) {
		if (res.json === undefined)
			fail('body is not valid JSON');
		instance = res.json;
	}
	const v = validatorAt(`${responsePointer}/content/${ptrEscape(mtKey)}/schema`);
	if (!v(instance))
		fail(`body does not match the schema:\n${fmtErrors(v.errors)}`);
}

// ---------------------------------------------------------------- HTTP

// api(method, path, {token, body, raw, headers, timeout}) ->
//   {status, headers, text, json, ms, requestId}
// body: any JSON value, sent as application/json. raw: string or Buffer sent
// as is (set Content-Type in headers yourself). Every response is validated
// against openapi.yaml before it is returned.
export async function api(method, path, opts = {}) {
	const { token, body, raw, headers = {}, timeout = 10000 } = opts;
	const h = { accept: 'application/json, application/problem+json, */*' };
	for (const [k, v] of Object.entries(headers)) {
		if (v !== undefined && v !== null)
			h[k.toLowerCase()] = v;
	}
	if (token)
		h.authorization = `Bearer ${token}`;
	let payload;
	if (raw !== undefined) {
		payload = raw;
	} else if (body !== undefined) {
		payload = JSON.stringify(body);
		if (!('content-type' in h))
			h['content-type'] = 'application/json';
	}
	const url = BASE_URL + path;
	const t0 = performance.now();
	let r;
	try {
		r = await fetch(url, {
		    method, headers: h, body: payload,
		    signal: AbortSignal.timeout(timeout),
		    redirect: 'manual',
		});
	} catch (e) {
		throw new Error(`${method} ${path}: no answer within ${timeout} ms or connection failed: ${e.cause?.message ?? e.message}`);
	}
	// The bytes as sent; the text keeps a leading byte order mark (which
	// Response.text() would drop), so CSV exports can be checked for it.
	const bytes = Buffer.from(await r.arrayBuffer());
	const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
	const ms = performance.now() - t0;
	let json;
	if (isJsonMedia(mediaTypeOf(r.headers.get('content-type'))) && text.length) {
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
	}
	const res = { status: r.status, headers: r.headers, text, json, bytes, ms,
	    requestId: r.headers.get('x-request-id') };
	validateResponse(method, path, res);
	// A national id in clear is a leak, except where a test asked for it
	// (?reveal=national_id, audited by the server), and a person's copy
	// of their own data (.../personal-data, recorded as a request).
	if (json !== undefined && !/[?&]reveal=[^&]*national_id/.test(path) &&
	    !/\/personal-data$/.test(path))
		assertNoClearNationalId(`${method} ${path} -> ${r.status}`, text);
	return res;
}

// Asserts the status and, for errors, the problem+json basics; returns res.
export function expectStatus(res, status, msg = '') {
	assert.equal(res.status, status,
	    `${msg ? `${msg}: ` : ''}expected ${status}, got ${res.status}: ${clip(res.text, 800)}`);
	return res;
}

export function expectProblem(res, status, slug, msg = '') {
	expectStatus(res, status, msg);
	assert.equal(mediaTypeOf(res.headers.get('content-type')), PROBLEM,
	    `${msg} content-type`);
	assert.equal(res.json?.type, `urn:ngan:problem:${slug}`,
	    `${msg ? `${msg}: ` : ''}problem type: ${res.text}`);
	assert.equal(res.json.status, status, 'problem status field');
	assert.equal(res.json.request_id, res.requestId,
	    'problem request_id equals the X-Request-Id header');
	return res;
}

// A 422 whose errors[] names `field` (and, when given, with `code`).
export function expectFieldError(res, field, code, msg = '') {
	expectProblem(res, 422, 'validation', msg);
	const errs = res.json.errors ?? [];
	const hit = errs.find((e) => (field instanceof RegExp ?
	    field.test(e.field) : e.field === field) &&
	    (code === undefined || (Array.isArray(code) ?
	    code.includes(e.code) : e.code === code)));
	assert.ok(hit, `${msg ? `${msg}: ` : ''}expected an error for field ${field}` +
	    `${code ? ` with code ${code}` : ''}; got ${JSON.stringify(errs)}`);
	return hit;
}

// A refused query parameter: 422 naming it, or 400 bad-request whose detail
// names it (the contract fixes 422 only for limit).
export function expectBadQuery(res, param) {
	if (res.status === 422)
		return expectFieldError(res, param);
	expectProblem(res, 400, 'bad-request', `bad ${param}`);
	assert.match(res.json.detail, new RegExp(`\\b${param}\\b`), `the detail names ${param}`);
	return res;
}

export function expectUnauthorized(res, { invalidToken = false } = {}) {
	expectProblem(res, 401, 'unauthorized');
	const wa = res.headers.get('www-authenticate') ?? '';
	assert.match(wa, /^Bearer\b/, 'WWW-Authenticate: Bearer');
	if (invalidToken)
		assert.match(wa, /error="invalid_token"/, `WWW-Authenticate names invalid_token: ${wa}`);
	return res;
}

// ---------------------------------------------------------------- database

// Runs SQL with psql -At against DATABASE_URL. params are bound as psql
// variables: write :'p1', :'p2'... (quoted literal) in the query, or $1, $2
// which are rewritten to :'p1'... Returns the trimmed output (rows on lines,
// columns separated by '|').
export function sql(query, params = []) {
	assert.ok(DATABASE_URL, 'DATABASE_URL is not set');
	const q = query.replace(/\$(\d+)/g, (_m, n) => `:'p${n}'`);
	const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
	    '-d', DATABASE_URL];
	params.forEach((p, i) => {
		args.push('-v', `p${i + 1}=${p === null ? '' : String(p)}`);
	});
	args.push('-f', '-');
	const out = execFileSync('psql', args, {
	    input: q.trim().replace(/;?\s*$/, ';\n'),
	    encoding: 'utf8', timeout: 30000,
	    env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
	});
	return out.replace(/\n+$/, '');
}

export function sqlInt(query, params = []) {
	const out = sql(query, params);
	const n = Number.parseInt(out, 10);
	assert.ok(Number.isInteger(n), `expected an integer from SQL, got "${out}"`);
	return n;
}

// Counts of the tables a write may touch, to show a failed write changed nothing.
export function tableCounts() {
	const out = sql(`select
	    (select count(*) from agency) || ',' ||
	    (select count(*) from app_user) || ',' ||
	    (select count(*) from partner_client) || ',' ||
	    (select count(*) from auth_session) || ',' ||
	    (select count(*) from refresh_token) || ',' ||
	    (select coalesce(sum(version), 0) from app_user) || ',' ||
	    (select coalesce(sum(version), 0) from agency) || ',' ||
	    (select count(*) from auth_session where revoked_at is not null)`);
	const [agency, app_user, partner_client, auth_session, refresh_token,
	    user_versions, agency_versions, revoked_sessions] =
	    out.split(',').map(Number);
	return { agency, app_user, partner_client, auth_session, refresh_token,
	    user_versions, agency_versions, revoked_sessions };
}

// Runs fn() and asserts the listed (or all) table counts did not change.
export async function unchanged(fn, keys) {
	const before = tableCounts();
	const r = await fn();
	const after = tableCounts();
	const pick = (o) => keys ? Object.fromEntries(keys.map((k) => [k, o[k]])) : o;
	assert.deepEqual(pick(after), pick(before),
	    'a failed request must not change the database');
	return r;
}

export function sha256Hex(s) {
	return createHash('sha256').update(s).digest('hex');
}

// ---------------------------------------------------------------- auth

export async function tokenRequest(body, opts = {}) {
	return api('POST', '/v1/auth/token', { body, ...opts });
}

// Password login; asserts 200 and returns the token response.
export async function login(username, password = DEMO_PASSWORD) {
	assert.ok(password, 'DEMO_PASSWORD is not set');
	const res = await tokenRequest({ grant_type: 'password', username, password });
	expectStatus(res, 200, `login ${username}`);
	return res.json;
}

const tokenCache = new Map();
// A cached access token for a demo account (one login per test file).
export async function tokenFor(username) {
	if (!tokenCache.has(username))
		tokenCache.set(username, (await login(username)).access_token);
	return tokenCache.get(username);
}

export function decodeJwt(jwt) {
	const [h, p] = jwt.split('.');
	return {
	    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
	    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
	};
}

// ---------------------------------------------------------------- data

export function uniq(prefix = 't') {
	return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export const newUuid = randomUUID;

export function strongPassword() {
	return `pw-${randomBytes(9).toString('base64url')}-ทดสอบ`;
}

// Creates an account as admin and returns {user, password, etag}.
export async function createUser(overrides = {}) {
	const admin = await tokenFor('admin');
	const password = overrides.password ?? strongPassword();
	const body = {
	    username: uniq('u.'),
	    display_name: 'ผู้ทดสอบ ระบบ',
	    role: 'scanner',
	    agency_id: LAMPANG_AGENCY,
	    ...overrides,
	    password,
	};
	const res = await api('POST', '/v1/users', { token: admin, body });
	expectStatus(res, 201, 'create user');
	return { user: res.json, password, etag: res.headers.get('etag') };
}

// A strong ETag as the server makes them: a hash of the representation.
export const ETAG_RE = /^"[0-9a-f]{32}"$/;

// The ETag GET gives for path now (what a client sends in If-Match).
export async function etagOf(path, token) {
	const res = await api('GET', path, { token });
	expectStatus(res, 200, `GET ${path} for its ETag`);
	return res.headers.get('etag');
}

export async function createAgency(overrides = {}) {
	const admin = await tokenFor('admin');
	const res = await api('POST', '/v1/agencies', { token: admin, body: {
	    name: `สำนักงานทดสอบ ${uniq('')}`,
	    kind: 'other',
	    ...overrides,
	} });
	expectStatus(res, 201, 'create agency');
	return res.json;
}

// ---------------------------------------------------------------- database up/down

export function pgStop() {
	assert.ok(process.env.NGAN_PG_STOP, 'NGAN_PG_STOP is not set');
	execSync(process.env.NGAN_PG_STOP, { stdio: 'inherit', timeout: 120000 });
}

export function pgStart() {
	assert.ok(process.env.NGAN_PG_START, 'NGAN_PG_START is not set');
	execSync(process.env.NGAN_PG_START, { stdio: 'inherit', timeout: 120000 });
}

export function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// Polls fn() until it returns truthy or the time runs out; returns the last value.
export async function waitFor(fn, { timeout = 10000, interval = 200 } = {}) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = undefined;
			if (Date.now() >= end)
				throw e;
		}
		if (Date.now() >= end)
			return last;
		await sleep(interval);
	}
}

// ---------------------------------------------------------------- people (issue 3)

// Every national id a test invents is remembered here (and in a file shared
// by the test files of one run, for the pg_dump check). No JSON response may
// contain one in clear, in either spelling: api() checks every answer.
const clearIds = new Set();
export const NID_FILE = join(tmpdir(), `ngan-e2e-nids-${createHash('sha256')
    .update(`${BASE_URL} ${DATABASE_URL}`).digest('hex').slice(0, 16)}.txt`);

export function nationalIdCheckDigit(first12) {
	let sum = 0;
	for (let i = 0; i < 12; i++)
		sum += Number(first12[i]) * (13 - i);
	return (11 - (sum % 11)) % 10;
}

export function isValidNationalId(s) {
	return /^[0-9]{13}$/.test(s) && nationalIdCheckDigit(s) === Number(s[12]);
}

// "1234567890123" -> "1-2345-67890-12-3"
export function dashedNationalId(nid) {
	return `${nid[0]}-${nid.slice(1, 5)}-${nid.slice(5, 10)}-${nid.slice(10, 12)}-${nid[12]}`;
}

// The mask the API shows: "x-xxxx-xxxxx-12-3".
export function maskedNationalId(nid) {
	return `x-xxxx-xxxxx-${nid.slice(10, 12)}-${nid[12]}`;
}

export function rememberNationalId(nid) {
	if (clearIds.has(nid))
		return nid;
	clearIds.add(nid);
	appendFileSync(NID_FILE, `${nid}\n`);
	return nid;
}

// A fresh national id with a valid check digit (first digit 1..8).
export function nationalId() {
	for (;;) {
		const b = randomBytes(12);
		let s = String(1 + (b[0] % 8));
		for (let i = 1; i < 12; i++)
			s += String(b[i] % 10);
		const nid = s + nationalIdCheckDigit(s);
		if (!clearIds.has(nid))
			return rememberNationalId(nid);
	}
}

// The same digits with a wrong check digit (not remembered: never stored).
export function badChecksum(nid) {
	return nid.slice(0, 12) + String((Number(nid[12]) + 1) % 10);
}

export function assertNoClearNationalId(where, text) {
	// Any dashed 1-4-5-2-1 id in digits is a leak whatever its origin.
	const dashed = text.match(/(?<![0-9])[0-9]-[0-9]{4}-[0-9]{5}-[0-9]{2}-[0-9](?![0-9])/);
	assert.ok(!dashed, `${where}: a national id in clear in a JSON answer: ${dashed?.[0]}`);
	for (const run of text.match(/[0-9]{13,}/g) ?? []) {
		for (const nid of clearIds) {
			assert.ok(!run.includes(nid),
			    `${where}: the national id ${nid} is in clear in a JSON answer`);
		}
	}
}

// A random Thai phone (10 digits starting with 08 or 09).
export function phoneNumber() {
	const b = randomBytes(9);
	return `0${8 + (b[0] % 2)}${Array.from(b.subarray(1), (x) => x % 10).join('')}`;
}

// ---------------------------------------------------------------- events (issue 3)

export const LAMPHUN_AGENCY = 'a0000000-0000-4000-8000-000000000003';
export const DEMO_EVENTS = Object.freeze({
	lamphun: 'e0000000-0000-4000-8000-000000000001',
	phichit: 'e0000000-0000-4000-8000-000000000002',
	lampang: 'e0000000-0000-4000-8000-000000000003',
	phayao: 'e0000000-0000-4000-8000-000000000004',
	samutPrakan: 'e0000000-0000-4000-8000-000000000005',
});
export const TARGET_GROUPS = ['labour_volunteer', 'volunteer_mentor',
    'anti_trafficking_officer', 'informal_worker', 'network_leader',
    'local_official', 'health_staff', 'community_leader', 'general'];

// RFC 3339 in Asia/Bangkok, seconds precision: what the server answers.
export function bkk(date) {
	const t = new Date(new Date(date).getTime() + 7 * 3600 * 1000);
	return `${t.toISOString().slice(0, 19)}+07:00`;
}

export function hoursFromNow(h) {
	return new Date(Math.floor(Date.now() / 1000) * 1000 + h * 3600 * 1000);
}

// A valid event body: Lampang, a workshop in 30 days, registration open now.
export function eventBody(overrides = {}) {
	const start = hoursFromNow(24 * 30);
	return {
	    title: `ประชุมเชิงปฏิบัติการเครือข่ายอาสาสมัครแรงงาน ทดสอบ ${uniq('')}`,
	    project_name: 'โครงการเสริมสร้างศักยภาพเครือข่าย อสร. จังหวัดลำปาง',
	    description: 'การป้องกันและแก้ไขปัญหาการค้ามนุษย์ด้านแรงงาน',
	    kind: 'workshop',
	    starts_at: bkk(start),
	    ends_at: bkk(start.getTime() + 7.5 * 3600 * 1000),
	    venue: {
		name: 'โรงแรม ณ บ้านแม่ รีสอร์ท',
		room: 'ห้องประชุมล้อมรัก',
		province_code: '52',
		district_code: '5201',
		subdistrict_code: '520101',
	    },
	    presiding_official: 'ที่ปรึกษารัฐมนตรีว่าการกระทรวงแรงงาน',
	    capacity: 128,
	    quotas: [
		{ target_group: 'labour_volunteer', seats: 100 },
		{ target_group: 'volunteer_mentor', seats: 14 },
		{ target_group: 'anti_trafficking_officer', seats: 14 },
	    ],
	    registration_opens_at: bkk(hoursFromNow(-1)),
	    registration_closes_at: bkk(hoursFromNow(24 * 7)),
	    ...overrides,
	};
}

// Creates an event (a draft) as `token` (default: the demo organizer of
// Lampang). Returns {event, etag}.
export async function createEvent(overrides = {}, token) {
	token = token ?? await tokenFor('organizer');
	const res = await api('POST', '/v1/events', { token, body: eventBody(overrides) });
	expectStatus(res, 201, 'create event');
	return { event: res.json, etag: res.headers.get('etag') };
}

// PATCHes with the current ETag (fetched when not given); asserts 200.
export async function patchEvent(id, body, { token, etag } = {}) {
	token = token ?? await tokenFor('admin');
	if (!etag) {
		etag = expectStatus(await api('GET', `/v1/events/${id}`, { token }), 200,
		    'get event for its ETag').headers.get('etag');
	}
	const res = await api('PATCH', `/v1/events/${id}`, { token, body,
	    headers: { 'If-Match': etag } });
	expectStatus(res, 200, `patch event ${JSON.stringify(body).slice(0, 80)}`);
	return { event: res.json, etag: res.headers.get('etag') };
}

// A published event of the demo organizer's agency with its registration
// window open now. Returns {event, etag}.
export async function openEvent(overrides = {}, token) {
	const { event, etag } = await createEvent(overrides, token);
	return patchEvent(event.id, { status: 'published' }, { token, etag });
}

// A valid participant body with a fresh national id and consent.
export function participantBody(overrides = {}) {
	return {
	    title_th: 'นางสาว',
	    first_name: `สมศรี${uniq('')}`,
	    last_name: 'ใจงาม',
	    national_id: nationalId(),
	    phone: phoneNumber(),
	    province_code: '52',
	    district_code: '5201',
	    subdistrict_code: '520101',
	    occupation: 'เกษตรกร',
	    target_group: 'labour_volunteer',
	    section40: true,
	    pdpa_consent_at: bkk(hoursFromNow(-2)),
	    pdpa_consent_version: '2562-1',
	    ...overrides,
	};
}

// Records a person (POST /v1/participants answers 200 with their id and
// what was sent, masked, whether or not the person was known).
export async function createParticipant(overrides = {}, token) {
	token = token ?? await tokenFor('organizer');
	const res = await api('POST', '/v1/participants', { token, body: participantBody(overrides) });
	expectStatus(res, 200, 'create participant');
	return res.json;
}

// Registers an inline participant; returns the response (not asserted).
export async function registerInline(eventId, { participant = {}, target_group, token } = {}) {
	token = token ?? await tokenFor('organizer');
	const body = { participant: participantBody(participant) };
	if (target_group !== undefined)
		body.target_group = target_group;
	return api('POST', `/v1/events/${eventId}/registrations`, { token, body });
}

// A token for a fresh organizer of another agency (Phichit by default).
export async function otherOrganizer(agencyId = PHICHIT_AGENCY) {
	const { user, password } = await createUser({ role: 'organizer', agency_id: agencyId });
	return (await login(user.username, password)).access_token;
}

// A digest of every row of the event and participant tables, to show a
// refused request changed nothing (not even a version or a timestamp).
export function eventDataDigest() {
	return sql(`select
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from event t) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.event_id, t.target_group)), '') from event_quota t) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.event_id, t.agency_id)), '') from event_co_organizer t) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from event_session t) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from participant t) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from registration t)`);
}

// Runs fn() and asserts the event and participant tables are exactly as before.
export async function dataUnchanged(fn, msg = '') {
	const before = eventDataDigest();
	const r = await fn();
	const after = eventDataDigest();
	const names = ['event', 'event_quota', 'event_co_organizer', 'event_session',
	    'participant', 'registration'];
	const b = before.split('|');
	const a = after.split('|');
	const changed = names.filter((_n, i) => a[i] !== b[i]);
	assert.deepEqual(changed, [], `${msg ? `${msg}: ` : ''}a refused request changed table(s) ${changed.join(', ')}`);
	return r;
}

// Parses RFC 4180 CSV (a leading BOM is the caller's business). Returns rows of fields.
export function parseCsv(text) {
	const rows = [];
	let row = [];
	let field = '';
	let i = 0;
	let quoted = false;
	while (i < text.length) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				field += '"';
				i += 2;
				continue;
			}
			if (c === '"') {
				quoted = false;
				i++;
				continue;
			}
			field += c;
			i++;
			continue;
		}
		if (c === '"' && field === '') {
			quoted = true;
			i++;
		} else if (c === ',') {
			row.push(field);
			field = '';
			i++;
		} else if (c === '\r' && text[i + 1] === '\n') {
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
			i += 2;
		} else if (c === '\n') {
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
			i++;
		} else {
			field += c;
			i++;
		}
	}
	if (field !== '' || row.length > 0) {
		row.push(field);
		rows.push(row);
	}
	return rows;
}

// ---------------------------------------------------------------- ES256 low-S (issue 14)

// The server takes an ES256 signature (r || s, 32 bytes each) only with a
// low s (s <= n/2, n the P-256 group order), so each signature has one
// form. Signatures made by other libraries (jose) have either half:
// lowS() turns one into the accepted form, highSTwin() into the other.
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function sigParts(jws) {
	const [h, p, s] = jws.split('.');
	const raw = Buffer.from(s, 'base64url');
	assert.equal(raw.length, 64, 'an ES256 signature is 64 bytes');
	return { h, p, r: raw.subarray(0, 32), s: BigInt(`0x${raw.subarray(32).toString('hex')}`) };
}

export function isLowS(jws) {
	return sigParts(jws).s <= P256_N / 2n;
}

// The same token with s replaced by n - s: the same signature, mirrored.
export function sTwin(jws) {
	const { h, p, r, s } = sigParts(jws);
	const twin = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
	return `${h}.${p}.${Buffer.concat([r, twin]).toString('base64url')}`;
}

export function lowS(jws) {
	return isLowS(jws) ? jws : sTwin(jws);
}

// Bad input on every endpoint that takes a JSON body: malformed JSON (400),
// a body that is not an object, wrong types, missing and unknown fields
// (422 naming the field), bodies over 1 MiB (413), wrong content types
// (415). After each refused request the database is unchanged.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, createUser, expectProblem, expectFieldError, unchanged,
    DEMO_PASSWORD, LAMPANG_AGENCY, ONE_MIB, uniq, sql } from './lib.mjs';

let admin;
let target; // an account for PATCH, version 1 throughout (every PATCH here fails)

before(async () => {
	admin = await tokenFor('admin');
	target = (await createUser()).user;
});

// Each endpoint: how to call it, a valid body, a field to mistype, a
// required field. `valid` must be accepted apart from the one change a
// case makes. The OAuth endpoints (/v1/auth/token, /v1/auth/revoke) answer
// as RFC 6749 has them, not with these problems: 88-oauth-standard.
const endpoints = [
    {
	name: 'POST /v1/agencies',
	method: 'POST', path: () => '/v1/agencies', auth: true,
	valid: () => ({ name: 'สำนักงานทดสอบข้อมูลผิด', kind: 'other' }),
	wrongType: ['name', true], required: 'name',
    },
    {
	name: 'POST /v1/users',
	method: 'POST', path: () => '/v1/users', auth: true,
	valid: () => ({ username: uniq('bad.'), display_name: 'ทดสอบ', role: 'scanner',
	    agency_id: LAMPANG_AGENCY, password: 'long-enough-pw' }),
	wrongType: ['display_name', 3.14], required: 'username',
    },
    {
	name: 'PATCH /v1/users/{id}',
	method: 'PATCH', path: () => `/v1/users/${target.id}`, auth: true, ifMatch: '"1"',
	valid: () => ({ display_name: 'ทดสอบแก้ไข' }),
	wrongType: ['active', 'yes'], required: null,
    },
    {
	name: 'POST /v1/partner-clients',
	method: 'POST', path: () => '/v1/partner-clients', auth: true,
	valid: () => ({ name: 'ระบบทดสอบข้อมูลผิด', scopes: ['stats:read'] }),
	wrongType: ['scopes', 'stats:read'], required: 'scopes',
    },
];

function send(ep, { body, raw, contentType, headers = {} }) {
	const h = { ...headers };
	if (ep.ifMatch)
		h['If-Match'] = ep.ifMatch;
	if (contentType !== undefined)
		h['Content-Type'] = contentType;
	return api(ep.method, ep.path(), {
	    token: ep.auth ? admin : undefined, body, raw, headers: h, timeout: 20000,
	});
}

const MALFORMED = [
    '{"name": ',
    '{name: "x"}',
    "{'name': 'x'}",
    '{"name": "x",}',
    '{"name": "x"}}',
    '{"name": "x" "kind": "y"}',
    'nul',
    '{"name": "\\x"}',
    '{"name": "unterminated}',
    '\u0000',
];

for (const ep of endpoints) {
	describe(ep.name, () => {
		test('malformed JSON is 400 malformed-json', async () => {
			await unchanged(async () => {
				for (const raw of MALFORMED) {
					const res = await send(ep, { raw, contentType: 'application/json' });
					expectProblem(res, 400, 'malformed-json', JSON.stringify(raw));
				}
				// Invalid UTF-8 inside a string.
				const bad = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]),
				    Buffer.from('"}')]);
				expectProblem(await send(ep, { raw: bad, contentType: 'application/json' }),
				    400, 'malformed-json', 'invalid UTF-8');
				// An empty body is not JSON either.
				const empty = await send(ep, { raw: '', contentType: 'application/json' });
				assert.equal(empty.status, 400, `empty body: ${empty.text}`);
				assert.match(empty.json.type, /^urn:ngan:problem:(malformed-json|bad-request)$/);
			});
		});

		test('a body that is not an object is 422 with field "" code type', async () => {
			await unchanged(async () => {
				for (const raw of ['[]', '[{"a":1}]', '"text"', '42', 'null', 'true']) {
					const res = await send(ep, { raw, contentType: 'application/json' });
					expectFieldError(res, '', 'type', raw);
				}
			});
		});

		test('a wrong type is 422 naming the field', async () => {
			const [field, value] = ep.wrongType;
			await unchanged(async () => {
				const res = await send(ep, { body: { ...ep.valid(), [field]: value } });
				expectFieldError(res, field, 'type');
			});
		});

		test('a missing required field (PATCH: a null one) is 422 naming it', async () => {
			if (!ep.required) {
				// PATCH has no required fields; null for a non-nullable one is refused.
				await unchanged(async () => {
					expectFieldError(await send(ep, { body: { display_name: null } }),
					    'display_name', ['type', 'required']);
				});
				return;
			}
			await unchanged(async () => {
				const body = ep.valid();
				delete body[ep.required];
				expectFieldError(await send(ep, { body }), ep.required, 'required');
				// An empty object names every required field it lacks.
				expectFieldError(await send(ep, { body: {} }), ep.required, 'required');
			});
		});

		test('an unknown field is 422 naming it', async () => {
			await unchanged(async () => {
				const res = await send(ep, { body: { ...ep.valid(), zz_unknown: 1 } });
				expectFieldError(res, 'zz_unknown', 'unknown');
				const thai = await send(ep, { body: { ...ep.valid(), ชื่อ: 'x' } });
				expectFieldError(thai, 'ชื่อ', 'unknown');
			});
		});

		test('a body over 1 MiB is 413 problem+json', async () => {
			await unchanged(async () => {
				const big = { ...ep.valid(), pad: 'x'.repeat(ONE_MIB) };
				const res = await send(ep, { body: big });
				expectProblem(res, 413, 'payload-too-large');
				// Still over the limit with a Thai payload counted in bytes, not characters.
				const thai = { ...ep.valid(), pad: 'ก'.repeat(Math.ceil(ONE_MIB / 3) + 10) };
				expectProblem(await send(ep, { body: thai }), 413, 'payload-too-large', 'Thai');
			});
			// Just under the limit is parsed (and then refused for the unknown field).
			const near = { ...ep.valid(), pad: '' };
			near.pad = 'x'.repeat(ONE_MIB - Buffer.byteLength(JSON.stringify(near)) - 64);
			expectFieldError(await send(ep, { body: near }), 'pad', 'unknown', 'just under 1 MiB');
		});

		test('a wrong content type is 415', async () => {
			const json = JSON.stringify(ep.valid());
			await unchanged(async () => {
				for (const ct of ['text/plain', 'application/x-www-form-urlencoded',
				    'multipart/form-data; boundary=x', 'application/xml', 'text/json',
				    'application/jsonx', 'application/json-patch+json']) {
					const res = await send(ep, { raw: json, contentType: ct });
					expectProblem(res, 415, 'unsupported-media-type', ct);
				}
				// No Content-Type at all (a Buffer body makes fetch send none).
				const res = await send(ep, { raw: Buffer.from(json) });
				expectProblem(res, 415, 'unsupported-media-type', 'no content type');
			});
		});

		test('application/json with a charset parameter is accepted', async () => {
			const res = await send(ep, { raw: JSON.stringify({ ...ep.valid(), zz_unknown: 1 }),
			    contentType: 'application/json; charset=utf-8' });
			// Parsed: the unknown field is what it complains about.
			expectFieldError(res, 'zz_unknown', 'unknown');
		});
	});
}

test('the PATCH target was never changed by the refused requests', async () => {
	const res = await api('GET', `/v1/users/${target.id}`, { token: admin });
	assert.equal(res.status, 200);
	assert.equal(sql('select version from app_user where id = $1::uuid', [target.id]), '1');
	assert.equal(res.json.display_name, target.display_name);
	assert.ok(DEMO_PASSWORD);
});

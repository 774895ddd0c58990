// The spec works with real tooling: openapi-typescript generates types
// from openapi.yaml, a small client written against them with
// openapi-fetch is type-checked and compiled by TypeScript (strict), and
// the compiled client runs a partner's scenario against the server:
// client_credentials token, list events, read statistics.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { BASE_URL, OPENAPI_PATH } from './lib.mjs';
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
`;

test('a TypeScript client generated from openapi.yaml type-checks and runs a partner scenario', async () => {
	const testsDir = fileURLToPath(new URL('..', import.meta.url));
	// Inside tests/node_modules so that the client resolves openapi-fetch.
	const dir = mkdtempSync(join(testsDir, 'node_modules', '.ngan-typed-'));
	try {
		const ast = await openapiTS(new URL(pathToFileURL(OPENAPI_PATH)));
		writeFileSync(join(dir, 'schema.ts'), astToString(ast));
		writeFileSync(join(dir, 'client.ts'), CLIENT_TS);
		writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
		const program = ts.createProgram([join(dir, 'client.ts')], {
		    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
		    moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true,
		    outDir: join(dir, 'out') });
		const emitted = program.emit();
		const diags = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
		assert.deepEqual(diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [],
		    'the client type-checks against the generated types');
		assert.match(readFileSync(join(dir, 'schema.ts'), 'utf8'), /"\/v1\/stats\/attendance"/);

		const c = await partnerClient({ scopes: ['stats:read'], provinces: ['52'] });
		const { scenario } = await import(pathToFileURL(join(dir, 'out', 'client.js')).href);
		const out = await scenario(BASE_URL, c.client_id, c.client_secret);
		assert.equal(out.scope, 'stats:read');
		assert.ok(out.titles.length > 0, 'published Lampang events are listed');
		assert.deepEqual([...new Set(out.provinces)].filter(Boolean), out.provinces.length ? ['52'] : []);
		assert.ok(out.events >= 0);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

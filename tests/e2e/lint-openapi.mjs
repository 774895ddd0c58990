// Standalone lint of openapi.yaml, for use without a running server
// (make lint runs it beside Redocly and Spectral):
// `node tests/e2e/lint-openapi.mjs [FILE]`. The OpenAPI 3.1 schema, then
// the project's own rules (openapi-rules.mjs). The e2e suite
// (00-openapi.test.mjs, 86-openapi-tools.test.mjs) runs the same checks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import YAML from 'yaml';
import { specProblems } from './openapi-rules.mjs';

const file = process.argv[2] ?? process.env.NGAN_OPENAPI ??
    fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
const validator = new Validator();
const result = await validator.validate(file);
if (!result.valid || validator.version !== '3.1') {
	console.error(`${file}: not a valid OpenAPI 3.1 document (version ${validator.version})`);
	console.error(JSON.stringify(result.errors, null, 2));
	process.exit(1);
}
const problems = specProblems(YAML.parse(readFileSync(file, 'utf8')));
if (problems.length > 0) {
	console.error(`${file}: breaks the project's rules (tests/e2e/openapi-rules.mjs):`);
	for (const p of problems)
		console.error(`  ${p}`);
	process.exit(1);
}
console.log(`${file}: valid OpenAPI ${validator.version}, the project's rules hold`);

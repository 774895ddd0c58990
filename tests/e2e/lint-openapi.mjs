// Standalone lint of openapi.yaml against the OpenAPI 3.1 schema, for use
// without a running server: `node tests/e2e/lint-openapi.mjs [FILE]`.
// The e2e suite (00-openapi.test.mjs) runs the same check plus the
// project's own rules.
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';

const file = process.argv[2] ?? process.env.NGAN_OPENAPI ??
    fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
const validator = new Validator();
const result = await validator.validate(file);
if (!result.valid || validator.version !== '3.1') {
	console.error(`${file}: not a valid OpenAPI 3.1 document (version ${validator.version})`);
	console.error(JSON.stringify(result.errors, null, 2));
	process.exit(1);
}
console.log(`${file}: valid OpenAPI ${validator.version}`);

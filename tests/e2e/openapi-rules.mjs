// The project's own rules for openapi.yaml, beyond the OpenAPI 3.1 schema
// (which leaves Schema Objects open) and beyond Redocly and Spectral:
//
// - Schema Objects use only JSON Schema 2020-12 and OpenAPI keywords (or
//   x-*). A comma in a YAML flow map (`{ description: a, b }`) cuts the
//   description short and adds a stray key `b` that every validator
//   ignores.
// - An optional query parameter of a GET carries no `example` (on the
//   parameter or its schema): Swagger UI pre-fills it in "Try it out", so
//   the list comes back filtered, often empty. Use the schema's
//   `examples` (a list), which it shows and does not pre-fill.
// - A request-body property with a default is not required, and its
//   `default` sits on a named schema it refers to, not on the property
//   itself: openapi-typescript (default options) types a property with its
//   own `default` as always present, which is true of a response and
//   false of a request.
//
// specProblems(spec) answers one line per breach; [] when clean. Used by
// lint-openapi.mjs (make lint) and 86-openapi-tools.test.mjs.

const SCHEMA_KEYWORDS = new Set([
    // Core
    '$schema', '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor',
    '$vocabulary', '$comment', '$defs',
    // Applicator, unevaluated
    'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
    'dependentSchemas', 'prefixItems', 'items', 'contains', 'properties',
    'patternProperties', 'additionalProperties', 'propertyNames',
    'unevaluatedItems', 'unevaluatedProperties',
    // Validation
    'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum',
    'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern',
    'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains',
    'maxProperties', 'minProperties', 'required', 'dependentRequired',
    // Meta-data, format, content
    'title', 'description', 'default', 'deprecated', 'readOnly', 'writeOnly',
    'examples', 'format', 'contentEncoding', 'contentMediaType',
    'contentSchema',
    // OpenAPI's own
    'discriminator', 'xml', 'externalDocs', 'example',
]);
const SUB_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SUB_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUB_ONE = ['items', 'contains', 'not', 'if', 'then', 'else',
    'additionalProperties', 'propertyNames', 'unevaluatedItems',
    'unevaluatedProperties', 'contentSchema'];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function esc(k) {
	return String(k).replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolver(spec) {
	return (node) => {
		for (let n = 0; node && typeof node === 'object' &&
		    typeof node.$ref === 'string' && node.$ref.startsWith('#/') && n < 20; n++) {
			const target = node.$ref.slice(2).split('/').reduce((o, k) =>
			    o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
			if (target === undefined)
				return node;
			node = target;
		}
		return node;
	};
}

// Calls fn(schema, pointer) for every schema object under `schema`.
function eachSubschema(schema, pointer, fn) {
	if (!schema || typeof schema !== 'object' || Array.isArray(schema))
		return;
	fn(schema, pointer);
	for (const k of SUB_MAPS) {
		for (const [name, s] of Object.entries(schema[k] ?? {}))
			eachSubschema(s, `${pointer}/${k}/${esc(name)}`, fn);
	}
	for (const k of SUB_LISTS) {
		if (Array.isArray(schema[k]))
			schema[k].forEach((s, i) => eachSubschema(s, `${pointer}/${k}/${i}`, fn));
	}
	for (const k of SUB_ONE)
		eachSubschema(schema[k], `${pointer}/${k}`, fn);
}

// Every schema of the document outside the schemas themselves: the
// components, and `schema` of parameters, headers and media types.
// Example values are data, not schemas, and are skipped.
function eachSchema(spec, fn) {
	function walk(node, pointer) {
		if (!node || typeof node !== 'object')
			return;
		for (const [k, v] of Object.entries(node)) {
			const p = `${pointer}/${esc(k)}`;
			if (k === 'example' || k === 'examples')
				continue;
			if (k === 'schema' && !Array.isArray(node))
				eachSubschema(v, p, fn);
			else
				walk(v, p);
		}
	}
	for (const [name, s] of Object.entries(spec.components?.schemas ?? {}))
		eachSubschema(s, `#/components/schemas/${esc(name)}`, fn);
	const { components, ...rest } = spec;
	const { schemas, ...otherComponents } = components ?? {};
	walk(rest, '#');
	walk(otherComponents, '#/components');
}

function strayKeywords(spec) {
	const out = [];
	eachSchema(spec, (schema, pointer) => {
		for (const k of Object.keys(schema)) {
			if (!SCHEMA_KEYWORDS.has(k) && !k.startsWith('x-'))
				out.push(`${pointer}: "${k}" is not a schema keyword ` +
				    '(a comma in a YAML flow map? quote the description)');
		}
	});
	return out;
}

function prefilledFilters(spec) {
	const deref = resolver(spec);
	const out = [];
	for (const [template, item] of Object.entries(spec.paths ?? {})) {
		const op = item.get;
		if (!op)
			continue;
		for (const p0 of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
			const p = deref(p0);
			if (p?.in !== 'query' || p.required)
				continue;
			const where = `GET ${template} ?${p.name}`;
			if ('example' in p || 'examples' in p)
				out.push(`${where}: an example on an optional filter is pre-filled by Swagger UI`);
			// The schema, through $ref and allOf, as Swagger UI merges it.
			const seen = new Set();
			const stack = [p.schema];
			while (stack.length > 0) {
				const s = deref(stack.pop());
				if (!s || typeof s !== 'object' || seen.has(s))
					continue;
				seen.add(s);
				if ('example' in s) {
					out.push(`${where}: schema "example" is pre-filled by Swagger UI ` +
					    '(use "examples: [...]")');
				}
				stack.push(...(s.allOf ?? []));
			}
		}
	}
	return out;
}

function requestDefaults(spec) {
	const deref = resolver(spec);
	const out = [];
	const seen = new Set();
	const visit = (schema, pointer) => {
		eachSubschema(schema, pointer, (s, ptr) => {
			if (typeof s.$ref === 'string' && s.$ref.startsWith('#/')) {
				const target = deref({ $ref: s.$ref });
				if (!seen.has(target)) {
					seen.add(target);
					visit(target, s.$ref);
				}
			}
			for (const [name, prop] of Object.entries(s.properties ?? {})) {
				if (!prop || typeof prop !== 'object')
					continue;
				if ('default' in prop) {
					out.push(`${ptr}/properties/${esc(name)}: a request field's "default" ` +
					    'belongs on a named schema it refers to (generators make it required)');
				}
				if ((s.required ?? []).includes(name) && 'default' in deref(prop))
					out.push(`${ptr}/properties/${esc(name)}: required and has a default`);
			}
		});
	};
	for (const [template, item] of Object.entries(spec.paths ?? {})) {
		for (const m of METHODS) {
			const body = deref(item[m]?.requestBody);
			for (const [mt, media] of Object.entries(body?.content ?? {})) {
				visit(media.schema, `#/paths/${esc(template)}/${m}/requestBody/` +
				    `content/${esc(mt)}/schema`);
			}
		}
	}
	return [...new Set(out)];
}

export function specProblems(spec) {
	return [...strayKeywords(spec), ...prefilledFilters(spec), ...requestDefaults(spec)];
}

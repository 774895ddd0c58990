// make lint: every message of a problem, field error or import row error
// in sql/api/*.sql and api/*.c is a key of api/i18n.tsv, and every key
// there is used and has its English and Thai, with the same placeholders.
// Prints file:line and the literal for each finding; exits 1 if any.
import { readFileSync, readdirSync } from 'node:fs';

const CATALOGUE = 'api/i18n.tsv';
const found = [];
const report = (file, line, msg) => found.push(`${file}:${line}: ${msg}`);

const cat = new Map();
readFileSync(CATALOGUE, 'utf8').split('\n').forEach((row, i) => {
	if (row === '' || row.startsWith('#')) return;
	const [key, en, th, ...rest] = row.split('\t');
	if (!en || !th || rest.length) {
		report(CATALOGUE, i + 1, `${key}: wants key, English, Thai ` +
		    '(tab-separated, none empty)');
	}
	const names = (s) => [...(s ?? '').matchAll(/\{([a-z_0-9]+)\}/g)]
	    .map((m) => m[1]).sort().join(',');
	if (en && th && names(en) !== names(th)) {
		report(CATALOGUE, i + 1, `${key}: English has {${names(en)}}, ` +
		    `Thai {${names(th)}}`);
	}
	cat.set(key, i + 1);
});

const lineOf = (text, at) => text.slice(0, at).split('\n').length;

// The argument spans of the call whose '(' is at open; quote is the
// string delimiter of the language.
function args(text, open, quote) {
	const out = [];
	let depth = 0, start = open + 1;
	for (let j = open; j < text.length; j++) {
		const c = text[j];
		if (c === quote) {
			for (j++; j < text.length && text[j] !== quote; j++) {
				if (quote === '"' && text[j] === '\\') j++;
				else if (quote === "'" && text[j + 1] === "'" &&
				    text[j] === "'") j++;
			}
			if (quote === "'" && text[j + 1] === "'") { j++; continue; }
		} else if (quote === '"' && c === "'") {
			j = text.indexOf("'", j + (text[j + 1] === '\\' ? 3 : 2));
		} else if (c === '(') {
			depth++;
		} else if (c === ')') {
			if (--depth === 0) { out.push([start, j]); break; }
		} else if (c === ',' && depth === 1) {
			out.push([start, j]);
			start = j + 1;
		}
	}
	return out;
}

// The message literals of an argument: at its top level, at its start or
// after then, else or ||; C's adjacent literals as one.
function sqlMessages(text, [a, b]) {
	const out = [];
	const arg = text.slice(a, b);
	const re = /'((?:[^']|'')*)'/g;
	let m, depth = 0, last = 0;
	while ((m = re.exec(arg)) !== null) {
		const before = arg.slice(last, m.index);
		for (const c of before) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
		last = re.lastIndex;
		const prefix = arg.slice(0, m.index).replace(/'(?:[^']|'')*'/g,
		    "''").trimEnd();
		const after = arg.slice(re.lastIndex).trimStart();
		if (depth === 0 && (prefix === '' || /(\bthen|\belse|\|\|)$/i
		    .test(prefix) || after.startsWith('||'))) {
			const text = m[1].replace(/''/g, "'");
			// 'a ' || x || ' b' is one message: "a {x} b".
			const prev = out[out.length - 1];
			const between = prev && arg.slice(prev.end, m.index);
			const mid = between &&
			    /^\s*\|\|(?:([^'|]*)\|\|)?\s*$/.exec(between);
			if (mid) {
				prev.text += (mid[1] ? `{${mid[1].trim()}}` : '') +
				    text;
				prev.end = re.lastIndex;
			} else {
				out.push({ text, at: a + m.index,
				    end: re.lastIndex });
			}
		}
	}
	return out;
}

function cMessages(text, [a, b], loose) {
	const out = [];
	const arg = text.slice(a, b);
	const re = /"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*/g;
	let m;
	while ((m = re.exec(arg)) !== null) {
		// Only at the argument's top level: not strcmp(code, "x").
		const head = arg.slice(0, m.index).replace(/"(?:[^"\\]|\\.)*"/g,
		    '""');
		if ((head.match(/\(/g) ?? []).length !==
		    (head.match(/\)/g) ?? []).length)
			continue;
		const s = [...m[0].matchAll(/"((?:[^"\\]|\\.)*)"/g)]
		    .map((x) => x[1]).join('');
		if (loose || / /.test(s)) out.push({ text: s, at: a + m.index });
	}
	return out;
}

const used = new Set();
const slugs = new Set();
const key = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;
function check(file, text, msgs) {
	for (const { text: s, at } of msgs) {
		if (cat.has(s)) {
			used.add(s);
		} else {
			report(file, lineOf(text, at), `message "${s}" is not a ` +
			    `key of ${CATALOGUE}` + (key.test(s) ? '' :
			    ' (write the text there, name its key here)'));
		}
	}
}

// SQL: the message argument of each helper, and errors' 'message'.
const SQL_CALLS = { problem: 2, field_error: 2, forbidden: 0, not_found: 0,
    import_error: 2, link_gone: 1, certificate_refusal: 1 };
for (const f of readdirSync('sql/api').filter((n) => n.endsWith('.sql'))) {
	const file = `sql/api/${f}`;
	const text = readFileSync(file, 'utf8');
	const re = /api\.([a-z_]+)\(/g;
	let m;
	while ((m = re.exec(text)) !== null) {
		const n = SQL_CALLS[m[1]];
		if (n === undefined) continue;
		if (/function\s+$/.test(text.slice(m.index - 20, m.index)))
			continue;
		const a = args(text, re.lastIndex - 1, "'");
		if (a[n]) check(file, text, sqlMessages(text, a[n]));
		if (m[1] === 'problem' && a[1]) {
			const s = /^\s*'([^']*)'\s*$/.exec(text.slice(...a[1]));
			if (s) slugs.add(s[1]);
		}
		if (m[1] === 'link_gone' && a[0]) {
			const s = /^\s*'([^']*)'\s*$/.exec(text.slice(...a[0]));
			if (s) slugs.add(s[1]);
		}
		// The old form, api.problem(status, slug, title, 'detail'):
		// its title is taken for the key, its detail for the args.
		if (m[1] === 'problem' && a[3] && /^\s*'/.test(text.slice(
		    ...a[3]))) {
			report(file, lineOf(text, m.index), 'api.problem with ' +
			    'a title and a text detail (the form before the ' +
			    'catalogue): api.problem(status, slug, key[, args])');
			check(file, text, sqlMessages(text, a[3]));
		}
	}
	const mre = /'(?:message|detail)',/g;
	while ((m = mre.exec(text)) !== null) {
		let end = mre.lastIndex, depth = 0;
		for (; end < text.length; end++) {
			const c = text[end];
			if (c === "'") end = text.indexOf("'", end + 1);
			else if (c === '(') depth++;
			else if (c === ')' && depth-- === 0) break;
			else if (c === ',' && depth === 0) break;
		}
		check(file, text, sqlMessages(text, [mre.lastIndex, end]));
	}
}

// C: the message argument of each call, check functions' answers
// (return, why =) and query specs' .message.
const C_CALLS = { problem: 3, problem_errors: 3, problem_retry_after: 3,
    validation_error: 3, import_error: 3, query_error: 3 };
for (const f of readdirSync('api').filter((n) => n.endsWith('.c'))) {
	// OAuth errors are RFC 6749's error_description, ASCII by the RFC.
	if (f === 'i18n.c' || f === 'oauth.c') continue;
	const file = `api/${f}`;
	const text = readFileSync(file, 'utf8');
	const re = /(?<![\w.>])([a-z_]+)\(/g;
	let m;
	while ((m = re.exec(text)) !== null) {
		const n = C_CALLS[m[1]];
		if (n === undefined || text[m.index - 1] === '\n') continue;
		const a = args(text, re.lastIndex - 1, '"');
		if (a[n]) check(file, text, cMessages(text, a[n], true));
	}
	const rre = /(return \(|why = |\.message = )("(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*)/g;
	while ((m = rre.exec(text)) !== null) {
		const at = m.index + m[1].length;
		check(file, text, cMessages(text, [at, at + m[2].length],
		    m[1] !== 'return ('));
	}
	// Keys named elsewhere (tables of messages): count them as used.
	for (const k of text.matchAll(/"([a-z0-9_-]+(?:\.[a-z0-9_-]+)+)"/g))
		if (cat.has(k[1])) used.add(k[1]);
	if (f === 'problem.c') {
		for (const s of text.matchAll(/\{ \d{3}, "([a-z-]+)" \}/g))
			slugs.add(s[1]);
	}
}
for (const f of readdirSync('sql/api').filter((n) => n.endsWith('.sql'))) {
	const text = readFileSync(`sql/api/${f}`, 'utf8');
	for (const k of text.matchAll(/'([a-z0-9_-]+(?:\.[a-z0-9_-]+)+)'/g))
		if (cat.has(k[1])) used.add(k[1]);
}

for (const s of slugs) {
	if (!cat.has(`title.${s}`))
		report(CATALOGUE, 0, `no title.${s} for the problem type ${s}`);
}
for (const [k, line] of cat) {
	if (k.startsWith('title.') ? !slugs.has(k.slice(6)) : !used.has(k))
		report(CATALOGUE, line, `${k} is not used`);
}

if (found.length) {
	console.error(found.join('\n'));
	process.exit(1);
}

// Thai and English problems (issue 15, item 4): the same bad request is
// answered in Thai by default and in English when Accept-Language prefers
// it (q-values honoured; a language we do not have gives Thai), with
// Content-Language and Vary: Accept-Language. The problem type and the
// error codes do not change with the language; answers without messages
// (a 200) carry no Content-Language. Problems built in C and in SQL alike,
// validation errors of both, and placeholders filled in each language.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectProblem, expectFieldError, eventBody, createEvent, sqlInt,
    newUuid, nationalId, spec } from './lib.mjs';
import { clientAddress } from './self-lib.mjs';

let organizer;
before(async () => {
	organizer = await tokenFor('organizer');
});

const THAI = /[\u0E00-\u0E7F]/;

function lang(res, want) {
	assert.equal(res.headers.get('content-language'), want, 'Content-Language');
	const vary = (res.headers.get('vary') ?? '').toLowerCase().split(',').map((s) => s.trim());
	assert.equal(vary.filter((v) => v === 'accept-language').length, 1,
	    `Vary names Accept-Language once: ${res.headers.get('vary')}`);
}

const get = (path, al, token = organizer) =>
	api('GET', path, { token, headers: al === undefined ? {} : { 'accept-language': al } });

describe('a problem from SQL (GET /v1/events/{id} of no event)', () => {
	const path = () => `/v1/events/${newUuid()}`;

	test('Thai by default, English with Accept-Language: en', async () => {
		const th = expectProblem(await get(path()), 404, 'not-found');
		lang(th, 'th');
		assert.equal(th.json.title, 'ไม่พบข้อมูล');
		assert.equal(th.json.detail, 'ไม่พบกิจกรรมที่มีรหัสนี้');
		const en = expectProblem(await get(path(), 'en'), 404, 'not-found');
		lang(en, 'en');
		assert.equal(en.json.title, 'Not found');
		assert.equal(en.json.detail, 'No event with that id.');
		assert.equal(en.json.detail_args, undefined, 'arguments are not sent');
	});

	test('q-values decide; Thai on a tie and for languages we do not have', async () => {
		const cases = [['en;q=0.1, th', 'th'], ['fr', 'th'], ['fr, en;q=0.5', 'en'],
		    ['th;q=0.5, en', 'en'], ['en-GB,en;q=0.9,th;q=0.5', 'en'], ['*, en;q=0.5', 'th'],
		    ['en;q=0', 'th'], ['en, th', 'th'], ['EN-us', 'en'], ['en;q=bogus', 'th'], ['', 'th']];
		for (const [al, want] of cases) {
			const res = expectProblem(await get(path(), al), 404, 'not-found', al);
			lang(res, want);
			assert.equal(THAI.test(res.json.detail), want === 'th', `${al}: ${res.json.detail}`);
		}
	});
});

describe('problems built in C', () => {
	test('no route at the path (404) and no token (401)', async () => {
		for (const [al, want] of [[undefined, 'th'], ['en', 'en']]) {
			const nf = expectProblem(await get('/v1/no-such-thing', al), 404, 'not-found');
			lang(nf, want);
			assert.equal(nf.json.detail, want === 'th' ? 'ไม่พบข้อมูลตามเส้นทาง (path) นี้' :
			    'No resource lives at this path.');
			const un = expectProblem(await get('/v1/users', al, null), 401, 'unauthorized');
			lang(un, want);
			assert.equal(un.json.title, want === 'th' ? 'ไม่ได้รับอนุญาต' : 'Unauthorized');
			assert.match(un.json.detail, /Authorization: Bearer/);
			assert.equal(THAI.test(un.json.detail), want === 'th');
		}
	});

	test('malformed JSON (400): the same type in both languages', async () => {
		const send = (al) => api('POST', '/v1/events', { token: organizer, raw: '{"title":',
		    headers: { 'content-type': 'application/json', ...(al ? { 'accept-language': al } : {}) } });
		const before = sqlInt('select count(*) from event');
		const th = expectProblem(await send(), 400, 'malformed-json');
		lang(th, 'th');
		assert.equal(th.json.detail, 'เนื้อหาของคำขอไม่ใช่ JSON ที่ถูกต้อง (หรือไม่ใช่ UTF-8)');
		const en = expectProblem(await send('en'), 400, 'malformed-json');
		lang(en, 'en');
		assert.equal(en.json.detail, 'The body is not valid JSON (or not UTF-8).');
		assert.equal(sqlInt('select count(*) from event'), before, 'nothing stored');
	});
});

describe('validation errors', () => {
	const post = (body, al) => api('POST', '/v1/events', { token: organizer, body,
	    headers: al ? { 'accept-language': al } : {} });

	test('the body checked in C: errors[].message in each language, codes the same', async () => {
		const before = sqlInt('select count(*) from event');
		const body = { ...eventBody(), capacity: 'many', extra: 1 };
		const th = await post(body);
		lang(th, 'th');
		const tc = expectFieldError(th, 'capacity', 'type');
		assert.equal(tc.message, 'ช่องนี้ต้องเป็นจำนวนเต็ม');
		assert.equal(expectFieldError(th, 'extra', 'unknown').message, 'ช่องนี้ไม่ใช่ส่วนหนึ่งของคำขอ');
		assert.equal(th.json.title, 'ข้อมูลไม่ถูกต้อง');
		assert.equal(th.json.detail, 'ข้อมูลในคำขอไม่ถูกต้อง');
		const en = await post(body, 'en');
		lang(en, 'en');
		assert.equal(expectFieldError(en, 'capacity', 'type').message, 'This field must be an integer.');
		assert.equal(en.json.title, 'Validation failed');
		assert.deepEqual(en.json.errors.map((e) => [e.field, e.code]),
		    th.json.errors.map((e) => [e.field, e.code]), 'the same errors in both');
		assert.ok(en.json.errors.every((e) => !('args' in e)));
		assert.equal(sqlInt('select count(*) from event'), before, 'nothing stored');
	});

	test('the body checked in SQL, with a placeholder filled in each language', async () => {
		const before = sqlInt('select count(*) from event');
		const body = eventBody();
		const backwards = { ...body, ends_at: body.starts_at };
		let res = await post(backwards);
		lang(res, 'th');
		assert.equal(expectFieldError(res, 'ends_at', 'range').message, 'เวลาสิ้นสุดกิจกรรมต้องอยู่หลังเวลาเริ่ม');
		res = await post(backwards, 'en;q=0.9, th;q=0.2');
		lang(res, 'en');
		assert.equal(expectFieldError(res, 'ends_at', 'range').message, 'The event must end after it starts.');

		const ghost = newUuid();
		const withGhost = { ...body, co_organizer_ids: [ghost] };
		res = await post(withGhost);
		assert.equal(expectFieldError(res, 'co_organizer_ids', 'not_found').message, `ไม่พบหน่วยงานรหัส ${ghost}`);
		res = await post(withGhost, 'en');
		assert.equal(expectFieldError(res, 'co_organizer_ids', 'not_found').message,
		    `No agency has the id ${ghost}.`);
		assert.equal(sqlInt('select count(*) from event'), before, 'nothing stored');
	});

	test('a conflict whose detail names two states', async () => {
		const { event, etag } = await createEvent();
		const patch = (al) => api('PATCH', `/v1/events/${event.id}`, { token: organizer,
		    body: { status: 'closed' }, headers: { 'if-match': etag, ...(al ? { 'accept-language': al } : {}) } });
		const th = expectProblem(await patch(), 409, 'conflict');
		lang(th, 'th');
		assert.match(th.json.detail, /draft เปลี่ยนเป็น closed ไม่ได้/);
		const en = expectProblem(await patch('en'), 409, 'conflict');
		assert.match(en.json.detail, /; draft cannot become closed \(cancel/);
		assert.equal(sqlInt("select count(*) from event where id = $1::uuid and status = 'draft' and version = 1",
		    [event.id]), 1, 'the event is as it was');
	});
});

describe('what only error answers pay for', () => {
	test('a 200 carries no Content-Language; a CORS Vary and ours are one header', async () => {
		const { event } = await createEvent();
		const ok = await api('GET', `/v1/events/${event.id}`, { token: organizer,
		    headers: { 'accept-language': 'en' } });
		assert.equal(ok.status, 200);
		assert.equal(ok.headers.get('content-language'), null);
		const res = expectProblem(await api('GET', `/v1/events/${newUuid()}`, { token: organizer,
		    headers: { 'accept-language': 'en', origin: 'https://dashboard.example.org' } }), 404, 'not-found');
		lang(res, 'en');
	});
});

describe('a neutral answer to the public', () => {
	test('POST /v1/participant-codes says the same in the language asked', async () => {
		const ask = (al) => api('POST', '/v1/participant-codes', { body: { national_id: nationalId() },
		    headers: { 'x-forwarded-for': clientAddress(), ...(al ? { 'accept-language': al } : {}) } });
		const th = await ask();
		assert.equal(th.status, 202);
		lang(th, 'th');
		assert.equal(th.json.detail, 'หากมีข้อมูลของบุคคลนี้ ระบบจะส่งรหัสไปยังหมายเลขโทรศัพท์ที่บันทึกไว้ รหัสใช้ได้ 10 นาที');
		const en = await ask('en');
		assert.equal(en.status, 202);
		lang(en, 'en');
		assert.equal(en.json.detail, 'If this person is known, a code goes to the phone on file; it works for 10 minutes.');
	});
});

describe('the contract', () => {
	test('every path declares Accept-Language; problems document Content-Language', () => {
		for (const [path, item] of Object.entries(spec.paths)) {
			assert.ok((item.parameters ?? []).some((p) => p.$ref === '#/components/parameters/AcceptLanguage'),
			    `${path} declares Accept-Language`);
		}
		const cl = spec.components.headers['Content-Language'];
		assert.deepEqual(cl.schema.enum, ['th', 'en']);
		for (const [name, r] of Object.entries(spec.components.responses)) {
			if (!r.content?.['application/problem+json'])
				continue;
			assert.equal(r.headers?.['Content-Language']?.$ref, '#/components/headers/Content-Language',
			    `${name} documents Content-Language`);
		}
		const report = spec.paths['/v1/events/{id}/registrations/import'].post.responses['200'];
		assert.ok(report.headers['Content-Language'], 'the import report documents Content-Language');
	});
});

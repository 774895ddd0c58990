// Printed tickets and name badges (issue 20, item 4), read back the way
// a person and a door scanner would: pdftotext gives the Thai name and
// event as stored, pdftoppm and zbarimg read the QR code, and the code
// read off the paper checks the person in. Who may print what follows
// the ticket: staff of the event, or the participant's own link.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectBadQuery, expectUnauthorized, sql,
    sqlInt, otherOrganizer, uniq } from './lib.mjs';
import { runningEvent, registered, checkin, expectScan, assignedScanner } from './checkins-lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ngan-print-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function pdfFile(bytes) {
	const file = join(dir, `${uniq('p')}.pdf`);
	writeFileSync(file, bytes);
	return file;
}

// The text as read without spaces or line ends: Thai wraps between words
// it writes without spaces, so a long title reads with a break inside.
const bare = (s) => s.replace(/\s+/g, '');
function pdfText(bytes) {
	return bare(execFileSync('pdftotext', ['-enc', 'UTF-8', pdfFile(bytes), '-'],
	    { encoding: 'utf8' }));
}

function pdfPages(bytes) {
	const info = execFileSync('pdfinfo', [pdfFile(bytes)], { encoding: 'utf8' });
	return Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
}

// Every QR code on the first page, as zbarimg reads them.
function pdfCodes(bytes) {
	const base = join(dir, uniq('q'));
	writeFileSync(`${base}.pdf`, bytes);
	execFileSync('pdftoppm', ['-r', '200', '-png', '-singlefile', `${base}.pdf`, base]);
	return execFileSync('zbarimg', ['--raw', '-q', `${base}.png`], { encoding: 'utf8',
	    stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').filter(Boolean);
}

function expectPdf(res, what) {
	expectStatus(res, 200, what);
	assert.equal(res.headers.get('content-type'), 'application/pdf', what);
	assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: names a person`);
	assert.equal(res.bytes.subarray(0, 5).toString(), '%PDF-', what);
	return res.bytes;
}

const FIRST = 'น้ำผึ้ง';
const LAST = 'ศรีสุขใจ';
const TITLE = `สัมมนาผู้นำแรงงานนอกระบบ ประจำปีงบประมาณ ๒๕๖๙ ${uniq('')}`;

let organizer, ev, person;
before(async () => {
	organizer = await tokenFor('organizer');
	ev = await runningEvent({ title: TITLE });
	person = await registered(ev.id, { participant: { title_th: 'นางสาว', first_name: FIRST,
	    last_name: LAST } });
});

const ticketPdf = (id, opts = {}) => api('GET', `/v1/registrations/${id}/ticket.pdf${
    opts.link ? `?link=${encodeURIComponent(opts.link)}` : ''}`, { token: opts.token });

describe('GET /v1/registrations/{id}/ticket.pdf', () => {
	test('staff print an A6 ticket: the Thai name and event as stored, a QR code that checks in', async () => {
		const bytes = expectPdf(await ticketPdf(person.id, { token: organizer }), 'ticket');
		assert.equal(pdfPages(bytes), 1);
		const text = pdfText(bytes);
		for (const s of [`นางสาว${FIRST} ${LAST}`, TITLE, 'บัตรเข้างาน'])
			assert.ok(text.includes(bare(s)), `the ticket reads "${s}": ${text}`);
		assert.ok(!/x-xxxx|\d{13}/.test(text), 'no national id, masked or not');

		const codes = pdfCodes(bytes);
		assert.equal(codes.length, 1, 'one QR code');
		assert.match(codes[0], /^NG1:[0-9A-Z $%*+\-./:]+$/, 'the compact ticket');
		const scanner = await assignedScanner([ev.id], organizer);
		const scan = expectScan(await checkin(scanner.token, { token: codes[0], event_id: ev.id }),
		    201, 'checked_in', 'the code read off the paper');
		assert.equal(scan.registration_id, person.id);
		assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1
		    and state = 'effective'`, [person.id]), 1);
	});

	test('the participant prints their own with their link; another link or none is refused', async () => {
		const ticket = expectStatus(await api('GET', `/v1/registrations/${person.id}/ticket`,
		    { token: organizer }), 200).json;
		const bytes = expectPdf(await ticketPdf(person.id, { link: ticket.link_token }), 'by link');
		assert.ok(pdfText(bytes).includes(`${FIRST}${LAST}`));

		const other = await registered(ev.id);
		const otherLink = expectStatus(await api('GET', `/v1/registrations/${other.id}/ticket`,
		    { token: organizer }), 200).json.link_token;
		expectProblem(await ticketPdf(person.id, { link: otherLink }), 403, 'forbidden');
		expectUnauthorized(await ticketPdf(person.id));
	});

	test('another agency, a scanner, an unknown or cancelled registration: no ticket', async () => {
		const phichit = await otherOrganizer();
		expectProblem(await ticketPdf(person.id, { token: phichit }), 404, 'not-found');
		const scanner = await tokenFor('scanner');
		expectProblem(await ticketPdf(person.id, { token: scanner }), 403, 'forbidden');
		expectProblem(await ticketPdf('00000000-0000-4000-8000-000000000000',
		    { token: organizer }), 404, 'not-found');

		const gone = await registered(ev.id);
		expectStatus(await api('POST', `/v1/registrations/${gone.id}/cancel`,
		    { token: organizer }), 200, 'cancel');
		expectProblem(await ticketPdf(gone.id, { token: organizer }), 409, 'conflict');
	});
});

describe('GET /v1/events/{id}/badges.pdf', () => {
	const badges = (id, query = '', token = organizer) =>
	    api('GET', `/v1/events/${id}/badges.pdf${query}`, { token });

	test('eight badges to an A4 sheet, in Thai dictionary order, each QR code a ticket', async () => {
		const small = await runningEvent({ title: `ป้ายชื่อ ${uniq('')}` });
		// Thai order puts เกษม between กมล and ขวัญ (the leading vowel
		// is not the first letter); byte order would put it last.
		const names = ['ขวัญใจ', 'เกษมสุข', 'กมลรัตน์'];
		const people = [];
		for (const first of names)
			people.push(await registered(small.id, { participant: { first_name: first } }));
		for (let i = 0; i < 6; i++)
			people.push(await registered(small.id));
		const cancelled = await registered(small.id, { participant: { first_name: 'ยกเลิกแล้ว' } });
		expectStatus(await api('POST', `/v1/registrations/${cancelled.id}/cancel`,
		    { token: organizer }), 200);

		const res = await badges(small.id);
		const bytes = expectPdf(res, 'badges');
		assert.equal(res.headers.get('link'), null, 'one page: no next');
		assert.equal(pdfPages(bytes), 2, '9 badges: 2 sheets');
		const text = pdfText(bytes);
		const at = ['กมลรัตน์', 'เกษมสุข', 'ขวัญใจ'].map((n) => text.indexOf(n));
		assert.ok(at.every((i) => i >= 0), `every name printed: ${text}`);
		assert.ok(at[0] < at[1] && at[1] < at[2], `Thai dictionary order: ${at}`);
		assert.ok(!text.includes('ยกเลิกแล้ว'), 'a cancelled registration gets no badge');

		const codes = pdfCodes(bytes);
		assert.equal(codes.length, 8, 'the first sheet holds 8 codes');
		const scanner = await assignedScanner([small.id], organizer);
		const scan = expectScan(await checkin(scanner.token, { token: codes[0],
		    event_id: small.id }), 201, 'checked_in', 'a badge checks in');
		assert.ok(people.some((p) => p.id === scan.registration_id));

		expectProblem(await badges(small.id, '?page=2'), 404, 'not-found');
	});

	test('80 badges a document: page 1 links to page 2, which holds the rest', async () => {
		const big = await runningEvent({ title: `ป้ายชื่อ ${uniq('')}`, capacity: 200 });
		const ids = [];
		for (let i = 0; i < 81; i += 9) {
			const batch = await Promise.all(Array.from({ length: Math.min(9, 81 - i) },
			    () => registered(big.id)));
			ids.push(...batch.map((p) => p.id));
		}
		assert.equal(sqlInt(`select count(*) from registration where event_id = $1
		    and status = 'confirmed'`, [big.id]), 81);

		const first = await badges(big.id);
		assert.equal(pdfPages(expectPdf(first, 'page 1')), 10);
		assert.equal(first.headers.get('link'),
		    `</v1/events/${big.id}/badges.pdf?page=2>; rel="next"`);
		const second = await badges(big.id, '?page=2');
		assert.equal(pdfPages(expectPdf(second, 'page 2')), 1);
		assert.equal(second.headers.get('link'),
		    `</v1/events/${big.id}/badges.pdf?page=1>; rel="prev"`);
	});

	test('an event nobody registered for prints an empty sheet', async () => {
		const empty = await runningEvent({ title: `ว่าง ${uniq('')}` });
		assert.equal(pdfPages(expectPdf(await badges(empty.id), 'empty')), 1);
	});

	test('bad page, another agency, a scanner, no token, unknown event: refused', async () => {
		for (const q of ['?page=0', '?page=x', '?page=10001'])
			expectBadQuery(await badges(ev.id, q), 'page');
		expectProblem(await badges(ev.id, '', await otherOrganizer()), 403, 'forbidden');
		expectProblem(await badges(ev.id, '', await tokenFor('scanner')), 403, 'forbidden');
		expectUnauthorized(await badges(ev.id, '', null));
		expectProblem(await badges('00000000-0000-4000-8000-000000000000'), 404, 'not-found');
	});
});

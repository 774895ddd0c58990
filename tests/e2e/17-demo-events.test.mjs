// The demo data of issue 3: the five events of the seed articles, public,
// with the dates, places, fiscal years and quotas the articles give
// (Lamphun 7 Dec 2560 BE, Phichit 4 Sep 2561, Lampang 7 Jan 2563 with
// 100/14/14, Phayao 25 Feb 2564, Samut Prakan 17 Aug 2565), sessions,
// and registrations whose counts match the database.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, sqlInt, DEMO_EVENTS } from './lib.mjs';

const EXPECTED = [
    // id, Bangkok start date, fiscal year, province, district, agency
    [DEMO_EVENTS.lamphun, '2017-12-07', 2561, '51', 'ลำพูน', 'a0000000-0000-4000-8000-000000000003'],
    [DEMO_EVENTS.phichit, '2018-09-04', 2561, '66', 'พิจิตร', 'a0000000-0000-4000-8000-000000000002'],
    [DEMO_EVENTS.lampang, '2020-01-07', 2563, '52', 'ลำปาง', 'a0000000-0000-4000-8000-000000000001'],
    [DEMO_EVENTS.phayao, '2021-02-25', 2564, '56', 'พะเยา', 'a0000000-0000-4000-8000-000000000005'],
    [DEMO_EVENTS.samutPrakan, '2022-08-17', 2565, '11', 'สมุทรปราการ', 'a0000000-0000-4000-8000-000000000006'],
];

test('the five events of the seed articles are public, with their dates, places and fiscal years', async () => {
	for (const [id, date, fy, province, provinceName, agency] of EXPECTED) {
		const e = expectStatus(await api('GET', `/v1/events/${id}`), 200, id).json;
		assert.equal(e.starts_at.slice(0, 10), date, `${id} starts on ${date} (Bangkok)`);
		assert.match(e.starts_at, /\+07:00$/);
		assert.equal(e.fiscal_year_be, fy, `${id} fiscal year`);
		assert.equal(e.venue.province_code, province);
		assert.equal(e.venue.province_name, provinceName);
		assert.equal(e.agency_id, agency);
		assert.ok(['published', 'closed'].includes(e.status), `${id}: ${e.status}`);
		assert.ok(e.presiding_official, `${id} has a presiding official`);
		assert.equal(e.counts.confirmed, sqlInt(`select count(*) from registration where event_id = $1::uuid
		    and status = 'confirmed'`, [id]));
		assert.equal(e.counts.waitlisted, sqlInt(`select count(*) from registration where event_id = $1::uuid
		    and status = 'waitlisted'`, [id]));
	}
	// The public list holds them in the fiscal years named.
	const fy = async (year) => expectStatus(await api('GET', `/v1/events?fiscal_year_be=${year}&limit=200`),
	    200).json.items.map((x) => x.id);
	assert.deepEqual((await fy(2561)).filter((x) => x.startsWith('e0000000-')),
	    [DEMO_EVENTS.lamphun, DEMO_EVENTS.phichit]);
	assert.ok((await fy(2563)).includes(DEMO_EVENTS.lampang));
	assert.ok((await fy(2564)).includes(DEMO_EVENTS.phayao));
	assert.ok((await fy(2565)).includes(DEMO_EVENTS.samutPrakan));
});

test('Lampang 7 January 2020: quotas 100 + 14 + 14 within a capacity of at least 128', async () => {
	const e = expectStatus(await api('GET', `/v1/events/${DEMO_EVENTS.lampang}`), 200).json;
	const quotas = Object.fromEntries(e.quotas.map((q) => [q.target_group, q.seats]));
	assert.deepEqual(quotas, { labour_volunteer: 100, volunteer_mentor: 14, anti_trafficking_officer: 14 });
	assert.ok(e.capacity >= 128);
	assert.equal(e.venue.district_name, 'เมืองลำปาง');
	assert.match(e.title, /ลำปาง/);
});

test('the demo events have sessions and registered people with masked ids', async () => {
	const lamphun = expectStatus(await api('GET', `/v1/events/${DEMO_EVENTS.lamphun}/sessions`), 200).json.items;
	assert.ok(lamphun.length >= 4, 'opening, talks and the afternoon groups');
	assert.ok(lamphun.filter((s) => s.kind === 'workshop').length >= 3, 'three breakout groups');
	const starts = lamphun.map((s) => Date.parse(s.starts_at));
	assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
	const admin = await tokenFor('admin');
	let total = 0;
	for (const [id] of EXPECTED) {
		const res = expectStatus(await api('GET', `/v1/events/${id}/registrations?limit=200`, { token: admin }), 200);
		total += res.json.items.length;
		for (const r of res.json.items)
			assert.match(r.participant.national_id_masked, /^x-xxxx-xxxxx-\d\d-\d$/);
	}
	assert.ok(total > 0, 'registrations exist');
});

test('q=แรงงานนอกระบบ finds the demo events whose title holds it', async () => {
	const res = expectStatus(await api('GET', `/v1/events?q=${encodeURIComponent('แรงงานนอกระบบ')}&limit=200`), 200);
	const ids = res.json.items.map((e) => e.id);
	for (const id of [DEMO_EVENTS.lamphun, DEMO_EVENTS.phayao, DEMO_EVENTS.samutPrakan])
		assert.ok(ids.includes(id), `${id} found`);
	for (const id of [DEMO_EVENTS.phichit, DEMO_EVENTS.lampang])
		assert.ok(!ids.includes(id), `${id} is not about informal workers by title or venue`);
});

// A pg_dump of the test database holds no national id in clear (issue 3):
// neither the 13 digits nor the dashed form of any id the end-to-end tests
// used (lib.mjs records every id it invents in NID_FILE), nor the phones
// this file sends. Runs after the other issue 3 files so their data is in.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, DATABASE_URL, NID_FILE, openEvent, participantBody,
    nationalId, dashedNationalId, phoneNumber } from './lib.mjs';

const PG_DUMP = ['/usr/lib/postgresql/15/bin/pg_dump', 'pg_dump'].find((p) => p === 'pg_dump' || existsSync(p));

test('pg_dump holds no national id (nor phone) in clear', async () => {
	const organizer = await tokenFor('organizer');
	// Fresh data through every path that stores a person.
	const { event } = await openEvent({ capacity: 2, quotas: [] });
	const phones = [phoneNumber(), phoneNumber(), phoneNumber()];
	expectStatus(await api('POST', '/v1/participants', { token: organizer,
	    body: participantBody({ phone: phones[0] }) }), 200);
	expectStatus(await api('POST', `/v1/events/${event.id}/registrations`, { token: organizer,
	    body: { participant: participantBody({ national_id: dashedNationalId(nationalId()), phone: phones[1] }) } }),
	    201);
	const csv = `\uFEFFชื่อ,นามสกุล,เลขประจำตัวประชาชน,โทรศัพท์,กลุ่มเป้าหมาย\r\nทดสอบ,สำรองข้อมูล,${nationalId()},` +
	    `${phones[2]},general\r\n`;
	const imp = expectStatus(await api('POST', `/v1/events/${event.id}/registrations/import`, { token: organizer,
	    raw: csv, headers: { 'content-type': 'text/csv' } }), 200);
	assert.equal(imp.json.summary.created, 1);

	const ids = [...new Set(readFileSync(NID_FILE, 'utf8').split('\n').filter(Boolean))];
	assert.ok(ids.length >= 2, `national ids used in this run: ${ids.length}`);

	const dump = execFileSync(PG_DUMP, ['--no-owner', '--no-privileges', '-d', DATABASE_URL],
	    { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8', timeout: 120000 });
	assert.match(dump, /COPY public\.participant /, 'the dump holds the participant table');
	assert.ok(dump.length > 100000, 'a real dump');
	const leaks = [];
	for (const nid of ids) {
		if (dump.includes(nid) || dump.includes(dashedNationalId(nid)))
			leaks.push(nid);
	}
	assert.deepEqual(leaks, [], `national ids in clear in the dump: ${leaks.length}`);
	for (const phone of phones)
		assert.ok(!dump.includes(phone), `phone ${phone.slice(0, 3)}... in clear in the dump`);
	rmSync(NID_FILE, { force: true });
});

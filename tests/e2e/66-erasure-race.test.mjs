// Issue 18: an erasure while a self-registration of the same person is in
// flight. Both fired at once, for many people: either the registration
// commits first and the erasure is refused (409 registered-ahead, the
// person registered), or the erasure goes first and the registration
// finds nobody and makes a new record from what was sent. Never a
// registration of an erased person, nor personal data, a code or a
// message of an erased person left behind (api.self_register holds the
// person's row FOR SHARE, api.privacy_erase takes it FOR UPDATE).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, expectStatus, sql, sqlInt, tokenFor } from './lib.mjs';
import { clientAddress, publicEvent, selfApi, selfBody } from './self-lib.mjs';

const PEOPLE = 16;
let admin;

before(async () => {
	admin = await tokenFor('admin');
});

test('erasure racing a self-registration of the same person leaves nothing behind', async () => {
	// People registered at an event that is over: erasure is allowed.
	const past = await publicEvent();
	const people = [];
	for (let i = 0; i < PEOPLE; i++) {
		const body = await selfBody();
		expectStatus(await selfApi('POST', `/v1/events/${past.id}/self-registrations`,
		    body), 202, 'register at the first event');
		const pid = sql(`select participant_id from registration where event_id = $1
		    order by created_at desc, seq desc limit 1`, [past.id]);
		people.push({ body, pid });
	}
	sql(`update event set registration_opens_at = now() - interval '5 hours',
	    registration_closes_at = now() - interval '3 hours',
	    starts_at = now() - interval '4 hours', ends_at = now() - interval '1 minute'
	    where id = $1`, [past.id]);

	// Each person registers at a running event while staff erase them.
	const ev = await publicEvent();
	const fired = await Promise.all(people.flatMap(({ body, pid }) => [
	    selfApi('POST', `/v1/events/${ev.id}/self-registrations`, body,
		{ addr: clientAddress() }),
	    api('POST', `/v1/participants/${pid}/personal-data/erasure`,
		{ token: admin, timeout: 60000 }),
	]));

	let erased = 0;
	for (let i = 0; i < PEOPLE; i++) {
		const { pid } = people[i];
		expectStatus(fired[2 * i], 202, 'the registration is received');
		const er = fired[2 * i + 1];
		assert.ok([200, 409].includes(er.status), `erasure: ${er.status}`);
		const regOfOld = sqlInt(`select count(*) from registration
		    where event_id = $1 and participant_id = $2`, [ev.id, pid]);
		if (er.status === 200) {
			erased++;
			assert.equal(er.json.status, 'erased');
			assert.equal(regOfOld, 0, 'no registration of the erased person');
			// The registration went to a new record, made from what was sent.
			assert.equal(sqlInt(`select count(*) from registration r
			    join participant p on p.id = r.participant_id
			    where r.event_id = $1 and p.erased_at is null and p.id <> $2
			    and p.first_name = $3`, [ev.id, pid, people[i].body.first_name]), 1);
		} else {
			assert.equal(er.json.type, 'urn:ngan:problem:registered-ahead');
			assert.equal(regOfOld, 1, 'registered, so not erased');
			assert.equal(sql('select erased_at is null from participant where id = $1',
			    [pid]), 't');
		}
	}
	// Whichever went first, the invariants hold for everyone.
	const pids = `{${people.map((p) => p.pid).join(',')}}`;
	assert.equal(sqlInt(`select count(*) from registration r
	    join participant p on p.id = r.participant_id
	    where r.event_id = $1 and p.erased_at is not null`, [ev.id]), 0);
	assert.equal(sqlInt('select count(*) from registration where event_id = $1', [ev.id]),
	    PEOPLE, 'every registration stored once');
	assert.equal(sqlInt(`select count(*) from participant where id = any($1::uuid[])
	    and erased_at is not null and (first_name is not null or last_name is not null
	    or national_id_hmac is not null or national_id_enc is not null
	    or phone_enc is not null or province_code is not null)`, [pids]), 0);
	assert.equal(sqlInt(`select count(*) from outbox o join participant p
	    on p.id = o.participant_id where p.id = any($1::uuid[]) and
	    p.erased_at is not null`, [pids]), 0, 'no message to an erased person');
	assert.equal(sqlInt(`select count(*) from participant_code c join participant p
	    on p.id = c.participant_id where p.id = any($1::uuid[]) and
	    p.erased_at is not null`, [pids]), 0);
	assert.equal(sqlInt(`select count(*) from privacy_request where participant_id =
	    any($1::uuid[]) and kind = 'erasure' and outcome = 'done'`, [pids]), erased);
});

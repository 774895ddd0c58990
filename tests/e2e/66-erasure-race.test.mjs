// Issue 18: an erasure while a self-registration of the same person is in
// flight. First forced: the erasure arrives while the registration has
// read the person but not stored its row (a session holds the table's
// inserts); then both fired at once, for many people: either the registration
// commits first and the erasure is refused (409 registered-ahead, the
// person registered), or the erasure goes first and the registration
// finds nobody and makes a new record from what was sent. Never a
// registration of an erased person, nor personal data, a code or a
// message of an erased person left behind (api.self_register holds the
// person's row FOR SHARE, api.privacy_erase takes it FOR UPDATE).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, test } from 'node:test';
import { api, DATABASE_URL, expectStatus, sql, sqlInt, tokenFor, waitFor } from './lib.mjs';
import { clientAddress, publicEvent, selfApi, selfBody } from './self-lib.mjs';

const PEOPLE = 12;
let admin;

before(async () => {
	admin = await tokenFor('admin');
});

// A person registered at an event that is over (so erasure is allowed).
async function pastPerson(past) {
	const body = await selfBody();
	expectStatus(await selfApi('POST', `/v1/events/${past.id}/self-registrations`, body),
	    202, 'register at the first event');
	const pid = sql(`select participant_id from registration where event_id = $1
	    order by created_at desc, seq desc limit 1`, [past.id]);
	return { body, pid };
}

function endEvent(id) {
	sql(`update event set registration_opens_at = now() - interval '5 hours',
	    registration_closes_at = now() - interval '3 hours',
	    starts_at = now() - interval '4 hours', ends_at = now() - interval '1 minute'
	    where id = $1`, [id]);
}

// A session of its own holding registration's table lock (reads pass,
// inserts wait) until release().
async function holdRegistrationInserts() {
	const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', DATABASE_URL],
	    { stdio: ['pipe', 'ignore', 'inherit'] });
	const exited = new Promise((resolve) => child.on('exit', resolve));
	child.stdin.write(`begin; lock table registration in exclusive mode;
	    select pg_sleep(60);\n`);
	await waitFor(() => sqlInt(`select count(*) from pg_locks l join pg_class c
	    on c.oid = l.relation where c.relname = 'registration' and
	    l.mode = 'ExclusiveLock' and l.granted`) === 1, { timeout: 20000 });
	return async () => {
		sql(`select pg_cancel_backend(pid) from pg_stat_activity
		    where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`);
		child.stdin.end();
		await exited;
	};
}

// The backends running a query like pattern that wait for a lock.
const waiting = (pattern) => sqlInt(`select count(*) from pg_stat_activity
    where query like $1 and wait_event_type = 'Lock'`, [pattern]);

test('the erasure comes while the registration is between reading the person and storing', async () => {
	const past = await publicEvent();
	const person = await pastPerson(past);
	endEvent(past.id);
	const ev = await publicEvent();

	// The registration reads the person, then waits to store its row.
	const release = await holdRegistrationInserts();
	let reg;
	let er;
	let erDone = false;
	try {
		reg = selfApi('POST', `/v1/events/${ev.id}/self-registrations`, person.body);
		await waitFor(() => waiting('%self_register%') === 1, { timeout: 20000 });
		er = api('POST', `/v1/participants/${person.pid}/personal-data/erasure`,
		    { token: admin, timeout: 60000 }).then((res) => {
			erDone = true;
			return res;
		});
		// The erasure waits for the registration (the person's row is
		// held), or, were it not held, would be done already.
		await waitFor(() => erDone || waiting('%participant_erase%') === 1,
		    { timeout: 20000 });
	} finally {
		await release();
	}
	expectStatus(await reg, 202);
	const erased = await er;
	expectStatus(erased, 409, 'the registration went first: the person is registered');
	assert.equal(erased.json.type, 'urn:ngan:problem:registered-ahead');
	assert.equal(sql(`select p.erased_at is null from registration r join participant p
	    on p.id = r.participant_id where r.event_id = $1`, [ev.id]), 't');
	assert.equal(sql('select participant_id from registration where event_id = $1', [ev.id]),
	    person.pid);
});

test('erasure racing a self-registration of the same person leaves nothing behind', async () => {
	// People registered at an event that is over: erasure is allowed.
	const past = await publicEvent();
	const people = [];
	for (let i = 0; i < PEOPLE; i++)
		people.push(await pastPerson(past));
	endEvent(past.id);

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

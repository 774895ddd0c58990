-- pgbench baseline for POST /v1/checkins: the statement the server
-- prepares for it (api/checkins.c) with the scan C builds from the body
-- ({event_id, nonce, device_id} plus what the verified ticket names).
-- The tickets: bench_ticket (n, reg, ver, hash), registrations of a second
-- event made the same way as the API's, so pgbench's scans are fresh too;
-- the lookup is in the same statement (one round trip, like the server).
-- The tickets go in turn (a sequence, read once per statement by the
-- subquery), so most scans are first scans as the API's are. The nonce: a
-- random number and the client id. bench/run.sh replaces @ACTOR@,
-- @PG_EVENT@ and @PG_TICKETS@.
\set n random(1, 1000000000)
SELECT c.status, c.body, NULL::text, NULL::text, c.kind FROM bench_ticket t, api.checkin('@ACTOR@', jsonb_build_object('event_id', '@PG_EVENT@', 'nonce', 'pgb.' || :client_id || '.' || :n, 'device_id', 'pgbench', 'ticket_registration', t.reg, 'ticket_event', '@PG_EVENT@', 'ticket_version', t.ver, 'ticket_hash', t.hash), 'th', 120) c WHERE t.n = (SELECT (nextval('bench_ticket_seq') - 1) % @PG_TICKETS@ + 1);

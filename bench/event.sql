-- pgbench baseline for GET /v1/events/{id} without a token (api/events.c):
-- the Lampang seminar of 7 January 2020 from the demo data.
SELECT status, body, etag, location FROM api.event_get(NULL, 'e0000000-0000-4000-8000-000000000003');

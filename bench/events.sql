-- pgbench baseline for GET /v1/events?limit=50 without a token: the
-- statement the server prepares for it (api/events.c), anonymous actor.
SELECT status, body, etag, location FROM api.events_list(NULL, '{}', 50, NULL);

-- pgbench baseline for GET /v1/me: the statement the server prepares for it
-- (api/users.c), with the actor JSON the server builds from the token.
-- pgbench's \set holds only numbers, so the JSON sits in the text;
-- bench/run.sh replaces @ACTOR@ before the run.
SELECT status, body, etag, location FROM api.me('@ACTOR@');

-- Revocation at once (issue 14). Access tokens are verified in C and live
-- up to NGAN_ACCESS_TTL (15 minutes); until now only /v1/me asked the
-- database whether the session behind one was still open. Two checks
-- now, both in api/:
--
-- * In the statement (db.c): a statement that gets the caller's claims as
--   its first parameter binds them as api.live_actor, whose CHECK looks
--   up the session, the user and the partner client. Parameters are bound
--   with a snapshot taken when the statement arrives, so a revocation
--   committed before the request came in is seen, and the statement
--   fails (SQLSTATE NG401, answered 401) before its function runs: a
--   refused write writes nothing. api.me checks for itself.
-- * In each worker (revoke.c): the set of sessions revoked in the last
--   day, loaded by api.revoked_sessions() whenever the worker's listener
--   connects and kept fresh by the NOTIFY below, sent on ngan_revoke in
--   the transaction that revokes. It refuses tokens of revoked sessions
--   on every route, those whose SQL never sees the caller included,
--   without a database call.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- revoke.sql.

-- Sessions revoked in the last p_seconds (the longest an access token may
-- live, NGAN_ACCESS_TTL <= 86400, and some): their tokens may still be
-- presented. Older ones have no token left.
create index auth_session_revoked_idx on auth_session (revoked_at)
    where revoked_at is not null;

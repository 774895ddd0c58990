-- OAuth 2 as RFC 6749 and RFC 7009 write it (issue 15). A partner
-- client's access token now belongs to a session as a user's does, so
-- revoking it (POST /v1/auth/revoke) ends it at once by the same two
-- checks as a user's (sql/023): api.actor_live in the statement, the
-- worker's set of revoked sessions by NOTIFY. A session is a user's or
-- a partner client's, never both.
--
-- Its functions are in sql/api/ now, each defined once: auth.sql,
-- revoke.sql, users.sql.

alter table auth_session alter column user_id drop not null;
alter table auth_session add column partner_client_id uuid
    references partner_client(id);
alter table auth_session add constraint auth_session_one_owner
    check ((user_id is null) <> (partner_client_id is null));
create index auth_session_client_idx on auth_session(partner_client_id)
    where partner_client_id is not null;

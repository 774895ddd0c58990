-- Foundation: extensions, the api schema, result type and shared helpers.
-- Every HTTP-facing function in schema api returns api.result so the C
-- layer renders any answer the same way.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- util.sql.

create extension if not exists pgcrypto;
create extension if not exists pg_trgm;

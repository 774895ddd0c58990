-- Foundation: extensions, the api schema, result type and shared helpers.
-- Every HTTP-facing function in schema api returns api.result so the C
-- layer renders any answer the same way.

create extension if not exists pgcrypto;
create extension if not exists pg_trgm;

create schema api;

create type api.result as (
	status		int,
	body		jsonb,
	etag		text,
	location	text
);

-- RFC 3339 in Asia/Bangkok (UTC+7, no DST), as the contract shows times.
create function api.ts(t timestamptz) returns text
language sql immutable parallel safe as $$
	select to_char(t at time zone 'Asia/Bangkok',
	    'YYYY-MM-DD"T"HH24:MI:SS"+07:00"')
$$;

create function api.problem(p_status int, p_slug text, p_title text,
    p_detail text, p_errors jsonb default null) returns api.result
language sql immutable as $$
	select row(p_status,
	    jsonb_strip_nulls(jsonb_build_object(
		'type', 'urn:ngan:problem:' || p_slug,
		'title', p_title,
		'status', p_status,
		'detail', p_detail,
		'errors', p_errors)),
	    null, null)::api.result
$$;

create function api.field_error(p_field text, p_code text, p_message text)
returns api.result
language sql immutable as $$
	select api.problem(422, 'validation', 'Validation failed',
	    'The request body has invalid fields.',
	    jsonb_build_array(jsonb_build_object('field', p_field,
		'code', p_code, 'message', p_message)))
$$;

create function api.ok(p_status int, p_body jsonb, p_etag text default null,
    p_location text default null) returns api.result
language sql immutable as $$
	select row(p_status, p_body, p_etag, p_location)::api.result
$$;

-- Keyset cursors: opaque base64url of "<microseconds>:<uuid>".
create function api.cursor_encode(p_at timestamptz, p_id uuid) returns text
language sql immutable as $$
	select rtrim(translate(encode(convert_to(
	    (extract(epoch from p_at) * 1000000)::bigint::text || ':' ||
	    p_id::text, 'UTF8'), 'base64'), '+/', '-_'), '=')
$$;

-- Returns null for anything that is not a cursor we made.
create function api.cursor_decode(p_cursor text, out at timestamptz,
    out id uuid)
language plpgsql immutable as $$
declare
	raw	text;
	b64	text;
begin
	if p_cursor is null or length(p_cursor) > 200 or
	    p_cursor !~ '^[A-Za-z0-9_-]+$' then
		return;
	end if;
	b64 := translate(p_cursor, '-_', '+/');
	b64 := b64 || repeat('=', (4 - length(b64) % 4) % 4);
	raw := convert_from(decode(b64, 'base64'), 'UTF8');
	if raw !~ '^[0-9]{1,19}:[0-9a-f-]{36}$' then
		return;
	end if;
	at := to_timestamp(split_part(raw, ':', 1)::numeric / 1000000);
	id := split_part(raw, ':', 2)::uuid;
exception when others then
	at := null;
	id := null;
end;
$$;

create function api.bad_cursor() returns api.result
language sql immutable as $$
	select api.problem(400, 'bad-request', 'Bad request',
	    'The cursor is not one this server issued.')
$$;

-- The caller as the C layer saw it in the access token:
-- {"sub", "role", "agency_id", "kind": "user"|"client", "sid"}.
create function api.actor_role(actor jsonb) returns text
language sql immutable as $$ select actor->>'role' $$;

create function api.actor_agency(actor jsonb) returns uuid
language sql immutable as $$ select nullif(actor->>'agency_id', '')::uuid $$;

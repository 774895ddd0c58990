-- What every resource uses: the result type of the HTTP-facing functions
-- (each returns api.result, so the C layer renders any answer the same
-- way), problem answers, times, keyset cursors, the caller's claims, and
-- place codes with their names.

create type api.result as (
	status		int,
	body		jsonb,
	etag		text,
	location	text
);

-- RFC 3339 in Asia/Bangkok (UTC+7, no DST), as the contract shows times.
-- Stable, as to_char() (which it calls) is: declared immutable it was
-- never inlined, and plpgsql callers planned it again in every
-- transaction. Nothing indexes or stores it.
create function api.ts(t timestamptz) returns text
language sql stable parallel safe as $$
	select to_char(t at time zone 'Asia/Bangkok',
	    'YYYY-MM-DD"T"HH24:MI:SS"+07:00"')
$$;

-- Problems name messages by key, never by text: p_detail, and each
-- errors[].message, is a key of api/i18n.tsv, with its {placeholders} in
-- p_args (and errors[].args); the title is the key "title.<slug>". The C
-- layer writes them out in the request's language (api/i18n.c).
create function api.problem(p_status int, p_slug text, p_detail text,
    p_args jsonb default null, p_errors jsonb default null)
returns api.result
language sql immutable as $$
	select row(p_status,
	    jsonb_strip_nulls(jsonb_build_object(
		'type', 'urn:ngan:problem:' || p_slug,
		'title', 'title.' || p_slug,
		'status', p_status,
		'detail', p_detail,
		'detail_args', p_args,
		'errors', p_errors)),
	    null, null)::api.result
$$;

-- A 422 for one field; p_message a key, p_args its placeholders.
create function api.field_error(p_field text, p_code text, p_message text,
    p_args jsonb default null) returns api.result
language sql immutable as $$
	select api.problem(422, 'validation', 'validation.body', null,
	    jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
		'field', p_field, 'code', p_code, 'message', p_message,
		'args', p_args))))
$$;

create function api.ok(p_status int, p_body jsonb, p_etag text default null,
    p_location text default null) returns api.result
language sql immutable as $$
	select row(p_status, p_body, p_etag, p_location)::api.result
$$;

-- base64url without padding, as every cursor is written.
create function api.b64url_encode(p text) returns text
language sql immutable as $$
	select rtrim(translate(encode(convert_to(p, 'UTF8'), 'base64'),
	    E'+/\n', '-_'), '=')
$$;

-- The text in base64url (padding optional); raises when there is none.
create function api.b64url_decode(p text) returns text
language sql immutable as $$
	select convert_from(decode(translate(p, '-_', '+/') ||
	    repeat('=', (4 - length(p) % 4) % 4), 'base64'), 'UTF8')
$$;

-- The text in a keyset cursor, or null for anything that is not in the
-- form we write them (base64url, no padding, short).
create function api.cursor_text(p_cursor text) returns text
language plpgsql immutable as $$
begin
	if p_cursor is null or length(p_cursor) > 200 or
	    p_cursor !~ '^[A-Za-z0-9_-]+$' then
		return null;
	end if;
	return api.b64url_decode(p_cursor);
exception when others then
	return null;
end;
$$;

-- Keyset cursors: opaque base64url of "<microseconds>:<uuid>".
create function api.cursor_encode(p_at timestamptz, p_id uuid) returns text
language sql immutable as $$
	select api.b64url_encode((extract(epoch from p_at) *
	    1000000)::bigint::text || ':' || p_id::text)
$$;

-- Returns null for anything that is not a cursor we made.
create function api.cursor_decode(p_cursor text, out at timestamptz,
    out id uuid)
language plpgsql immutable as $$
declare
	raw	text := api.cursor_text(p_cursor);
begin
	if raw is null or raw !~ '^[0-9]{1,19}:[0-9a-f-]{36}$' then
		return;
	end if;
	at := to_timestamp(split_part(raw, ':', 1)::numeric / 1000000);
	id := split_part(raw, ':', 2)::uuid;
exception when others then
	at := null;
	id := null;
end;
$$;

-- A page of a keyset list: its items and, when p_more (there are rows
-- after it), the cursor after the last item (p_at, p_id).
create function api.keyset_page(p_items jsonb, p_more boolean,
    p_at timestamptz, p_id uuid) returns api.result
language sql immutable as $$
	select api.ok(200, jsonb_build_object('items', p_items,
	    'next_cursor', case when p_more then
		api.cursor_encode(p_at, p_id) end))
$$;

create function api.bad_cursor() returns api.result
language sql immutable as $$
	select api.problem(400, 'bad-request', 'query.cursor_foreign')
$$;

-- The caller as the C layer saw it in the access token:
-- {"sub", "role", "agency_id", "kind": "user"|"client", "sid"}.
create function api.actor_role(actor jsonb) returns text
language sql immutable as $$ select actor->>'role' $$;

create function api.actor_agency(actor jsonb) returns uuid
language sql immutable as $$ select nullif(actor->>'agency_id', '')::uuid $$;

-- p_key names what was not found: 'not_found.event'.
create function api.not_found(p_key text) returns api.result
language sql immutable as $$
	select api.problem(404, 'not-found', p_key)
$$;

create function api.forbidden(p_key text, p_args jsonb default null)
returns api.result
language sql immutable as $$
	select api.problem(403, 'forbidden', p_key, p_args)
$$;

-- An event's or a person's place codes with their Thai names. As
-- plpgsql, as api.event_json: as SQL functions with subqueries they could
-- not be inlined, so each was parsed and planned again in every
-- transaction that called it from plpgsql (0.21 ms and 0.53 ms a call on
-- GET /v1/events/{id}, whose statement took about 1.4 ms); plpgsql keeps
-- their plans per connection.
create function api.place_names(p_province text, p_district text,
    p_subdistrict text) returns jsonb
language plpgsql stable as $$
begin
	return jsonb_build_object(
	    'province_code', p_province,
	    'province_name', (select name_th from province
		where code = p_province::bpchar),
	    'district_code', p_district,
	    'district_name', (select name_th from district
		where code = p_district::bpchar),
	    'subdistrict_code', p_subdistrict,
	    'subdistrict_name', (select name_th from subdistrict
		where code = p_subdistrict::bpchar and
		district_code = p_district::bpchar));
end;
$$;

-- Checks codes and that each sits in its parent; null when all is well,
-- else the field error. prefix names the fields ("venue." for events).
create function api.place_error(p_prefix text, p_province text,
    p_district text, p_subdistrict text) returns api.result
language plpgsql stable as $$
begin
	if p_province is not null and not exists (select 1 from province
	    where code = p_province::bpchar) then
		return api.field_error(p_prefix || 'province_code',
		    'not_found', 'place.province_unknown');
	end if;
	if p_district is not null then
		if not exists (select 1 from district where code = p_district::bpchar)
		then
			return api.field_error(p_prefix || 'district_code',
			    'not_found', 'place.district_unknown');
		end if;
		if p_province is null or not exists (select 1 from district
		    where code = p_district::bpchar and
		    province_code = p_province::bpchar)
		then
			return api.field_error(p_prefix || 'district_code',
			    'mismatch', 'place.district_mismatch');
		end if;
	end if;
	if p_subdistrict is not null then
		if not exists (select 1 from subdistrict
		    where code = p_subdistrict::bpchar) then
			return api.field_error(p_prefix || 'subdistrict_code',
			    'not_found', 'place.subdistrict_unknown');
		end if;
		if p_district is null or not exists (select 1 from subdistrict
		    where code = p_subdistrict::bpchar and
		    district_code = p_district::bpchar)
		then
			return api.field_error(p_prefix || 'subdistrict_code',
			    'mismatch',
			    'place.subdistrict_mismatch');
		end if;
	end if;
	return null;
end;
$$;

create function api.like_pattern(p_q text) returns text
language sql immutable as $$
	select '%' || replace(replace(replace(p_q, '\', '\\'), '%', '\%'),
	    '_', '\_') || '%'
$$;

create function api.micros(t timestamptz) returns bigint
language sql immutable as $$
	select (extract(epoch from t) * 1000000)::bigint
$$;

create function api.from_micros(n bigint) returns timestamptz
language sql immutable as $$
	select 'epoch'::timestamptz + n * interval '1 microsecond'
$$;

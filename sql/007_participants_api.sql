-- HTTP-facing functions for /v1/participants. C has checked the role, the
-- body's shape, the national id's checksum and the phone, and replaced
-- both with their sealed forms (api/pii.c): national_id_hmac,
-- national_id_enc, national_id_last3, phone_enc, phone_last4, as hex or
-- digits. No clear national id or phone ever reaches the database.

-- Masks from the digits the table keeps readable.
create function api.nid_mask(p_last3 text) returns text
language sql immutable as $$
	select 'x-xxxx-xxxxx-' || substr(p_last3, 1, 2) || '-' ||
	    substr(p_last3, 3, 1)
$$;

create function api.phone_mask(p_last4 text) returns text
language sql immutable as $$
	select 'xxx-xxx-' || p_last4
$$;

-- "นายสมชาย ใจดี": Thai writes the title against the first name.
create function api.participant_name(p participant) returns text
language sql immutable as $$
	select coalesce(p.title_th, '') || p.first_name || ' ' || p.last_name
$$;

-- Roles that see a participant's phone in clear.
create function api.pii_reader(actor jsonb) returns boolean
language sql immutable as $$
	select coalesce(api.actor_role(actor) in ('admin', 'organizer'), false)
$$;

-- The participant as the API shows it. With p_phone the sealed phone
-- goes along as "_phone_enc" (hex): C opens it into "phone" and drops
-- that key before anything leaves the server (participants.c).
create function api.participant_json(p participant, p_phone boolean)
returns jsonb
language sql stable as $$
	select jsonb_build_object('id', p.id, 'title_th', p.title_th,
	    'first_name', p.first_name, 'last_name', p.last_name,
	    'display_name', api.participant_name(p),
	    'national_id_masked', api.nid_mask(p.national_id_last3),
	    'phone', null,
	    'phone_masked', api.phone_mask(p.phone_last4)) ||
	    api.place_names(p.province_code, p.district_code,
	    p.subdistrict_code) ||
	    jsonb_build_object('occupation', p.occupation,
	    'target_group', p.target_group, 'section40', p.section40,
	    'pdpa_consent_at', api.ts(p.pdpa_consent_at),
	    'pdpa_consent_version', p.pdpa_consent_version,
	    'created_at', api.ts(p.created_at),
	    'updated_at', api.ts(p.updated_at)) ||
	    case when p_phone and p.phone_enc is not null then
		jsonb_build_object('_phone_enc', encode(p.phone_enc, 'hex'))
	    else '{}' end
$$;

create function api.participant_etag(p participant) returns text
language sql immutable as $$ select '"' || p.version || '"' $$;

-- What needs the data in a new participant b: places and target group.
-- Null when all is well, else the field error; prefix names the fields
-- ("participant." inside a registration).
create function api.participant_check(b jsonb, p_prefix text)
returns api.result
language plpgsql stable as $$
declare
	err	api.result;
begin
	err := api.place_error(p_prefix, b->>'province_code',
	    b->>'district_code', b->>'subdistrict_code');
	if (err).status is not null then
		return err;
	end if;
	if b->>'target_group' is not null and not exists (select 1
	    from target_group where code = b->>'target_group') then
		return api.field_error(p_prefix || 'target_group', 'not_found',
		    'No target group has this code.');
	end if;
	return null;
end;
$$;

-- Inserts participant b (checked). A participant with the same national
-- id, even one committed a moment ago by another request, wins: the
-- result is then a row of nulls and the caller looks that one up.
create function api.participant_insert(actor jsonb, b jsonb)
returns participant
language plpgsql as $$
declare
	p	participant;
begin
	insert into participant (title_th, first_name, last_name,
	    national_id_hmac, national_id_enc, national_id_last3, phone_enc,
	    phone_last4, province_code, district_code, subdistrict_code,
	    occupation, target_group, section40, pdpa_consent_at,
	    pdpa_consent_version, created_by)
	values (b->>'title_th', b->>'first_name', b->>'last_name',
	    decode(b->>'national_id_hmac', 'hex'),
	    decode(b->>'national_id_enc', 'hex'), b->>'national_id_last3',
	    decode(b->>'phone_enc', 'hex'), b->>'phone_last4',
	    b->>'province_code', b->>'district_code', b->>'subdistrict_code',
	    b->>'occupation', b->>'target_group',
	    coalesce((b->>'section40')::boolean, false),
	    (b->>'pdpa_consent_at')::timestamptz, b->>'pdpa_consent_version',
	    case when actor->>'kind' = 'user' then (actor->>'sub')::uuid end)
	on conflict (national_id_hmac) do nothing
	returning * into p;
	return p;
end;
$$;

create function api.participant_create(actor jsonb, b jsonb)
returns api.result
language plpgsql as $$
declare
	err	api.result;
	p	participant;
begin
	err := api.participant_check(b, '');
	if (err).status is not null then
		return err;
	end if;
	p := api.participant_insert(actor, b);
	if p.id is null then
		select * into p from participant
		where national_id_hmac = decode(b->>'national_id_hmac', 'hex');
		err := api.problem(409, 'conflict', 'Conflict',
		    'A participant with this national id exists already.');
		err.body := err.body || jsonb_build_object('participant_id',
		    p.id);
		return err;
	end if;
	return api.ok(201, api.participant_json(p, api.pii_reader(actor)),
	    api.participant_etag(p), '/v1/participants/' || p.id);
end;
$$;

create function api.participant_get(actor jsonb, p_id uuid)
returns api.result
language plpgsql stable as $$
declare
	p	participant;
begin
	if coalesce(api.actor_role(actor) not in ('admin', 'organizer',
	    'scanner'), true) then
		return api.forbidden('Your role may not read participants.');
	end if;
	select * into p from participant where id = p_id;
	if not found then
		return api.not_found('participant');
	end if;
	return api.ok(200, api.participant_json(p, api.pii_reader(actor)),
	    api.participant_etag(p));
end;
$$;

-- Search by a part of the name (trigram index participant_name_idx) or,
-- when C saw a whole national id in q, by its keyed hash p_hmac (hex).
create function api.participants_list(actor jsonb, p_q text, p_hmac text,
    p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
	pattern	text;
begin
	if coalesce(api.actor_role(actor) not in ('admin', 'organizer'),
	    true) then
		return api.forbidden('Only admins and organisers search ' ||
		    'participants.');
	end if;
	if p_cursor is not null then
		select d.at, d.id into c_at, c_id
		from api.cursor_decode(p_cursor) d;
		if c_at is null then
			return api.bad_cursor();
		end if;
	end if;
	pattern := '%' || replace(replace(replace(p_q, '\', '\\'), '%', '\%'),
	    '_', '\_') || '%';
	with page as (
		select p from participant p
		where (p_hmac is null or
		    p.national_id_hmac = decode(p_hmac, 'hex')) and
		    (pattern is null or
		    (p.first_name || ' ' || p.last_name) ilike pattern) and
		    (p_cursor is null or (p.created_at, p.id) > (c_at, c_id))
		order by p.created_at, p.id
		limit p_limit + 1
	), numbered as (
		select p, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.participant_json(p,
		api.pii_reader(actor)) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((p).created_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((p).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', case when n > p_limit then
		api.cursor_encode(last_at, last_id) end));
end;
$$;

-- /v1/participants (api/participants.c). National ids and phones are
-- kept sealed (the C layer seals and opens them); what leaves here is
-- masked, and who reads a person is decided here.

-- Masks from the digits the table keeps readable.
create function api.nid_mask(p_last3 text) returns text
language sql immutable as $$
	select 'x-xxxx-xxxxx-' || coalesce(substr(p_last3, 1, 2) || '-' ||
	    substr(p_last3, 3, 1), 'xx-x')
$$;

create function api.phone_mask(p_last4 text) returns text
language sql immutable as $$
	select 'xxx-xxx-' || p_last4
$$;

-- "นายสมชาย ใจดี": Thai writes the title against the first name. An
-- erased person (sql/api/privacy.sql) has none.
create function api.participant_name(p participant) returns text
language sql immutable as $$
	select coalesce(coalesce(p.title_th, '') || p.first_name || ' ' ||
	    p.last_name, api.erased_name())
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
		    'field.target_group_unknown');
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
	    pdpa_consent_version, created_by, email_enc, lang, line_enc)
	values (b->>'title_th', b->>'first_name', b->>'last_name',
	    decode(b->>'national_id_hmac', 'hex'),
	    decode(b->>'national_id_enc', 'hex'), b->>'national_id_last3',
	    decode(b->>'phone_enc', 'hex'), b->>'phone_last4',
	    b->>'province_code', b->>'district_code', b->>'subdistrict_code',
	    b->>'occupation', b->>'target_group',
	    coalesce((b->>'section40')::boolean, false),
	    (b->>'pdpa_consent_at')::timestamptz, b->>'pdpa_consent_version',
	    case when actor->>'kind' = 'user' then (actor->>'sub')::uuid end,
	    decode(b->>'email_enc', 'hex'), b->>'lang',
	    decode(b->>'line_enc', 'hex'))
	on conflict (national_id_hmac) do nothing
	returning * into p;
	return p;
end;
$$;

-- POST /v1/participants: records a new person, or finds the one with
-- this national id, and answers the same either way: 200 with the id
-- and what the caller sent, masked. Nothing of a stored record goes out
-- and nothing of it changes, so the answer says nothing about whether
-- the person was known (a 409 naming the participant would). Reading
-- the record needs a registration, as for anyone.
create function api.participant_create(actor jsonb, b jsonb)
returns api.result
language plpgsql as $$
declare
	err	api.result;
	p	participant;
	pid	uuid;
begin
	if coalesce(api.actor_role(actor) not in ('admin', 'organizer'),
	    true) then
		return api.forbidden('participants.admins_organisers_record_participants');
	end if;
	err := api.participant_check(b, '');
	if (err).status is not null then
		return err;
	end if;
	p := api.participant_insert(actor, b);
	pid := p.id;
	if pid is null then
		select id into pid from participant
		where national_id_hmac = decode(b->>'national_id_hmac', 'hex');
	end if;
	return api.ok(200, jsonb_build_object('id', pid,
	    'display_name', coalesce(b->>'title_th', '') ||
		(b->>'first_name') || ' ' || (b->>'last_name'),
	    'national_id_masked', api.nid_mask(b->>'national_id_last3'),
	    'phone_masked', api.phone_mask(b->>'phone_last4'),
	    'target_group', b->>'target_group'));
end;
$$;

-- Participant p_id as the caller reads it; err: 403 to roles that read
-- no participants, 404 when it is not there or not the caller's to read
-- (whom another agency registered is its business).
create function api.participant_find(actor jsonb, p_id uuid,
    out p participant, out err api.result)
language plpgsql stable as $$
begin
	if coalesce(api.actor_role(actor) not in ('admin', 'organizer'),
	    true) then
		err := api.forbidden('participants.your_role_read_participants');
		return;
	end if;
	select * into p from participant x
	where x.id = p_id and x.erased_at is null;
	if not found or not api.participant_readable(actor, p.id) then
		p := null;
		err := api.not_found('not_found.participant');
	end if;
end;
$$;

create function api.participant_get(actor jsonb, p_id uuid)
returns api.result
language plpgsql stable as $$
declare
	f	record;
	p	participant;
begin
	f := api.participant_find(actor, p_id);
	if (f.err).status is not null then
		return f.err;
	end if;
	p := f.p;
	return api.ok(200, api.participant_view(p, '{}'),
	    api.participant_etag(p));
end;
$$;

-- Search by a part of the name or, when C saw a whole national id in q,
-- by its keyed hash p_hmac (hex); an organiser sees only the people of
-- the events their agency (co-)organises.
create function api.participants_list(actor jsonb, p_q text,
    p_hmac text, p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
	pattern	text;
	everyone boolean := api.actor_role(actor) = 'admin';
	ag	uuid := api.actor_agency(actor);
begin
	if coalesce(api.actor_role(actor) not in ('admin', 'organizer'),
	    true) then
		return api.forbidden('participants.admins_organisers_search_participants');
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	pattern := api.like_pattern(p_q);
	with mine as (
		select distinct r.participant_id as id from registration r
		where not everyone and r.status <> 'cancelled' and
		    r.event_id in (select e.id from event e
			where e.agency_id = ag
			union all
			select c.event_id from event_co_organizer c
			where c.agency_id = ag)
	), page as (
		select p from participant p
		where (everyone or p.id in (select id from mine)) and
		    p.erased_at is null and
		    (p_hmac is null or
		    p.national_id_hmac = decode(p_hmac, 'hex')) and
		    (pattern is null or
		    (p.first_name || ' ' || p.last_name) ilike pattern) and
		    (p_cursor is null or (p.created_at, p.id) > (c_at, c_id))
		order by p.created_at, p.id
		limit p_limit + 1
	), numbered as (
		select p, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.participant_view(p, '{}') order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((p).created_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((p).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

-- Whether the caller reaches participant p_id: an admin, or an organiser
-- of an agency that organises (or, with p_co, co-organises) an event the
-- person is registered at.
create function api.participant_reached(actor jsonb, p_id uuid,
    p_co boolean) returns boolean
language plpgsql stable as $$
declare
	ag	uuid := api.actor_agency(actor);
begin
	if api.actor_role(actor) = 'admin' then
		return true;
	end if;
	if api.actor_role(actor) is distinct from 'organizer' or ag is null then
		return false;
	end if;
	return exists (select 1 from registration r
	    join event e on e.id = r.event_id
	    where r.participant_id = p_id and r.status <> 'cancelled' and
		(e.agency_id = ag or p_co and exists (select 1
		from event_co_organizer c
		where c.event_id = e.id and c.agency_id = ag)));
end;
$$;

-- The caller reads participant p_id (masked).
create function api.participant_readable(actor jsonb, p_id uuid)
returns boolean
language sql stable as $$
	select api.participant_reached(actor, p_id, true)
$$;

-- The caller may reveal participant p_id: an admin, or an organiser of
-- the agency that organises an event the person is registered at.
create function api.participant_revealable(actor jsonb, p_id uuid)
returns boolean
language sql stable as $$
	-- Restricted (PDPA s. 34): in clear for admins only (a legal claim).
	select api.participant_reached(actor, p_id, false) and
	    (api.actor_role(actor) = 'admin' or not exists (select 1
	    from participant p where p.id = p_id and
	    p.restricted_at is not null))
$$;

-- The participant as the API shows it: "national_id" and "phone" are
-- null, the masks shown, unless p_reveal names them ('national_id',
-- 'phone'); then the sealed value goes along as "_national_id_enc" or
-- "_phone_enc" (hex) and C opens it before anything leaves the server
-- (participants.c). Replaces api.participant_json, which showed phones
-- to every organiser.
create function api.participant_view(p participant, p_reveal text[])
returns jsonb
language plpgsql stable as $$
begin
	return jsonb_build_object('id', p.id, 'title_th', p.title_th,
	    'first_name', p.first_name, 'last_name', p.last_name,
	    'display_name', api.participant_name(p),
	    'national_id', null,
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
	    case when 'national_id' = any (p_reveal) then
		jsonb_build_object('_national_id_enc',
		encode(p.national_id_enc, 'hex'))
	    else '{}' end ||
	    case when 'phone' = any (p_reveal) and p.phone_enc is not null then
		jsonb_build_object('_phone_enc', encode(p.phone_enc, 'hex'))
	    else '{}' end;
end;
$$;

-- GET /v1/participants/{id}?reveal=...&purpose=...: p_fields (checked
-- in C) in clear, and the reveal audited in this same statement.
create function api.participant_reveal(actor jsonb, p_id uuid,
    p_fields text[], p_purpose text) returns api.result
language plpgsql as $$
declare
	f	record;
	p	participant;
begin
	f := api.participant_find(actor, p_id);
	if (f.err).status is not null then
		return f.err;
	end if;
	p := f.p;
	if not api.participant_revealable(actor, p.id) then
		return api.forbidden('participants.admins_organisers_agency_organises');
	end if;
	perform api.reveal_audit_write(actor, '/v1/participants/{id}', null,
	    p.id, p_fields, p_purpose, 1);
	return api.ok(200, api.participant_view(p, p_fields),
	    api.participant_etag(p));
end;
$$;

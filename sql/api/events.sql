-- /v1/events and /v1/target-groups (api/events.c): the event's JSON,
-- who reads and writes an event, and the quota trigger.

-- Quotas may not add up to more than the event holds.
create function api.event_quota_check() returns trigger
language plpgsql as $$
declare
	eid	uuid;
begin
	if tg_table_name = 'event_quota' then
		eid := new.event_id;
	else
		eid := new.id;
	end if;
	if (select coalesce(sum(q.seats), 0) from event_quota q
	    where q.event_id = eid) > (select capacity from event
	    where id = eid) then
		raise exception 'quotas exceed the capacity of event %', eid
		    using errcode = 'check_violation';
	end if;
	return null;
end;
$$;

create constraint trigger event_quota_sum after insert or update
    on event_quota deferrable initially deferred
    for each row execute function api.event_quota_check();

create constraint trigger event_capacity_sum after update of capacity
    on event deferrable initially deferred
    for each row execute function api.event_quota_check();

-- The public reads each worker keeps rendered (api/cache.c) hear of every
-- change to what an event's answer shows as it commits: its row (counts
-- included), quotas, co-organisers; an agency's new name changes them all.
create function api.event_public_notify() returns trigger
language plpgsql as $$
begin
	if tg_table_name = 'event' then
		perform pg_notify('ngan_public', coalesce(new.id, old.id)::text);
	elsif tg_table_name = 'agency' then
		perform pg_notify('ngan_public', '*');
	else
		perform pg_notify('ngan_public',
		    coalesce(new.event_id, old.event_id)::text);
	end if;
	return null;
end;
$$;

create trigger event_public_aiud after insert or update or delete
    on event for each row execute function api.event_public_notify();
create trigger event_quota_public_aiud after insert or update or delete
    on event_quota for each row execute function api.event_public_notify();
create trigger event_co_organizer_public_aiud after insert or update or
    delete on event_co_organizer for each row
    execute function api.event_public_notify();
create trigger agency_public_au after update of name on agency
    for each row execute function api.event_public_notify();

-- Staff of an event: admins, and organisers of its agency.
create function api.event_staff(actor jsonb, e event) returns boolean
language sql immutable as $$
	select coalesce(api.actor_role(actor) = 'admin' or
	    (api.actor_role(actor) = 'organizer' and
	    e.agency_id = api.actor_agency(actor)), false)
$$;

-- Drafts are for their agency and admins; everything else is public.
create function api.event_visible(actor jsonb, e event) returns boolean
language sql immutable as $$
	select e.status <> 'draft' or api.event_staff(actor, e)
$$;

-- An event as the API shows it. plpgsql: see api.place_names.
create function api.event_json(e event) returns jsonb
language plpgsql stable as $$
begin
	return jsonb_build_object(
	    'id', e.id, 'title', e.title, 'project_name', e.project_name,
	    'description', e.description, 'kind', e.kind,
	    'starts_at', api.ts(e.starts_at), 'ends_at', api.ts(e.ends_at),
	    'venue', jsonb_build_object('name', e.venue_name,
		'room', e.venue_room) || api.place_names(e.province_code,
		e.district_code, e.subdistrict_code),
	    'agency_id', e.agency_id,
	    'agency_name', (select name from agency where id = e.agency_id),
	    'co_organizer_ids', coalesce((select jsonb_agg(c.agency_id
		order by c.agency_id) from event_co_organizer c
		where c.event_id = e.id), '[]'),
	    'presiding_official', e.presiding_official,
	    'capacity', e.capacity,
	    'quotas', coalesce((select jsonb_agg(jsonb_build_object(
		'target_group', q.target_group, 'seats', q.seats)
		order by q.target_group) from event_quota q
		where q.event_id = e.id), '[]'),
	    'registration_opens_at', api.ts(e.registration_opens_at),
	    'registration_closes_at', api.ts(e.registration_closes_at),
	    'public_registration', api.event_public_json(e),
	    'status', e.status, 'fiscal_year_be', e.fiscal_year_be,
	    'min_sessions', e.min_sessions, 'min_minutes', e.min_minutes,
	    'counts', jsonb_build_object('confirmed', e.confirmed_count,
		'waitlisted', e.waitlisted_count),
	    'created_at', api.ts(e.created_at),
	    'updated_at', api.ts(e.updated_at));
end;
$$;

create function api.event_etag(e event) returns text
language sql immutable as $$ select '"' || e.version || '"' $$;

create function api.events_list(actor jsonb, f jsonb, p_limit int,
    p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
	v_from	timestamptz := (f->>'from')::date::timestamp
			    at time zone 'Asia/Bangkok';
	v_to	timestamptz := ((f->>'to')::date + 1)::timestamp
			    at time zone 'Asia/Bangkok';
	v_q	text := f->>'q';
begin
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	with page as (
		select e from event e
		where (e.status <> 'draft' or
		    api.actor_role(actor) = 'admin' or
		    (api.actor_role(actor) = 'organizer' and
		    e.agency_id = api.actor_agency(actor))) and
		    (f->>'province' is null or
		    e.province_code = f->>'province') and
		    (f->>'district' is null or
		    e.district_code = f->>'district') and
		    (f->>'status' is null or e.status = f->>'status') and
		    (f->>'kind' is null or e.kind = f->>'kind') and
		    (f->>'fiscal_year_be' is null or
		    e.fiscal_year_be = (f->>'fiscal_year_be')::int) and
		    (f->>'agency' is null or
		    e.agency_id = (f->>'agency')::uuid) and
		    (f->>'scanning' is null or exists (select from
		    event_scanner s where s.event_id = e.id and
		    s.user_id = (actor->>'sub')::uuid)) and
		    (v_from is null or e.starts_at >= v_from) and
		    (v_to is null or e.starts_at < v_to) and
		    (v_q is null or (e.title || ' ' || e.venue_name) like
		    api.like_pattern(v_q)) and
		    (p_cursor is null or (e.starts_at, e.id) > (c_at, c_id))
		order by e.starts_at, e.id
		limit p_limit + 1
	), numbered as (
		select e, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.event_json(e) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((e).starts_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((e).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

-- The event a route for its staff works on, locked for update when
-- p_lock. err: 404 when the caller cannot see the event, 403 p_forbidden
-- when it is not the event's staff.
create function api.event_for_staff(actor jsonb, p_id uuid, p_lock boolean,
    p_forbidden text, out e event, out err api.result)
language plpgsql as $$
begin
	if p_lock then
		select * into e from event where id = p_id for update;
	else
		select * into e from event where id = p_id;
	end if;
	if not found or not api.event_visible(actor, e) then
		err := api.not_found('not_found.event');
	elsif not api.event_staff(actor, e) then
		err := api.forbidden(p_forbidden);
	end if;
end;
$$;

create function api.event_get(actor jsonb, p_id uuid) returns api.result
language plpgsql stable as $$
declare
	e	event;
begin
	select * into e from event where id = p_id;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	return api.ok(200, api.event_json(e), api.event_etag(e));
end;
$$;

-- Validates what needs the data for a new or changed event (the merged
-- row n, the body b): places, agencies, quotas. Null when all is well.
create function api.event_check(actor jsonb, n event, b jsonb)
returns api.result
language plpgsql stable as $$
declare
	err	api.result;
	bad	text;
	total	bigint;
begin
	err := api.place_error('venue.', n.province_code, n.district_code,
	    n.subdistrict_code);
	if (err).status is not null then
		return err;
	end if;
	if not exists (select 1 from agency where id = n.agency_id) then
		return api.field_error('agency_id', 'not_found',
		    'field.agency_unknown');
	end if;
	if api.actor_role(actor) = 'organizer' and
	    n.agency_id is distinct from api.actor_agency(actor) then
		return api.forbidden('events.organisers_manage_events_their');
	end if;
	if n.ends_at <= n.starts_at then
		return api.field_error('ends_at', 'range',
		    'events.event_must_end_after');
	end if;
	if n.registration_opens_at is not null and
	    n.registration_closes_at is not null and
	    n.registration_closes_at <= n.registration_opens_at then
		return api.field_error('registration_closes_at', 'range',
		    'events.registration_must_close_after');
	end if;
	if b ? 'co_organizer_ids' then
		select x into bad from jsonb_array_elements_text(
		    b->'co_organizer_ids') x
		where not exists (select 1 from agency a where a.id = x::uuid)
		limit 1;
		if bad is not null then
			return api.field_error('co_organizer_ids', 'not_found',
			    'events.co_organizer_unknown',
			    jsonb_build_object('bad', bad));
		end if;
	end if;
	if b ? 'quotas' then
		select q->>'target_group' into bad
		from jsonb_array_elements(b->'quotas') q
		where not exists (select 1 from target_group t
		    where t.code = q->>'target_group') limit 1;
		if bad is not null then
			return api.field_error('quotas', 'not_found',
			    'field.target_group_named',
			    jsonb_build_object('bad', bad));
		end if;
		if (select count(distinct q->>'target_group') <>
		    jsonb_array_length(b->'quotas') from
		    jsonb_array_elements(b->'quotas') q) then
			return api.field_error('quotas', 'duplicate',
			    'events.each_target_group_one');
		end if;
		select coalesce(sum((q->>'seats')::int), 0) into total
		from jsonb_array_elements(b->'quotas') q;
	else
		select coalesce(sum(seats), 0) into total from event_quota
		where event_id = n.id;
	end if;
	if total > n.capacity then
		return api.field_error('quotas', 'range',
		    'events.quotas_over_capacity');
	end if;
	return api.event_public_check(b->'public_registration');
end;
$$;

-- Writes co-organisers and quotas from the body, replacing each list
-- that the body gives.
create function api.event_lists_write(p_id uuid, b jsonb) returns void
language plpgsql as $$
begin
	if b ? 'co_organizer_ids' then
		delete from event_co_organizer where event_id = p_id;
		insert into event_co_organizer (event_id, agency_id)
		select distinct p_id, x::uuid
		from jsonb_array_elements_text(b->'co_organizer_ids') x;
	end if;
	if b ? 'quotas' then
		delete from event_quota where event_id = p_id;
		insert into event_quota (event_id, target_group, seats)
		select p_id, q->>'target_group', (q->>'seats')::int
		from jsonb_array_elements(b->'quotas') q;
	end if;
	if b ? 'public_registration' then
		perform api.event_public_write(p_id, b->'public_registration');
	end if;
end;
$$;

-- The body's fields over row e (for create, e starts empty).
create function api.event_merge(e event, b jsonb) returns event
language plpgsql immutable as $$
begin
	if b ? 'title' then e.title := b->>'title'; end if;
	if b ? 'project_name' then e.project_name := b->>'project_name'; end if;
	if b ? 'description' then e.description := b->>'description'; end if;
	if b ? 'kind' then e.kind := b->>'kind'; end if;
	if b ? 'starts_at' then
		e.starts_at := (b->>'starts_at')::timestamptz;
	end if;
	if b ? 'ends_at' then e.ends_at := (b->>'ends_at')::timestamptz; end if;
	if b ? 'agency_id' then e.agency_id := (b->>'agency_id')::uuid; end if;
	if b ? 'presiding_official' then
		e.presiding_official := b->>'presiding_official';
	end if;
	if b ? 'capacity' then e.capacity := (b->>'capacity')::int; end if;
	if b ? 'registration_opens_at' then
		e.registration_opens_at :=
		    (b->>'registration_opens_at')::timestamptz;
	end if;
	if b ? 'registration_closes_at' then
		e.registration_closes_at :=
		    (b->>'registration_closes_at')::timestamptz;
	end if;
	if b ? 'min_sessions' then
		e.min_sessions := (b->>'min_sessions')::int;
	end if;
	if b ? 'min_minutes' then
		e.min_minutes := (b->>'min_minutes')::int;
	end if;
	if b ? 'venue' then
		e.venue_name := b->'venue'->>'name';
		e.venue_room := b->'venue'->>'room';
		e.province_code := b->'venue'->>'province_code';
		e.district_code := b->'venue'->>'district_code';
		e.subdistrict_code := b->'venue'->>'subdistrict_code';
	end if;
	return e;
end;
$$;

create function api.event_create(actor jsonb, b jsonb)
returns api.result
language plpgsql as $$
declare
	n	event;
	err	api.result;
begin
	n := api.event_merge(null::event, b);
	n.id := gen_random_uuid();
	if n.agency_id is null then
		if api.actor_role(actor) <> 'organizer' then
			return api.field_error('agency_id', 'required',
			    'events.say_which_agency_organises');
		end if;
		n.agency_id := api.actor_agency(actor);
	end if;
	err := api.event_check(actor, n, b);
	if (err).status is not null then
		return err;
	end if;
	insert into event (id, agency_id, title, project_name, description,
	    kind, starts_at, ends_at, venue_name, venue_room, province_code,
	    district_code, subdistrict_code, presiding_official, capacity,
	    registration_opens_at, registration_closes_at, min_sessions,
	    min_minutes)
	values (n.id, n.agency_id, n.title, n.project_name, n.description,
	    n.kind, n.starts_at, n.ends_at, n.venue_name, n.venue_room,
	    n.province_code, n.district_code, n.subdistrict_code,
	    n.presiding_official, n.capacity, n.registration_opens_at,
	    n.registration_closes_at, n.min_sessions, n.min_minutes)
	returning * into n;
	perform api.event_lists_write(n.id, b);
	return api.ok(201, api.event_json(n), api.event_etag(n),
	    '/v1/events/' || n.id);
end;
$$;

create function api.event_patch(actor jsonb, p_id uuid, p_version int,
    b jsonb) returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
	n	event;
	err	api.result;
	to_status text := b->>'status';
begin
	l := api.event_for_staff(actor, p_id, true,
	    'events.organising_agency_changes_event');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	if e.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'events.event_was_changed_since');
	end if;
	if e.status = 'cancelled' then
		return api.problem(409, 'conflict',
		    'events.cancelled_event_cannot_change');
	end if;
	if to_status is not null and to_status <> e.status and
	    not (e.status = 'draft' and to_status = 'published') and
	    not (e.status = 'published' and to_status = 'closed') then
		return api.problem(409, 'conflict',
		    'events.status_transition',
		    jsonb_build_object('status', e.status,
		    'to_status', to_status));
	end if;
	n := api.event_merge(e, b);
	err := api.event_check(actor, n, b);
	if (err).status is not null then
		return err;
	end if;
	update event set title = n.title, project_name = n.project_name,
	    description = n.description, kind = n.kind,
	    starts_at = n.starts_at, ends_at = n.ends_at,
	    agency_id = n.agency_id, venue_name = n.venue_name,
	    venue_room = n.venue_room, province_code = n.province_code,
	    district_code = n.district_code,
	    subdistrict_code = n.subdistrict_code,
	    presiding_official = n.presiding_official,
	    capacity = n.capacity,
	    registration_opens_at = n.registration_opens_at,
	    registration_closes_at = n.registration_closes_at,
	    min_sessions = n.min_sessions, min_minutes = n.min_minutes,
	    status = coalesce(to_status, e.status),
	    version = version + 1, updated_at = now()
	where id = p_id returning * into n;
	perform api.event_lists_write(n.id, b);
	-- Constraint triggers (quota sums, sessions inside the event) run
	-- now so that their failure is an answer, not a failed commit.
	set constraints all immediate;
	return api.ok(200, api.event_json(n), api.event_etag(n));
exception when check_violation then
	return api.field_error(case when sqlerrm like '%session%'
	    then 'starts_at' else 'quotas' end, 'range', case when sqlerrm
	    like '%session%' then 'events.session_outside'
	    else 'events.quotas_over_capacity' end);
end;
$$;

create function api.event_cancel(actor jsonb, p_id uuid) returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
begin
	l := api.event_for_staff(actor, p_id, true,
	    'events.organising_agency_cancels_event');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	if e.status = 'cancelled' then
		return api.problem(409, 'conflict',
		    'events.event_already_cancelled');
	end if;
	update event set status = 'cancelled', version = version + 1,
	    updated_at = now()
	where id = p_id returning * into e;
	return api.ok(200, api.event_json(e), api.event_etag(e));
end;
$$;

create function api.target_groups() returns api.result
language sql stable as $$
	select api.ok(200, jsonb_build_object('items',
	    coalesce(jsonb_agg(jsonb_build_object('code', code,
	    'name_th', name_th, 'name_en', name_en) order by code), '[]')))
	from target_group
$$;

-- Reads the registrations of event e (masked): its staff, and organisers
-- of a co-organising agency. Writing stays with the staff.
create function api.event_reader(actor jsonb, e event) returns boolean
language plpgsql stable as $$
begin
	return coalesce(api.event_staff(actor, e) or
	    (api.actor_role(actor) = 'organizer' and exists (select 1
	    from event_co_organizer c where c.event_id = e.id and
	    c.agency_id = api.actor_agency(actor))), false);
end;
$$;

-- Minimum attendance for a certificate (เกียรติบัตร): events take
-- min_sessions and min_minutes (columns added by 010_checkins.sql) on
-- create and PATCH, and show them. The four functions of 006 again, with
-- those two fields.

create or replace function api.event_json(e event) returns jsonb
language sql stable as $$
	select jsonb_build_object(
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
	    'status', e.status, 'fiscal_year_be', e.fiscal_year_be,
	    'min_sessions', e.min_sessions, 'min_minutes', e.min_minutes,
	    'counts', (select jsonb_build_object(
		'confirmed', count(*) filter (where r.status = 'confirmed'),
		'waitlisted', count(*) filter (where r.status = 'waitlisted'))
		from registration r where r.event_id = e.id),
	    'created_at', api.ts(e.created_at),
	    'updated_at', api.ts(e.updated_at))
$$;

create or replace function api.event_merge(e event, b jsonb) returns event
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

create or replace function api.event_create(actor jsonb, b jsonb)
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
			    'Say which agency organises the event.');
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

create or replace function api.event_patch(actor jsonb, p_id uuid, p_version int,
    b jsonb) returns api.result
language plpgsql as $$
declare
	e	event;
	n	event;
	err	api.result;
	to_status text := b->>'status';
begin
	select * into e from event where id = p_id for update;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not api.event_staff(actor, e) then
		return api.forbidden('Only the organising agency changes ' ||
		    'this event.');
	end if;
	if e.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'Precondition failed', 'The event was changed since you ' ||
		    'read it; fetch it again.');
	end if;
	if e.status = 'cancelled' then
		return api.problem(409, 'conflict', 'Conflict',
		    'A cancelled event cannot change.');
	end if;
	if to_status is not null and to_status <> e.status and
	    not (e.status = 'draft' and to_status = 'published') and
	    not (e.status = 'published' and to_status = 'closed') then
		return api.problem(409, 'conflict', 'Conflict',
		    'An event goes from draft to published to closed; ' ||
		    e.status || ' cannot become ' || to_status ||
		    ' (cancel with POST .../cancel).');
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
	    like '%session%' then 'A session would fall outside the ' ||
	    'event''s new times.' else 'The quotas add up to more than ' ||
	    'the capacity.' end);
end;
$$;

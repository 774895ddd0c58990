-- /v1/events/{id}/sessions (api/sessions.c), and the triggers that keep
-- sessions within their event's times and keep a session with check-ins.

-- A session happens within its event's times.
create function api.event_session_within() returns trigger
language plpgsql as $$
begin
	if tg_table_name = 'event_session' then
		if not exists (select 1 from event e where e.id = new.event_id
		    and new.starts_at >= e.starts_at and
		    new.ends_at <= e.ends_at) then
			raise exception 'session outside its event''s times'
			    using errcode = 'check_violation';
		end if;
	elsif exists (select 1 from event_session s where s.event_id = new.id
	    and (s.starts_at < new.starts_at or s.ends_at > new.ends_at)) then
		raise exception 'event times leave a session outside'
		    using errcode = 'check_violation';
	end if;
	return null;
end;
$$;

create constraint trigger event_session_within after insert or update
    on event_session deferrable initially deferred
    for each row execute function api.event_session_within();

create constraint trigger event_times_hold_sessions after update of
    starts_at, ends_at on event deferrable initially deferred
    for each row execute function api.event_session_within();

-- Stable (it uses api.ts), so that it is inlined into its callers' plans.
create function api.session_json(s event_session) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', s.id, 'event_id', s.event_id,
	    'title', s.title, 'kind', s.kind,
	    'starts_at', api.ts(s.starts_at), 'ends_at', api.ts(s.ends_at),
	    'room', s.room, 'speakers', s.speakers, 'capacity', s.capacity,
	    'created_at', api.ts(s.created_at),
	    'updated_at', api.ts(s.updated_at))
$$;

create function api.sessions_list(actor jsonb, p_event uuid)
returns api.result
language plpgsql stable as $$
declare
	e	event;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.session_json(s) order by s.starts_at, s.id)
	    from event_session s where s.event_id = p_event), '[]')));
end;
$$;

-- Session writes: p_sid null creates. Speakers keep name and affiliation.
create function api.session_write(actor jsonb, p_event uuid, p_sid uuid,
    p_version int, b jsonb) returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
	s	event_session;
begin
	l := api.event_for_staff(actor, p_event, true,
	    'sessions.organising_agency_plans_sessions');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	if e.status = 'cancelled' then
		return api.problem(409, 'conflict',
		    'events.cancelled_event_cannot_change');
	end if;
	if p_sid is not null then
		select * into s from event_session
		where id = p_sid and event_id = p_event for update;
		if not found then
			return api.not_found('not_found.session');
		end if;
		if s.version <> p_version then
			return api.problem(412, 'precondition-failed',
			    'sessions.session_was_changed_since');
		end if;
	end if;
	if b ? 'title' then s.title := b->>'title'; end if;
	if b ? 'kind' then s.kind := b->>'kind'; end if;
	if b ? 'starts_at' then
		s.starts_at := (b->>'starts_at')::timestamptz;
	end if;
	if b ? 'ends_at' then s.ends_at := (b->>'ends_at')::timestamptz; end if;
	if b ? 'room' then s.room := b->>'room'; end if;
	if b ? 'capacity' then s.capacity := (b->>'capacity')::int; end if;
	if b ? 'speakers' then
		s.speakers := coalesce((select jsonb_agg(jsonb_build_object(
		    'name', x->>'name', 'affiliation', x->>'affiliation'))
		    from jsonb_array_elements(b->'speakers') x), '[]');
	end if;
	if s.starts_at < e.starts_at or s.starts_at >= e.ends_at then
		return api.field_error('starts_at', 'range',
		    'sessions.session_starts_within_events');
	end if;
	if s.ends_at <= s.starts_at or s.ends_at > e.ends_at then
		return api.field_error('ends_at', 'range',
		    'sessions.session_ends_after_starts');
	end if;
	if p_sid is null then
		insert into event_session (event_id, title, kind, starts_at,
		    ends_at, room, speakers, capacity)
		values (p_event, s.title, s.kind, s.starts_at, s.ends_at,
		    s.room, coalesce(s.speakers, '[]'), s.capacity)
		returning * into s;
		return api.ok(201, api.session_json(s), '"' || s.version || '"',
		    '/v1/events/' || p_event || '/sessions/' || s.id);
	end if;
	update event_session set title = s.title, kind = s.kind,
	    starts_at = s.starts_at, ends_at = s.ends_at, room = s.room,
	    speakers = s.speakers, capacity = s.capacity,
	    version = version + 1, updated_at = now()
	where id = p_sid returning * into s;
	return api.ok(200, api.session_json(s), '"' || s.version || '"');
end;
$$;

create function api.session_delete(actor jsonb, p_event uuid, p_sid uuid)
returns api.result
language plpgsql as $$
declare
	l	record;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'sessions.organising_agency_plans_sessions');
	if (l.err).status is not null then
		return l.err;
	end if;
	delete from event_session where id = p_sid and event_id = p_event;
	if not found then
		return api.not_found('not_found.session');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- A session that has scans keeps them: deleting it is a conflict.
create function api.checkin_session_keep() returns trigger
language plpgsql as $$
begin
	if exists (select 1 from checkin where session_id = old.id) then
		raise exception 'session % has check-ins', old.id
		    using errcode = 'foreign_key_violation';
	end if;
	return old;
end;
$$;

create trigger event_session_checkins before delete on event_session
    for each row execute function api.checkin_session_keep();

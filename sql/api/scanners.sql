-- Scanner accounts assigned to events (api/scanners.c).

create function api.scanner_json(s event_scanner) returns jsonb
language sql stable as $$
	select jsonb_build_object('event_id', s.event_id, 'user_id', s.user_id,
	    'username', u.username, 'display_name', u.display_name,
	    'assigned_at', api.ts(s.assigned_at))
	from app_user u where u.id = s.user_id
$$;

create function api.scanners_list(actor jsonb, p_event uuid)
returns api.result
language plpgsql stable as $$
declare
	l	record;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'scanners.organising_agency_sees_scanners');
	if (l.err).status is not null then
		return l.err;
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.scanner_json(s) order by s.assigned_at, s.user_id)
	    from event_scanner s where s.event_id = p_event), '[]')));
end;
$$;

-- PUT /v1/events/{id}/scanners/{uid}: 201 when newly assigned, 200 when
-- it already was. Only an active scanner account of the organising or a
-- co-organising agency; one answer for every other account, so that an
-- organiser learns nothing about another agency's accounts.
create function api.scanner_assign(actor jsonb, p_event uuid,
    p_user uuid)
returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
	s	event_scanner;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'scanners.organising_agency_assigns_scanners');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	if not exists (select 1 from app_user u where u.id = p_user and
	    u.role = 'scanner' and u.active and (u.agency_id = e.agency_id or
	    exists (select 1 from event_co_organizer c where
	    c.event_id = e.id and c.agency_id = u.agency_id))) then
		return api.problem(422, 'validation',
		    'scanners.active_scanner_account_organising',
		    null,
		    jsonb_build_array(jsonb_build_object('field', 'user_id',
		    'code', 'not_found', 'message',
		    'scanners.no_scanner_account')));
	end if;
	select * into s from event_scanner
	where event_id = p_event and user_id = p_user;
	if found then
		return api.ok(200, api.scanner_json(s));
	end if;
	insert into event_scanner (event_id, user_id, assigned_by)
	values (p_event, p_user, nullif(actor->>'sub', '')::uuid)
	returning * into s;
	return api.ok(201, api.scanner_json(s));
end;
$$;

create function api.scanner_unassign(actor jsonb, p_event uuid, p_user uuid)
returns api.result
language plpgsql as $$
declare
	l	record;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'scanners.organising_agency_assigns_scanners');
	if (l.err).status is not null then
		return l.err;
	end if;
	delete from event_scanner where event_id = p_event and user_id = p_user;
	if not found then
		return api.not_found('not_found.scanner_assignment');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

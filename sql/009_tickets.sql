-- Tickets and scanner assignment. A ticket is a token signed by the
-- server naming the registration, its event and a version: raising the
-- version (reissue) or cancelling the registration revokes older tokens.

alter table registration add column ticket_version int not null default 1
    check (ticket_version >= 1);

create table event_scanner (
	event_id	uuid not null references event(id) on delete cascade,
	user_id		uuid not null references app_user(id),
	assigned_by	uuid references app_user(id),
	assigned_at	timestamptz not null default now(),
	primary key (event_id, user_id)
);
create index event_scanner_user_idx on event_scanner(user_id);

-- What a ticket needs: who may have it and what it names. p_link says the
-- caller holds the participant's link token for this registration.
create function api.ticket_info(actor jsonb, p_reg uuid, p_link boolean)
returns api.result
language plpgsql stable as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_reg;
	if not found then
		return api.not_found('registration');
	end if;
	select * into e from event where id = r.event_id;
	if not p_link and not api.event_staff(actor, e) then
		return api.not_found('registration');
	end if;
	if r.status <> 'confirmed' then
		return api.problem(409, 'conflict', 'Conflict',
		    'Only a confirmed registration has a ticket (this one is ' ||
		    r.status || ').');
	end if;
	return api.ok(200, jsonb_build_object('registration_id', r.id,
	    'event_id', r.event_id, 'version', r.ticket_version));
end;
$$;

create function api.ticket_reissue(actor jsonb, p_reg uuid)
returns api.result
language plpgsql as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_reg for update;
	if not found then
		return api.not_found('registration');
	end if;
	select * into e from event where id = r.event_id;
	if not api.event_staff(actor, e) then
		return api.not_found('registration');
	end if;
	if r.status <> 'confirmed' then
		return api.problem(409, 'conflict', 'Conflict',
		    'Only a confirmed registration has a ticket.');
	end if;
	update registration set ticket_version = ticket_version + 1,
	    updated_at = now()
	where id = p_reg returning * into r;
	return api.ok(200, jsonb_build_object('registration_id', r.id,
	    'event_id', r.event_id, 'version', r.ticket_version));
end;
$$;

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
	e	event;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not api.event_staff(actor, e) then
		return api.forbidden('Only the organising agency sees its ' ||
		    'scanners.');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.scanner_json(s) order by s.assigned_at, s.user_id)
	    from event_scanner s where s.event_id = p_event), '[]')));
end;
$$;

-- PUT: 201 when newly assigned, 200 when it already was.
create function api.scanner_assign(actor jsonb, p_event uuid, p_user uuid)
returns api.result
language plpgsql as $$
declare
	e	event;
	s	event_scanner;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not api.event_staff(actor, e) then
		return api.forbidden('Only the organising agency assigns ' ||
		    'scanners.');
	end if;
	if not exists (select 1 from app_user where id = p_user and
	    role = 'scanner' and active) then
		return api.problem(422, 'validation', 'Validation failed',
		    'Only an active scanner account can be assigned.',
		    jsonb_build_array(jsonb_build_object('field', 'user_id',
		    'code', 'not_found', 'message',
		    'No active scanner account has this id.')));
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
	e	event;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not api.event_staff(actor, e) then
		return api.forbidden('Only the organising agency assigns ' ||
		    'scanners.');
	end if;
	delete from event_scanner where event_id = p_event and user_id = p_user;
	if not found then
		return api.not_found('scanner assignment');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

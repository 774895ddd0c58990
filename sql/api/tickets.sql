-- Tickets and ticket links (api/tickets.c): what the C layer signs, and
-- when a link stops.
--
-- A participant's ticket link (the link_token staff hand out) names its
-- registration and the ticket version it was given for. It opens the
-- ticket while the registration is confirmed, its event not cancelled,
-- that version current, and until p_days days after the event ends (the
-- event as it is now: a postponed event keeps its links).

create function api.link_gone(p_slug text, p_detail text,
    p_args jsonb default null) returns api.result
language sql immutable as $$
	select api.problem(410, p_slug, p_detail, p_args)
$$;

create function api.link_expires_at(e event, p_days int) returns timestamptz
language sql immutable as $$
	select e.ends_at + make_interval(days => p_days)
$$;

-- What a ticket needs. p_link_ver null: a staff read (the caller must be
-- staff of the event); else the version a participant's link carries (0
-- for links from before versions: revoked). p_days:
-- NGAN_TICKET_LINK_DAYS. Staff get link_expires_at, the end of the link
-- C signs for them.
create function api.ticket_for(actor jsonb, p_reg uuid, p_link_ver int,
    p_days int) returns api.result
language plpgsql stable as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_reg;
	if found then
		select * into e from event where id = r.event_id;
	end if;
	if p_link_ver is not null then
		if r.id is null or r.status <> 'confirmed' or
		    e.status = 'cancelled' or r.ticket_version <> p_link_ver then
			return api.link_gone('link-revoked',
			    'tickets.link_revoked');
		end if;
		if now() > api.link_expires_at(e, p_days) then
			return api.link_gone('link-expired',
			    'tickets.link_expired',
			    jsonb_build_object('days', p_days));
		end if;
	elsif r.id is null or not api.event_staff(actor, e) then
		return api.not_found('not_found.registration');
	elsif r.status <> 'confirmed' then
		return api.problem(409, 'conflict',
		    'tickets.not_confirmed_status',
		    jsonb_build_object('status', r.status));
	end if;
	return api.ok(200, jsonb_build_object('registration_id', r.id,
	    'event_id', r.event_id, 'version', r.ticket_version,
	    'link_expires_at', api.ts(api.link_expires_at(e, p_days))));
end;
$$;

-- A reissue raises the version: the old ticket and the old link stop.
create function api.ticket_reissue(actor jsonb, p_reg uuid, p_days int)
returns api.result
language plpgsql as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_reg for update;
	if not found then
		return api.not_found('not_found.registration');
	end if;
	select * into e from event where id = r.event_id;
	if not api.event_staff(actor, e) then
		return api.not_found('not_found.registration');
	end if;
	if r.status <> 'confirmed' then
		return api.problem(409, 'conflict',
		    'tickets.confirmed_registration_ticket');
	end if;
	update registration set ticket_version = ticket_version + 1,
	    updated_at = now()
	where id = p_reg returning * into r;
	return api.ok(200, jsonb_build_object('registration_id', r.id,
	    'event_id', r.event_id, 'version', r.ticket_version,
	    'link_expires_at', api.ts(api.link_expires_at(e, p_days))));
end;
$$;

-- The event as a printed ticket and a badge sheet show it: who runs it,
-- its title, its local dates and times, its place.
create function api.ticket_print_event(e event) returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'agency', (select a.name from agency a where a.id = e.agency_id),
	    'event_title', e.title,
	    'date_from', to_char(e.starts_at at time zone 'Asia/Bangkok',
		'YYYY-MM-DD'),
	    'date_to', to_char(e.ends_at at time zone 'Asia/Bangkok',
		'YYYY-MM-DD'),
	    'time_from', to_char(e.starts_at at time zone 'Asia/Bangkok',
		'HH24:MI'),
	    'time_to', to_char(e.ends_at at time zone 'Asia/Bangkok',
		'HH24:MI'),
	    'venue', api.certificate_venue(e))
$$;

-- GET /v1/registrations/{id}/ticket.pdf: whoever may have the ticket
-- (api.ticket_for: staff of the event, or the participant's link) gets
-- it to print, with the person's name and group and the event. The file
-- is dated by the ticket's last change (its version).
create function api.ticket_print(actor jsonb, p_reg uuid, p_link_ver int,
    p_days int) returns api.result
language plpgsql stable as $$
declare
	res	api.result;
begin
	res := api.ticket_for(actor, p_reg, p_link_ver, p_days);
	if res.status <> 200 then
		return res;
	end if;
	select res.body || api.ticket_print_event(e) ||
	    jsonb_build_object('name', api.participant_name(p),
		'target_group', g.name_th, 'created', api.ts(r.updated_at))
	into res.body
	from registration r
	join event e on e.id = r.event_id
	join participant p on p.id = r.participant_id
	join target_group g on g.code = r.target_group
	where r.id = p_reg;
	return res;
end;
$$;

-- GET /v1/events/{id}/badges.pdf?page=: name badges for the people
-- confirmed at an event, for its staff, 80 to a document (BADGES_MAX in
-- api/pdf.h: ten sheets, so one request's cost does not grow with the
-- event) in Thai dictionary order of their names (the order a desk hands
-- them out): page p_page of as many as there are (one when none).
create function api.event_badges(actor jsonb, p_event uuid, p_page int)
returns api.result
language plpgsql stable as $$
declare
	p_size	constant int := 80;
	l	record;
	e	event;
	total	int;
	pages	int;
	badges	jsonb;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'tickets.badges_organising_agency');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	select count(*) into total from registration
	where event_id = e.id and status = 'confirmed';
	pages := greatest(1, (total + p_size - 1) / p_size);
	if p_page > pages then
		return api.problem(404, 'not-found', 'tickets.badges_pages',
		    jsonb_build_object('pages', pages));
	end if;
	select coalesce(jsonb_agg(jsonb_build_object(
	    'registration_id', b.id, 'event_id', e.id,
	    'version', b.ticket_version, 'name', b.name,
	    'target_group', b.group_name) order by b.n), '[]')
	into badges
	from (select r.id, r.ticket_version, api.participant_name(p) as name,
		g.name_th as group_name,
		row_number() over (order by p.first_name collate "th-x-icu",
		    p.last_name collate "th-x-icu", r.id) as n
	    from registration r
	    join participant p on p.id = r.participant_id
	    join target_group g on g.code = r.target_group
	    where r.event_id = e.id and r.status = 'confirmed'
	    order by n
	    offset (p_page - 1) * p_size limit p_size) b;
	return api.ok(200, api.ticket_print_event(e) || jsonb_build_object(
	    'badges', badges, 'page', p_page, 'pages', pages,
	    'total', total, 'created', api.ts(e.updated_at)));
end;
$$;

-- A ticket's short link (migration 039), recorded by ngan-outbox when a
-- text message carries it: p_hash the SHA-256 (hex) of its code. The
-- same message sent again records nothing new.
create function api.ticket_link_put(p_hash text, p_reg uuid, p_version int)
returns void
language sql as $$
	insert into ticket_link (code_hash, registration_id, ticket_version)
	values (decode(p_hash, 'hex'), p_reg, p_version)
	on conflict (code_hash) do nothing
$$;

-- GET /v1/t?c=: the registration and ticket version a short link names
-- (C then hands out a link token for them, which the ticket routes
-- check: a reissue, a cancellation, the link's days after the event).
create function api.ticket_link_open(p_hash text) returns api.result
language plpgsql stable as $$
declare
	l	ticket_link;
begin
	select * into l from ticket_link where code_hash = decode(p_hash, 'hex');
	if not found then
		return api.not_found('not_found.ticket_link');
	end if;
	return api.ok(200, jsonb_build_object('registration_id',
	    l.registration_id, 'ticket_version', l.ticket_version));
end;
$$;

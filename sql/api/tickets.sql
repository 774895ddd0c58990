-- Tickets and ticket links (api/tickets.c): what the C layer signs, and
-- when a link stops.
--
-- A participant's ticket link (the link_token staff hand out) names its
-- registration and the ticket version it was given for. It opens the
-- ticket while the registration is confirmed, its event not cancelled,
-- that version current, and until p_days days after the event ends (the
-- event as it is now: a postponed event keeps its links).

create function api.link_gone(p_slug text, p_detail text) returns api.result
language sql immutable as $$
	select api.problem(410, p_slug, case p_slug when 'link-expired'
	    then 'Link expired' else 'Link revoked' end, p_detail)
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
			return api.link_gone('link-revoked', 'This ticket ' ||
			    'link was replaced or cancelled; ask the organisers ' ||
			    'for a new one.');
		end if;
		if now() > api.link_expires_at(e, p_days) then
			return api.link_gone('link-expired', 'This ticket ' ||
			    'link expired ' || p_days || ' days after the ' ||
			    'event ended.');
		end if;
	elsif r.id is null or not api.event_staff(actor, e) then
		return api.not_found('registration');
	elsif r.status <> 'confirmed' then
		return api.problem(409, 'conflict', 'Conflict',
		    'Only a confirmed registration has a ticket (this one is ' ||
		    r.status || ').');
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
	    'event_id', r.event_id, 'version', r.ticket_version,
	    'link_expires_at', api.ts(api.link_expires_at(e, p_days))));
end;
$$;

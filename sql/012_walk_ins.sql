-- Walk-ins: POST /v1/events/{id}/registrations with "check_in": true
-- registers a person at the door and checks them in, in one call. Scanner
-- accounts assigned to the event may do it (and only this); the answer
-- carries the check-in as "checkin" ({status, ...scan result}). A walk-in
-- that gets no seat is waitlisted and not checked in.

-- b: {"participant_id"} or {"participant": sealed body}, "target_group",
-- and for a walk-in "check_in": true with "device_id" (C adds
-- "checkin_lang" and "checkin_margin", as POST /v1/checkins passes them).
create or replace function api.registration_create(actor jsonb, p_event uuid,
    b jsonb)
returns api.result
language plpgsql as $$
declare
	e	event;
	p	participant;
	r	registration;
	pb	jsonb := b->'participant';
	grp	text;
	seats	jsonb;
	err	api.result;
	added	boolean := false;
	walk_in	boolean := coalesce((b->>'check_in')::boolean, false);
begin
	select * into e from event where id = p_event for update;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not coalesce(api.event_staff(actor, e), false) and
	    not (walk_in and api.checkin_allowed(actor, e)) then
		return api.forbidden('Only the organising agency registers ' ||
		    'people for this event.');
	end if;

	-- Who: an existing participant, or one found by national id.
	if b->>'participant_id' is not null then
		select * into p from participant
		where id = (b->>'participant_id')::uuid;
		if not found then
			return api.field_error('participant_id', 'not_found',
			    'No participant has this id.');
		end if;
	else
		select * into p from participant
		where national_id_hmac = decode(pb->>'national_id_hmac', 'hex');
		if not found then
			err := api.participant_check(pb, 'participant.');
			if (err).status is not null then
				return err;
			end if;
		end if;
	end if;

	grp := coalesce(b->>'target_group', p.target_group,
	    pb->>'target_group');
	if grp is null then
		return api.field_error('target_group', 'required',
		    'The participant has no target group; name one.');
	end if;
	if not exists (select 1 from target_group where code = grp) then
		return api.field_error('target_group', 'not_found',
		    'No target group has this code.');
	end if;
	if p.pdpa_consent_at is null and pb->>'pdpa_consent_at' is null then
		return api.field_error('pdpa_consent_at', 'consent',
		    'The participant has not consented to the processing ' ||
		    'of their data (PDPA); record consent first.');
	end if;
	-- At the door the registration window is often closed: a walk-in
	-- only needs a published event (check-in then checks the times).
	if (walk_in and e.status <> 'published') or
	    (not walk_in and not api.event_open(e)) then
		return api.event_not_open(e);
	end if;
	if p.id is not null then
		select * into r from registration
		where event_id = e.id and participant_id = p.id;
		if found then
			err := api.problem(409, 'conflict', 'Conflict',
			    'This person is registered for the event already.');
			err.body := err.body || jsonb_build_object(
			    'registration_id', r.id);
			return err;
		end if;
	end if;

	-- Nothing was written so far; now the participant, then the seat.
	if p.id is null then
		p := api.participant_insert(actor, pb);
		if p.id is not null then
			added := true;
		else
			-- Another request added this person a moment ago.
			select * into p from participant where
			    national_id_hmac = decode(pb->>'national_id_hmac',
			    'hex');
		end if;
	end if;
	-- Consent given with this registration is the person's latest word.
	if not added and pb->>'pdpa_consent_at' is not null then
		update participant set
		    pdpa_consent_at = (pb->>'pdpa_consent_at')::timestamptz,
		    pdpa_consent_version = pb->>'pdpa_consent_version',
		    version = version + 1, updated_at = now()
		where id = p.id;
	end if;

	seats := api.seats(e.id);
	insert into registration (event_id, participant_id, target_group,
	    status, source)
	values (e.id, p.id, grp, case when api.seat_free(seats,
	    api.seat_pool(seats, grp)) then 'confirmed' else 'waitlisted' end,
	    case when walk_in then 'walk_in' else 'api' end)
	returning * into r;
	return api.ok(201, api.registration_json(r) || case when walk_in then
	    jsonb_build_object('checkin', api.checkin_walk_in(actor, r.id,
	    b->>'device_id', coalesce(b->>'checkin_lang', 'th'),
	    coalesce((b->>'checkin_margin')::int, 120))) else '{}' end,
	    api.registration_etag(r),
	    '/v1/registrations/' || r.id);
end;
$$;

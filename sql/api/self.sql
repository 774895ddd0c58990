-- The participants' own way in (api/self.c): consent texts, registering
-- oneself for an event open to the public, one-time codes, and "my
-- page" for a proven participant or the holder of a ticket link.
--
-- Nothing here tells someone who knows only a national id anything about
-- that person: registering and asking for a code answer the same whether
-- the person is known, registered already or has a phone on file; what
-- differs goes out only as a message to the phone on file, through the
-- outbox (sql/api/outbox.sql), in the same transaction.

-- The consent text in force: the latest published.
create function api.consent_current() returns consent_text
language sql stable as $$
	select * from consent_text where published_at <= now()
	order by published_at desc limit 1
$$;

create function api.consent_get() returns api.result
language plpgsql stable as $$
declare
	c	consent_text := api.consent_current();
begin
	if c.version is null then
		return api.not_found('not_found.consent_text');
	end if;
	return api.ok(200, jsonb_build_object('version', c.version,
	    'text_th', c.text_th, 'text_en', c.text_en,
	    'published_at', api.ts(c.published_at)));
end;
$$;

-- Counts one attempt in bucket; true when more than p_max were made in
-- the window (this one included): the caller answers 429. About one
-- call in a hundred prunes what is past every window (a day).
create function api.self_limited(p_bucket text, p_max int,
    p_window interval) returns boolean
language plpgsql as $$
declare
	n	int;
begin
	if random() < 0.01 then
		delete from self_attempt where at < now() - interval '1 day';
	end if;
	insert into self_attempt (bucket) values (p_bucket);
	select count(*) into n from self_attempt
	where bucket = p_bucket and at > now() - p_window;
	return n > p_max;
end;
$$;

create function api.self_too_many() returns api.result
language sql immutable as $$
	select api.problem(429, 'too-many-requests',
	    'self.too_many_attempts_from')
$$;

-- The neutral answer to a self-registration, whatever happened.
create function api.self_received() returns jsonb
language sql immutable as $$
	select jsonb_build_object('status', 'received', 'detail',
	    'self.received')
$$;

-- The public registration of event e as the API shows it, or null.
create function api.event_public_json(e event) returns jsonb
language sql stable as $$
	select jsonb_build_object('opens_at', api.ts(p.opens_at),
	    'closes_at', api.ts(p.closes_at),
	    'target_groups', coalesce((select jsonb_agg(g.target_group
		order by g.target_group) from event_public_group g
		where g.event_id = p.event_id), '[]'))
	from event_public_registration p where p.event_id = e.id
$$;

-- Published, open for registration, and inside its public window.
create function api.event_public_open(e event) returns boolean
language sql stable as $$
	select api.event_open(e) and exists (select 1
	    from event_public_registration p where p.event_id = e.id and
	    (p.opens_at is null or now() >= p.opens_at) and
	    (p.closes_at is null or now() < p.closes_at))
$$;

-- POST /v1/events/{id}/self-registrations. p_addr: the keyed hash of
-- the client address; b: the body, national id and phone sealed by C,
-- with "consent_version". A person already known keeps their record as
-- it is (a stranger who knows their national id must not change their
-- phone); they are registered if they were not, and told on their phone.
create function api.self_register(p_addr text, p_event uuid, b jsonb)
returns api.result
language plpgsql as $$
declare
	e	event;
	p	participant;
	r	registration;
	c	consent_text := api.consent_current();
	err	api.result;
	seats	jsonb;
	grp	text := b->>'target_group';
begin
	if api.self_limited('addr-reg:' || p_addr, 100,
	    interval '10 minutes') then
		return api.self_too_many();
	end if;
	select * into e from event where id = p_event for update;
	if not found or e.status = 'draft' then
		return api.not_found('not_found.event');
	end if;
	if not api.event_public_open(e) then
		return api.problem(409, 'event-not-open',
		    'self.event_does_take_registrations');
	end if;
	if c.version is null or b->>'consent_version' <> c.version then
		return api.problem(422, 'consent-outdated',
		    'self.consent_was_given_another',
		    null,
		    jsonb_build_array(jsonb_build_object('field',
		    'consent_version', 'code', 'outdated', 'message',
		    'self.consent_current_version', 'args',
		    jsonb_build_object('version', coalesce(c.version, '-')))));
	end if;
	if not exists (select 1 from event_public_group g
	    where g.event_id = e.id and g.target_group = grp) then
		return api.field_error('target_group', 'not_allowed',
		    'self.event_does_take_target');
	end if;
	err := api.participant_check(b, '');
	if (err).status is not null then
		return err;
	end if;
	if api.self_limited('reg:' || (b->>'national_id_hmac'), 5,
	    interval '1 hour') then
		return api.self_too_many();
	end if;

	-- Held (FOR SHARE) until this commits: an erasure (FOR UPDATE in
	-- api.privacy_erase) either waits for it and then finds this
	-- registration (409 registered-ahead), or goes first, and then this
	-- finds nobody (the national id is gone) and makes a new record
	-- from what was sent. Never a registration of an erased person.
	select * into p from participant
	where national_id_hmac = decode(b->>'national_id_hmac', 'hex')
	for share;
	if not found then
		p := api.participant_insert('{}',
		    (b - 'consent_version') || jsonb_build_object(
		    'pdpa_consent_at', now(), 'pdpa_consent_version',
		    c.version));
		if p.id is null then
			select * into p from participant where
			    national_id_hmac = decode(b->>'national_id_hmac',
			    'hex') for share;
		end if;
	end if;

	-- Restricted (PDPA s. 34): the record is not used, nothing is done
	-- and nobody is told; the answer is the same as ever.
	if p.restricted_at is not null then
		return api.ok(202, api.self_received());
	end if;
	select * into r from registration
	where event_id = e.id and participant_id = p.id;
	if found and r.status <> 'cancelled' then
		perform api.outbox_enqueue('registered_again', p.id, r.id,
		    'registered_again:' || gen_random_uuid(),
		    jsonb_build_object('event_title', e.title));
	else
		seats := api.seats(e.id);
		if r.id is null then
			insert into registration (event_id, participant_id,
			    target_group, status, source, consent_version,
			    consent_at)
			values (e.id, p.id, grp, case when api.seat_free(seats,
			    api.seat_pool(seats, grp)) then 'confirmed' else
			    'waitlisted' end, 'self', c.version, now())
			returning * into r;
		else
			-- Cancelled before: the same row, back in line.
			update registration set target_group = grp,
			    status = case when api.seat_free(seats,
				api.seat_pool(seats, grp)) then 'confirmed'
				else 'waitlisted' end,
			    cancelled_at = null, source = 'self',
			    consent_version = c.version, consent_at = now(),
			    seq = nextval('registration_seq'),
			    version = version + 1, updated_at = now()
			where id = r.id returning * into r;
		end if;
		perform api.outbox_enqueue('registered', p.id, r.id,
		    'registered:' || r.id || ':' || r.version,
		    jsonb_build_object('event_title', e.title, 'status',
		    r.status, 'registration_id', r.id));
	end if;
	return api.ok(202, api.self_received());
end;
$$;

-- POST /v1/participant-codes: a new code for the person with this
-- national id (p_nid_hmac, hex), if there is one with a phone; its keyed
-- hash p_code_hash, and the code sealed by C (p_code_enc, hex) for the
-- outbox to send. The answer is the same either way.
create function api.self_code(p_addr text, p_nid_hmac text,
    p_code_hash text, p_code_enc text) returns api.result
language plpgsql as $$
declare
	p	participant;
	k	uuid;
	answer	jsonb := jsonb_build_object('status', 'sent', 'detail',
	    'self.code_sent');
begin
	if api.self_limited('addr-code:' || p_addr, 100,
	    interval '10 minutes') or
	    api.self_limited('code:' || p_nid_hmac, 3, interval '10 minutes')
	then
		return api.self_too_many();
	end if;
	-- FOR SHARE, as in api.self_register: no code for an erased person.
	select * into p from participant
	where national_id_hmac = decode(p_nid_hmac, 'hex') for share;
	if not found or p.phone_enc is null then
		return api.ok(202, answer);
	end if;
	-- One code at a time: a new one ends the ones before.
	update participant_code set used_at = now()
	where participant_id = p.id and used_at is null;
	insert into participant_code (participant_id, code_hash, expires_at)
	values (p.id, decode(p_code_hash, 'hex'),
	    now() + interval '10 minutes')
	returning id into k;
	perform api.outbox_enqueue('code', p.id, null, 'code:' || k, '{}',
	    decode(p_code_enc, 'hex'));
	return api.ok(202, answer);
end;
$$;

-- POST /v1/participant-tokens: the code, checked against the person's
-- live code; 200 {participant_id} (C signs the token) or one answer for
-- every failure: unknown person, no code, wrong, expired, used, tried
-- 5 times. A wrong code counts a try; the fifth ends it.
create function api.self_token(p_addr text, p_nid_hmac text,
    p_code_hash text) returns api.result
language plpgsql as $$
declare
	pid	uuid;
	k	participant_code;
begin
	if api.self_limited('addr-try:' || p_addr, 100,
	    interval '10 minutes') or
	    api.self_limited('try:' || p_nid_hmac, 10, interval '10 minutes')
	then
		return api.self_too_many();
	end if;
	select id into pid from participant
	where national_id_hmac = decode(p_nid_hmac, 'hex');
	select * into k from participant_code
	where participant_id = pid and used_at is null and
	    expires_at > now() and tries < 5
	order by created_at desc limit 1
	for update;
	if k.id is not null and k.code_hash = decode(p_code_hash, 'hex') then
		update participant_code set used_at = now() where id = k.id;
		return api.ok(200, jsonb_build_object('participant_id', pid));
	end if;
	if k.id is not null then
		update participant_code set tries = tries + 1 where id = k.id;
	end if;
	return api.problem(400, 'code-invalid', 'self.code_wrong_expired_used');
end;
$$;

-- Who "my page" is about: the participant p_participant (from a
-- participant token), or the holder of registration p_link_reg's ticket
-- link for ticket version p_link_ver (as api.ticket_for decides it).
-- Returns the participant id, or null with err set.
create function api.self_owner(p_participant uuid, p_link_reg uuid,
    p_link_ver int, p_days int, out pid uuid, out err api.result)
language plpgsql stable as $$
declare
	res	api.result;
begin
	if p_participant is not null then
		select id into pid from participant
		where id = p_participant and erased_at is null;
		if pid is null then
			err := api.problem(401, 'unauthorized',
			    'self.participant_longer_known');
		end if;
		return;
	end if;
	res := api.ticket_for(null, p_link_reg, p_link_ver, p_days);
	if (res).status <> 200 then
		err := res;
		return;
	end if;
	select participant_id into pid from registration where id = p_link_reg;
end;
$$;

-- My attendance at registration r's event, as the event's report counts
-- it (api.attendance, read as the system).
create function api.self_attendance(r registration) returns jsonb
language plpgsql stable as $$
declare
	rep	api.result;
	row	jsonb;
begin
	rep := api.attendance('{"role": "admin", "kind": "system"}',
	    r.event_id, null);
	select x into row from jsonb_array_elements((rep).body->'people') x
	where x->>'registration_id' = r.id::text;
	return jsonb_build_object(
	    'checked_in', coalesce((row->>'checked_in')::boolean, false),
	    'first_in', row->'first_in', 'last_out', row->'last_out',
	    'sessions_attended', coalesce((row->>'sessions_attended')::int, 0),
	    'minutes_present', coalesce((row->>'minutes_present')::int, 0),
	    'qualifies_for_certificate', row->'qualifies_for_certificate');
end;
$$;

create function api.self_registration_json(r registration) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', r.id, 'status', r.status,
	    'target_group', r.target_group, 'source', r.source,
	    'waitlist_position', case when r.status = 'waitlisted' then
		api.waitlist_position(r) end,
	    'ticket_version', case when r.status = 'confirmed' then
		r.ticket_version end,
	    'consent_version', r.consent_version,
	    'consent_at', api.ts(r.consent_at),
	    'created_at', api.ts(r.created_at),
	    'cancelled_at', api.ts(r.cancelled_at),
	    'event', (select jsonb_build_object('id', e.id, 'title', e.title,
		'starts_at', api.ts(e.starts_at), 'ends_at', api.ts(e.ends_at),
		'status', e.status, 'venue', jsonb_build_object(
		    'name', e.venue_name, 'room', e.venue_room) ||
		    api.place_names(e.province_code, e.district_code,
		    e.subdistrict_code),
		'requirements', jsonb_build_object(
		    'min_sessions', e.min_sessions,
		    'min_minutes', e.min_minutes))
		from event e where e.id = r.event_id),
	    'attendance', api.self_attendance(r))
$$;

-- GET /v1/my/registrations: with a participant token all of theirs,
-- newest first; with a ticket link only the one it opens.
create function api.self_registrations(p_participant uuid,
    p_link_reg uuid, p_link_ver int, p_days int) returns api.result
language plpgsql stable as $$
declare
	o	record;
	p	participant;
begin
	select * into o from api.self_owner(p_participant, p_link_reg,
	    p_link_ver, p_days);
	if (o.err).status is not null then
		return o.err;
	end if;
	select * into p from participant where id = o.pid;
	return api.ok(200, jsonb_build_object(
	    'participant', jsonb_build_object('id', p.id,
		'display_name', api.participant_name(p),
		'national_id_masked', api.nid_mask(p.national_id_last3),
		'phone_masked', case when p.phone_last4 is not null then
		    api.phone_mask(p.phone_last4) end),
	    'items', coalesce((select jsonb_agg(
		api.self_registration_json(r) order by r.created_at desc, r.id)
		from registration r where r.participant_id = p.id and
		(p_link_reg is null or r.id = p_link_reg)), '[]')));
end;
$$;

-- POST /v1/my/registrations/{id}/cancel: one's own registration, as
-- staff would cancel it (the seat goes to the next in line, whom a
-- message tells).
create function api.self_cancel(p_participant uuid, p_link_reg uuid,
    p_link_ver int, p_days int, p_reg uuid) returns api.result
language plpgsql as $$
declare
	o	record;
	r	registration;
	e	event;
	res	api.result;
begin
	select * into o from api.self_owner(p_participant, p_link_reg,
	    p_link_ver, p_days);
	if (o.err).status is not null then
		return o.err;
	end if;
	select * into r from registration where id = p_reg;
	if r.id is null or r.participant_id <> o.pid or
	    (p_link_reg is not null and p_link_reg <> p_reg) then
		return api.not_found('not_found.registration');
	end if;
	select * into e from event where id = r.event_id for update;
	if e.ends_at <= now() then
		return api.problem(409, 'conflict',
		    'self.event_over_registrations_stay');
	end if;
	res := api.registration_withdraw(e, p_reg);
	if (res).status <> 200 then
		return res;
	end if;
	-- Whoever took the seat is none of this person's business; they
	-- are told on their own phone (api.registration_withdraw).
	select * into r from registration where id = p_reg;
	return api.ok(200, api.self_registration_json(r));
end;
$$;

-- An event's "public_registration" as PATCH or POST gives it (C checked
-- the shape): null, or the window and the target groups. Null when all
-- is well, else the field error.
create function api.event_public_check(b jsonb) returns api.result
language plpgsql stable as $$
declare
	bad	text;
begin
	if b is null or jsonb_typeof(b) = 'null' then
		return null;
	end if;
	if (b->>'opens_at')::timestamptz >= (b->>'closes_at')::timestamptz then
		return api.field_error('public_registration.closes_at',
		    'range', 'self.public_registration_must_close');
	end if;
	select x into bad from jsonb_array_elements_text(b->'target_groups') x
	where not exists (select 1 from target_group t where t.code = x)
	limit 1;
	if bad is not null then
		return api.field_error('public_registration.target_groups',
		    'not_found', 'field.target_group_named',
		    jsonb_build_object('bad', bad));
	end if;
	return null;
end;
$$;

-- Writes it: null closes the event to the public.
create function api.event_public_write(p_id uuid, b jsonb) returns void
language plpgsql as $$
begin
	delete from event_public_registration where event_id = p_id;
	if b is null or jsonb_typeof(b) = 'null' then
		return;
	end if;
	insert into event_public_registration (event_id, opens_at, closes_at)
	values (p_id, (b->>'opens_at')::timestamptz,
	    (b->>'closes_at')::timestamptz);
	insert into event_public_group (event_id, target_group)
	select distinct p_id, x
	from jsonb_array_elements_text(b->'target_groups') x;
end;
$$;

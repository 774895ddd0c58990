-- Check-in (api/checkins.c): one scan, an offline batch, annulment,
-- the scanner manifest and the attendance counts.

-- What POST /v1/checkins and the batch answer: status, body and whether
-- it is a scan result ('scan'), the first answer again ('replay') or a
-- problem+json body ('problem').
create type api.scan_answer as (
	status		int,
	body		jsonb,
	kind		text
);

-- Who may scan at an event: staff, and scanners assigned to it. A
-- subquery keeps a SQL function from being inlined at all: as plpgsql its
-- plan is made once per connection.
create function api.checkin_allowed(actor jsonb, e event)
returns boolean
language plpgsql stable as $$
begin
	return coalesce(api.event_staff(actor, e) or
	    (api.actor_role(actor) = 'scanner' and exists (select 1
	    from event_scanner s where s.event_id = e.id and
	    s.user_id = (actor->>'sub')::uuid)), false);
end;
$$;

-- The operator's line, Thai unless p_lang is 'en'. Stable (it uses
-- api.ts), so that it is inlined into its callers' plans.
create function api.checkin_message(p_result text, p_lang text,
    p_first timestamptz) returns text
language sql stable as $$
	select case when p_lang = 'en' then case p_result
	    when 'checked_in' then 'Checked in.'
	    when 'checked_out' then 'Checked out.'
	    when 'already_checked_in' then 'Already checked in at ' ||
		to_char(p_first at time zone 'Asia/Bangkok', 'HH24:MI') || '.'
	    when 'already_checked_out' then 'Already checked out at ' ||
		to_char(p_first at time zone 'Asia/Bangkok', 'HH24:MI') || '.'
	    when 'duplicate' then 'Duplicate: another scan at ' ||
		to_char(p_first at time zone 'Asia/Bangkok', 'HH24:MI') ||
		' counts.'
	    when 'not_checked_in' then 'Not checked in, so cannot check out.'
	    when 'unknown_ticket' then 'Unknown ticket.'
	    when 'invalid_token' then 'Not a valid ticket of this system.'
	    when 'wrong_event' then 'This ticket is for another event.'
	    when 'not_assigned' then
		'This account may not check people in at this event.'
	    when 'registration_cancelled' then 'The registration was cancelled.'
	    when 'ticket_revoked' then
		'This ticket was replaced by a newer one.'
	    when 'registration_waitlisted' then
		'The registration is on the waiting list.'
	    when 'event_not_open' then 'Check-in is not open for this event.'
	    when 'unknown_event' then 'No such event.'
	    when 'unknown_session' then 'No such session in this event.'
	    when 'nonce_reused' then
		'This nonce was used for another scan; make a new one.'
	    else p_result end
	else case p_result
	    when 'checked_in' then 'เช็คอินเรียบร้อย'
	    when 'checked_out' then 'บันทึกออกเรียบร้อย'
	    when 'already_checked_in' then 'เช็คอินแล้วเมื่อ ' ||
		to_char(p_first at time zone 'Asia/Bangkok', 'HH24:MI') || ' น.'
	    when 'already_checked_out' then 'บันทึกออกแล้วเมื่อ ' ||
		to_char(p_first at time zone 'Asia/Bangkok', 'HH24:MI') || ' น.'
	    when 'duplicate' then 'สแกนซ้ำ: นับการสแกนเมื่อ ' ||
		to_char(p_first at time zone 'Asia/Bangkok', 'HH24:MI') ||
		' น. แทน'
	    when 'not_checked_in' then 'ยังไม่ได้เช็คอิน จึงบันทึกออกไม่ได้'
	    when 'unknown_ticket' then 'ไม่พบบัตรนี้ในระบบ'
	    when 'invalid_token' then 'บัตรไม่ถูกต้อง ไม่ใช่บัตรของระบบนี้'
	    when 'wrong_event' then 'บัตรนี้เป็นของงานอื่น'
	    when 'not_assigned' then 'บัญชีนี้ไม่ได้รับมอบหมายให้เช็คอินงานนี้'
	    when 'registration_cancelled' then 'การลงทะเบียนนี้ถูกยกเลิกแล้ว'
	    when 'ticket_revoked' then 'บัตรนี้ถูกแทนที่ด้วยบัตรใหม่แล้ว'
	    when 'registration_waitlisted' then 'ผู้ลงทะเบียนยังอยู่ในรายชื่อสำรอง'
	    when 'event_not_open' then 'ไม่อยู่ในช่วงเวลาเช็คอินของงานนี้'
	    when 'unknown_event' then 'ไม่พบงานนี้'
	    when 'unknown_session' then 'ไม่พบช่วงการประชุมนี้ในงาน'
	    when 'nonce_reused' then 'รหัสการสแกน (nonce) ถูกใช้แล้ว'
	    else p_result end
	end
$$;

create function api.checkin_status(p_result text) returns int
language sql immutable as $$
	select case p_result
	    when 'checked_in' then 201
	    when 'checked_out' then 201
	    when 'unknown_ticket' then 404
	    when 'invalid_token' then 422
	    when 'unknown_event' then 422
	    when 'unknown_session' then 422
	    when 'wrong_event' then 403
	    when 'not_assigned' then 403
	    when 'registration_cancelled' then 410
	    when 'ticket_revoked' then 410
	    else 409 end
$$;

-- The answer body every outcome shares. (PL/pgSQL: a SQL function with a
-- row argument is planned again on every call from PL/pgSQL.)
create function api.checkin_body(p_result text, p_lang text, p_id uuid,
    p_reg uuid, p_person jsonb, p_scanned_at timestamptz, f checkin)
returns jsonb
language plpgsql immutable as $$
begin
	return jsonb_build_object('result', p_result,
	    'message', api.checkin_message(p_result, p_lang, f.scanned_at),
	    'checkin_id', p_id, 'registration_id', p_reg,
	    'participant', p_person, 'scanned_at', api.ts(p_scanned_at),
	    'first', case when f.id is not null then jsonb_build_object(
		'checkin_id', f.id, 'scanned_at', api.ts(f.scanned_at),
		'device_id', f.device_id) end);
end;
$$;

-- An answer that is not recorded (nothing was scanned into the log).
create function api.checkin_refusal(p_result text, p_lang text)
returns api.scan_answer
language plpgsql immutable as $$
begin
	return row(api.checkin_status(p_result), api.checkin_body(p_result,
	    p_lang, null, null, null, null, null), 'scan'::text);
end;
$$;

-- The same nonce again: the first answer (201 becomes 200: nothing new
-- was made), if it is the same scan; else the nonce was reused.
create function api.checkin_replay(old checkin, p_event uuid, p_hash bytea,
    p_lang text) returns api.scan_answer
language plpgsql immutable as $$
begin
	if old.event_id = p_event and
	    old.ticket_hash is not distinct from p_hash then
		return row(case when old.status = 201 then 200
		    else old.status end, old.answer, 'replay'::text);
	end if;
	return api.checkin_refusal('nonce_reused', p_lang);
end;
$$;

-- One scan s (see api.checkin) at event e, already found and allowed.
-- p_offline: uploaded in a batch, where the earliest scan of a ticket
-- wins and later ones are duplicates.
create function api.checkin_scan(actor jsonb, e event, s jsonb,
    p_lang text, p_margin int, p_offline boolean)
returns api.scan_answer
language plpgsql as $$
declare
	v_nonce		text := s->>'nonce';
	v_hash		bytea := decode(s->>'ticket_hash', 'hex');
	v_dir		text := coalesce(s->>'direction', 'in');
	v_session	uuid := (s->>'session_id')::uuid;
	v_at		timestamptz := coalesce((s->>'scanned_at')::timestamptz,
			    now());
	v_reg		uuid := (s->>'ticket_registration')::uuid;
	v_ver		int := (s->>'ticket_version')::int;
	v_device	text := s->>'device_id';
	v_id		uuid := gen_random_uuid();
	v_result	text;
	v_state		text := 'rejected';
	v_person	jsonb;
	v_body		jsonb;
	v_status	int;
	old		checkin;
	f		checkin;
	r		registration;
	tries		int := 0;
	zero		constant uuid := '00000000-0000-0000-0000-000000000000';
begin
	-- The same nonce again: the first answer, if it is the same scan.
	select * into old from checkin where nonce = v_nonce;
	if found then
		return api.checkin_replay(old, e.id, v_hash, p_lang);
	end if;

	if v_session is not null and not exists (select 1 from event_session
	    where id = v_session and event_id = e.id) then
		return api.checkin_refusal('unknown_session', p_lang);
	end if;

	if v_reg is null then
		v_result := 'invalid_token';
	elsif (s->>'ticket_event')::uuid <> e.id then
		v_result := 'wrong_event';
	else
		select * into r from registration
		where id = v_reg and event_id = e.id;
		if not found then
			v_result := 'unknown_ticket';
		else
			select jsonb_build_object('display_name',
			    api.participant_name(p), 'target_group',
			    r.target_group) into v_person
			from participant p where p.id = r.participant_id;
			if r.status = 'cancelled' then
				v_result := 'registration_cancelled';
			elsif v_ver < r.ticket_version then
				v_result := 'ticket_revoked';
			elsif v_ver > r.ticket_version then
				v_result := 'unknown_ticket';
				v_person := null;
			elsif r.status <> 'confirmed' then
				v_result := 'registration_waitlisted';
			elsif e.status not in ('published', 'closed') or
			    v_at < e.starts_at - make_interval(mins => p_margin) or
			    v_at > e.ends_at + make_interval(mins => p_margin)
			then
				v_result := 'event_not_open';
			end if;
		end if;
	end if;

	if v_result is null and v_dir = 'out' then
		-- Leaving needs an entry.
		select * into f from checkin c where c.registration_id = r.id and
		    coalesce(c.session_id, zero) = coalesce(v_session, zero) and
		    c.direction = 'in' and c.state = 'effective';
		if not found then
			v_result := 'not_checked_in';
		end if;
		f := null;
	end if;

	-- The effective one, unless another scan holds that place. Offline,
	-- the earliest scan wins: a later effective one makes way (it is
	-- kept, as a duplicate). A lost race is tried again offline, where
	-- the earlier scan must still win.
	while v_result is null loop
		tries := tries + 1;
		if p_offline then
			select * into f from checkin c
			where c.registration_id = r.id and
			    coalesce(c.session_id, zero) =
			    coalesce(v_session, zero) and
			    c.direction = v_dir and c.state = 'effective'
			for update;
			if found and v_at >= f.scanned_at then
				v_result := 'duplicate';
				exit;
			elsif found then
				update checkin set state = 'duplicate'
				where id = f.id;
			end if;
			f := null;
		end if;
		v_body := api.checkin_body(case v_dir when 'in' then
		    'checked_in' else 'checked_out' end, p_lang, v_id, r.id,
		    v_person, v_at, null);
		insert into checkin (id, event_id, registration_id, session_id,
		    direction, state, result, scanned_at, device_id, user_id,
		    nonce, ticket_hash, ticket_version, offline, status, answer)
		values (v_id, e.id, r.id, v_session, v_dir, 'effective',
		    v_body->>'result', v_at, v_device, (actor->>'sub')::uuid,
		    v_nonce, v_hash, v_ver, p_offline, 201, v_body)
		on conflict do nothing;
		if found then
			return row(201, v_body, 'scan'::text);
		end if;
		-- Lost a race: to a retry of this scan, or to another
		-- device scanning the same ticket.
		select * into old from checkin where nonce = v_nonce;
		if found then
			return api.checkin_replay(old, e.id, v_hash, p_lang);
		end if;
		if not p_offline or tries >= 3 then
			v_result := case when p_offline then 'duplicate'
			    when v_dir = 'in' then 'already_checked_in'
			    else 'already_checked_out' end;
		end if;
	end loop;

	if v_result in ('duplicate', 'already_checked_in',
	    'already_checked_out') and f.id is null then
		select * into f from checkin c where c.registration_id = r.id and
		    coalesce(c.session_id, zero) = coalesce(v_session, zero) and
		    c.direction = v_dir and c.state = 'effective';
	end if;
	if v_result = 'duplicate' then
		v_state := 'duplicate';
	end if;

	v_status := api.checkin_status(v_result);
	v_body := api.checkin_body(v_result, p_lang, null,
	    case when v_result not in ('invalid_token', 'wrong_event',
	    'unknown_ticket') then r.id end, v_person, v_at, f);
	insert into checkin (id, event_id, registration_id, session_id,
	    direction, state, result, scanned_at, device_id, user_id, nonce,
	    ticket_hash, ticket_version, offline, status, answer)
	values (v_id, e.id, case when v_result not in ('invalid_token',
	    'wrong_event', 'unknown_ticket') then r.id end, v_session, v_dir,
	    v_state, v_result, v_at, v_device, (actor->>'sub')::uuid, v_nonce,
	    v_hash, v_ver, p_offline, v_status, v_body)
	on conflict (nonce) do nothing;
	if not found then
		-- A retry of this scan got in first.
		select * into old from checkin where nonce = v_nonce;
		return api.checkin_replay(old, e.id, v_hash, p_lang);
	end if;
	return row(v_status, v_body, 'scan'::text);
end;
$$;

-- POST /v1/checkins. s: the body as C checked it, plus what the ticket
-- said: ticket_registration, ticket_event, ticket_version (absent when
-- its signature did not verify) and ticket_hash (hex of a hash of the
-- signed part, header.payload). p_margin: minutes around the event's
-- times when scanning is open.
create function api.checkin(actor jsonb, s jsonb, p_lang text, p_margin int)
returns api.scan_answer
language plpgsql as $$
declare
	e	event;
begin
	if (s->>'scanned_at')::timestamptz > now() + interval '5 minutes' then
		return row(422, (api.field_error('scanned_at', 'range',
		    'checkins.scan_cannot_more_than')).body, 'problem'::text);
	end if;
	select * into e from event where id = (s->>'event_id')::uuid;
	if not found or not (api.event_visible(actor, e) or
	    api.checkin_allowed(actor, e)) then
		return api.checkin_refusal('unknown_event', p_lang);
	end if;
	if not api.checkin_allowed(actor, e) then
		return api.checkin_refusal('not_assigned', p_lang);
	end if;
	return api.checkin_scan(actor, e, s, p_lang, p_margin, false);
end;
$$;

-- POST /v1/checkins/batch: scans in the order sent; answers in the same
-- order. Processed oldest scan first so that the earliest scan of a
-- ticket is its check-in. The tickets' registrations are locked first,
-- in one order, so that concurrent uploads take turns per ticket and
-- cannot deadlock.
create function api.checkin_batch(actor jsonb, scans jsonb, p_lang text,
    p_margin int) returns api.scan_answer
language plpgsql as $$
declare
	item	record;
	e	event;
	a	api.scan_answer;
	bad	int;
	results	jsonb[];
begin
	select min(i - 1) into bad from jsonb_array_elements(scans)
	    with ordinality x(s, i)
	where (s->>'scanned_at')::timestamptz > now() + interval '5 minutes';
	if bad is not null then
		return row(422, (api.field_error('scans.' || bad ||
		    '.scanned_at', 'range',
		    'checkins.scan_cannot_more_than')).body,
		    'problem'::text);
	end if;

	perform pg_advisory_xact_lock(k) from (select distinct
	    hashtextextended(s->>'ticket_registration', 4) as k
	    from jsonb_array_elements(scans) s
	    where s->>'ticket_registration' is not null order by 1) locks;

	for item in select x.s, x.i::int as i
	    from jsonb_array_elements(scans) with ordinality x(s, i)
	    order by coalesce((x.s->>'scanned_at')::timestamptz, now()), x.i
	loop
		if e.id is distinct from (item.s->>'event_id')::uuid then
			select * into e from event
			where id = (item.s->>'event_id')::uuid;
		end if;
		if e.id is null or not (api.event_visible(actor, e) or
		    api.checkin_allowed(actor, e)) then
			a := api.checkin_refusal('unknown_event', p_lang);
		elsif not api.checkin_allowed(actor, e) then
			a := api.checkin_refusal('not_assigned', p_lang);
		else
			a := api.checkin_scan(actor, e, item.s, p_lang,
			    p_margin, true);
		end if;
		results[item.i] := jsonb_build_object('index', item.i - 1,
		    'status', a.status, 'replay', a.kind = 'replay') || a.body;
	end loop;

	return row(200, jsonb_build_object('results', (select jsonb_agg(x
	    order by n) from unnest(results) with ordinality u(x, n))),
	    'scan'::text);
end;
$$;

-- A scan in the log.
create function api.checkin_json(c checkin) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', c.id, 'event_id', c.event_id,
	    'registration_id', c.registration_id,
	    'participant', c.answer->'participant',
	    'session_id', c.session_id, 'direction', c.direction,
	    'result', c.result, 'state', c.state,
	    'counts', c.state = 'effective', 'status', c.status,
	    'scanned_at', api.ts(c.scanned_at),
	    'received_at', api.ts(c.received_at),
	    'device_id', c.device_id, 'user_id', c.user_id,
	    'offline', c.offline, 'annulled_at', api.ts(c.annulled_at))
$$;

-- POST /v1/checkins/{id}/annul: a scan made by mistake is undone by the
-- device that made it within 15 minutes, by the scanner who made it or
-- staff of the event. Undoing an entry undoes the exit that paired it.
create function api.checkin_annul(actor jsonb, p_id uuid, p_device text)
returns api.result
language plpgsql as $$
declare
	c	checkin;
	e	event;
begin
	select * into c from checkin where id = p_id for update;
	if not found then
		return api.not_found('not_found.check_in');
	end if;
	select * into e from event where id = c.event_id;
	if not api.event_staff(actor, e) and
	    c.user_id is distinct from (actor->>'sub')::uuid then
		if api.checkin_allowed(actor, e) then
			return api.forbidden('checkins.scanner_who_made_scan');
		end if;
		return api.not_found('not_found.check_in');
	end if;
	if c.state <> 'effective' then
		return api.problem(409, 'conflict',
		    'checkins.scan_counts_undone_one',
		    jsonb_build_object('state', c.state));
	end if;
	if c.device_id is distinct from p_device then
		return api.problem(409, 'conflict',
		    'checkins.device_made_scan_undo');
	end if;
	if now() > c.received_at + interval '15 minutes' then
		return api.problem(409, 'conflict',
		    'checkins.scan_undone_within_15');
	end if;
	update checkin set state = 'annulled', annulled_at = now(),
	    annulled_by = (actor->>'sub')::uuid
	where id = p_id returning * into c;
	if c.direction = 'in' then
		update checkin x set state = 'annulled', annulled_at = now(),
		    annulled_by = (actor->>'sub')::uuid
		where x.registration_id = c.registration_id and
		    x.session_id is not distinct from c.session_id and
		    x.direction = 'out' and x.state = 'effective';
	end if;
	return api.ok(200, api.checkin_json(c));
end;
$$;

-- Who reads an event's check-ins: its staff, and with p_door (the
-- door's reads: the live count, the conflicts it took part in) the
-- scanners assigned to it too. Null when allowed, else the problem (404
-- to who cannot see the event, else 403).
create function api.checkin_read_error(actor jsonb, e event,
    p_door boolean) returns api.result
language sql stable as $$
	select case when e.id is null or not (api.event_visible(actor, e) or
	    api.checkin_allowed(actor, e)) then api.not_found('not_found.event')
	    when not p_door and not api.event_staff(actor, e) then
		api.forbidden('checkins.organising_agency_sees')
	    when p_door and not api.checkin_allowed(actor, e) then
		api.forbidden('checkins.door_staff_scanners')
	    end
$$;

-- GET /v1/events/{id}/checkins: the scan log, newest last; f: session_id,
-- device_id, result, each optional.
create function api.checkins_list(actor jsonb, p_event uuid, f jsonb,
    p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	e	event;
	err	api.result;
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
begin
	select * into e from event where id = p_event;
	err := api.checkin_read_error(actor, e, false);
	if (err).status is not null then
		return err;
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	with page as (
		select c from checkin c
		where c.event_id = p_event and
		    (f->>'session_id' is null or
		    c.session_id = (f->>'session_id')::uuid) and
		    (f->>'device_id' is null or
		    c.device_id = f->>'device_id') and
		    (f->>'result' is null or c.result = f->>'result') and
		    (p_cursor is null or (c.received_at, c.id) > (c_at, c_id))
		order by c.received_at, c.id
		limit p_limit + 1
	), numbered as (
		select c, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.checkin_json(c) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((c).received_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((c).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

-- GET /v1/events/{id}/checkins/conflicts: tickets scanned by more than
-- one device where the later scans were set aside as duplicates. One
-- group per (registration, session, direction), by its earliest scan.
create function api.checkin_conflicts(actor jsonb, p_event uuid,
    p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	e	event;
	err	api.result;
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
	zero	constant uuid := '00000000-0000-0000-0000-000000000000';
begin
	select * into e from event where id = p_event;
	err := api.checkin_read_error(actor, e, true);
	if (err).status is not null then
		return err;
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	-- A scanner sees the conflicts one of its own scans is in.
	with keys as (
		select distinct d.registration_id,
		    coalesce(d.session_id, zero) as sk, d.direction
		from checkin d
		where d.event_id = p_event and d.state = 'duplicate' and
		    (api.event_staff(actor, e) or exists (select from
		    checkin m where m.registration_id = d.registration_id and
		    m.user_id = (actor->>'sub')::uuid))
	), groups as (
		select k.*, g.scans, g.first_at, g.first_id
		from keys k, lateral (
			select jsonb_agg(api.checkin_json(c)
			    order by c.scanned_at, c.id) as scans,
			    min(c.scanned_at) as first_at,
			    (array_agg(c.id order by c.scanned_at, c.id))[1]
			    as first_id
			from (select * from checkin x
			    where x.registration_id = k.registration_id and
			    coalesce(x.session_id, zero) = k.sk and
			    x.direction = k.direction and
			    x.state = 'effective'
			    union all
			    select * from checkin x
			    where x.event_id = p_event and
			    x.registration_id = k.registration_id and
			    coalesce(x.session_id, zero) = k.sk and
			    x.direction = k.direction and
			    x.state = 'duplicate') c
		) g
	), page as (
		select * from groups
		where p_cursor is null or (first_at, first_id) > (c_at, c_id)
		order by first_at, first_id
		limit p_limit + 1
	), numbered as (
		select p.*, row_number() over (order by first_at, first_id)
		    as rn from page p
	)
	select coalesce(jsonb_agg(jsonb_build_object(
		'registration_id', x.registration_id,
		'session_id', nullif(x.sk, zero), 'direction', x.direction,
		'participant', (select jsonb_build_object('display_name',
		    api.participant_name(p), 'target_group', r.target_group)
		    from registration r join participant p
		    on p.id = r.participant_id where r.id = x.registration_id),
		'checkin', (select s from jsonb_array_elements(x.scans) s
		    where (s->>'counts')::boolean limit 1),
		'scans', x.scans) order by x.rn)
		filter (where x.rn <= p_limit), '[]'),
	    count(*),
	    (array_agg(x.first_at order by x.rn)
		filter (where x.rn = p_limit))[1],
	    (array_agg(x.first_id order by x.rn)
		filter (where x.rn = p_limit))[1]
	into items, n, last_at, last_id from numbered x;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

-- What the attendance report of an event is as of, and its tag. The tag
-- changes whenever the attendance may: scans and undos, registrations,
-- people's places, sessions, the event itself. The instant is fixed by
-- the same data, so one tag is always one body: while the event runs, the
-- start of the current minute (an entry with no exit counts until its
-- session ends, so the minutes move); once it is over, its end or the
-- last change after it.
create function api.attendance_version(e event, out tag text,
    out as_of timestamptz)
language plpgsql stable as $$
declare
	scans		text;
	regs		text;
	sessions	text;
	changed		timestamptz;
begin
	select count(*) || ':' || coalesce(max(c.received_at)::text, '') ||
	    ':' || coalesce(max(c.annulled_at)::text, ''),
	    greatest(max(c.received_at), max(c.annulled_at))
	into scans, changed
	from checkin c where c.event_id = e.id;
	select count(*) || ':' || coalesce(max(r.updated_at)::text, '') ||
	    ':' || coalesce(max(p.updated_at)::text, ''),
	    greatest(changed, max(r.updated_at), max(p.updated_at))
	into regs, changed
	from registration r join participant p on p.id = r.participant_id
	where r.event_id = e.id;
	select count(*) || ':' || coalesce(max(s.updated_at)::text, ''),
	    greatest(changed, max(s.updated_at))
	into sessions, changed
	from event_session s where s.event_id = e.id;
	if now() < e.ends_at then
		as_of := date_trunc('minute', now());
	else
		as_of := greatest(e.ends_at, e.updated_at, changed);
	end if;
	tag := '"' || md5(concat_ws(':', e.version, e.updated_at, scans, regs,
	    sessions, as_of)) || '"';
end;
$$;

-- GET /v1/events/{id}/attendance. p_if_none_match: the If-None-Match
-- header; when it names the current tag the answer is 304.
--
-- Minutes present: each entry (an effective "in") runs to its exit (the
-- effective "out" of the same session, or of the event), or when there
-- is none to the end of its session (or of the event), never past now;
-- each is clipped to its session's (or the event's) times, and overlaps
-- (an event entry and session entries) count once.
create function api.attendance(actor jsonb, p_event uuid,
    p_if_none_match text) returns api.result
language plpgsql stable as $$
declare
	e	event;
	err	api.result;
	tag	text;
	as_of	timestamptz;
	body	jsonb;
	zero	constant uuid := '00000000-0000-0000-0000-000000000000';
	door	boolean;
begin
	select * into e from event where id = p_event;
	err := api.checkin_read_error(actor, e, true);
	if (err).status is not null then
		return err;
	end if;
	select v.tag, v.as_of into tag, as_of from api.attendance_version(e) v;
	-- Scanners get the counts without the people: their own tag.
	door := not api.event_staff(actor, e);
	if door then
		tag := '"' || md5(tag || ':door') || '"';
	end if;
	if p_if_none_match is not null and (p_if_none_match = '*' or
	    tag = any (string_to_array(replace(replace(p_if_none_match, ' ',
	    ''), 'W/', ''), ','))) then
		return api.ok(304, 'null'::jsonb, tag);
	end if;

	with regs as (
		select r.id, r.status, r.target_group, r.created_at,
		    api.participant_name(p) as display_name,
		    p.province_code, p.district_code
		from registration r join participant p
		on p.id = r.participant_id
		where r.event_id = e.id
	), ins as (
		select c.registration_id, c.session_id, c.scanned_at
		from checkin c
		where c.event_id = e.id and c.state = 'effective' and
		    c.direction = 'in'
	), outs as (
		select c.registration_id, c.session_id, c.scanned_at
		from checkin c
		where c.event_id = e.id and c.state = 'effective' and
		    c.direction = 'out'
	), spans as (
		-- Each entry as an interval inside its scope.
		select i.registration_id,
		    greatest(i.scanned_at, coalesce(s.starts_at, e.starts_at))
			as t0,
		    least(coalesce(o.scanned_at, coalesce(s.ends_at,
			e.ends_at)), coalesce(s.ends_at, e.ends_at), as_of)
			as t1
		from ins i
		left join event_session s on s.id = i.session_id
		left join outs o on o.registration_id = i.registration_id and
		    coalesce(o.session_id, zero) = coalesce(i.session_id, zero)
	), valid as (
		select * from spans where t1 > t0
	), marked as (
		select v.*, case when t0 <= max(t1) over (partition by
		    registration_id order by t0, t1 rows between unbounded
		    preceding and 1 preceding) then 0 else 1 end as starts
		from valid v
	), islands as (
		select m.*, sum(starts) over (partition by registration_id
		    order by t0, t1) as island
		from marked m
	), minutes as (
		select registration_id,
		    sum(extract(epoch from (t1 - t0))) as seconds
		from (select registration_id, island, min(t0) as t0,
		    max(t1) as t1 from islands
		    group by registration_id, island) merged
		group by registration_id
	), came as (
		select i.registration_id, min(i.scanned_at) as first_in,
		    count(distinct i.session_id)::int as sessions
		from ins i group by i.registration_id
	), went as (
		select o.registration_id, max(o.scanned_at) as last_out
		from outs o group by o.registration_id
	), person as (
		select g.id, g.display_name, g.target_group, g.status,
		    g.created_at, g.province_code, g.district_code,
		    c.registration_id is not null as came, c.first_in,
		    w.last_out, coalesce(c.sessions, 0) as sessions,
		    coalesce(floor(m.seconds / 60), 0)::int as minutes
		from regs g
		left join came c on c.registration_id = g.id
		left join went w on w.registration_id = g.id
		left join minutes m on m.registration_id = g.id
	)
	select jsonb_build_object(
	    'event_id', e.id,
	    'generated_at', api.ts(as_of),
	    'registered', (select count(*) from regs
		where status <> 'cancelled'),
	    'confirmed', (select count(*) from regs
		where status = 'confirmed'),
	    'waitlisted', (select count(*) from regs
		where status = 'waitlisted'),
	    'cancelled', (select count(*) from regs
		where status = 'cancelled'),
	    'checked_in', (select count(distinct registration_id) from ins),
	    'requirements', jsonb_build_object('min_sessions', e.min_sessions,
		'min_minutes', e.min_minutes),
	    'by_target_group', coalesce((select jsonb_agg(jsonb_build_object(
		'target_group', t.code, 'name_th', t.name_th,
		'name_en', t.name_en, 'registered', x.registered,
		'confirmed', x.confirmed, 'waitlisted', x.waitlisted,
		'checked_in', x.checked_in) order by t.code)
		from (select g.target_group, count(*) as registered,
		    count(*) filter (where g.status = 'confirmed')
			as confirmed,
		    count(*) filter (where g.status = 'waitlisted')
			as waitlisted,
		    count(*) filter (where g.came) as checked_in
		    from person g where g.status <> 'cancelled'
		    group by g.target_group) x
		join target_group t on t.code = x.target_group), '[]'),
	    'by_session', coalesce((select jsonb_agg(jsonb_build_object(
		'session_id', s.id, 'title', s.title,
		'starts_at', api.ts(s.starts_at), 'ends_at', api.ts(s.ends_at),
		'checked_in', (select count(distinct i.registration_id)
		    from ins i where i.session_id = s.id),
		'checked_out', (select count(distinct o.registration_id)
		    from outs o where o.session_id = s.id))
		order by s.starts_at, s.id)
		from event_session s where s.event_id = e.id), '[]'),
	    'by_district', coalesce((select jsonb_agg(jsonb_build_object(
		'province_code', x.province_code,
		'province_name', (select name_th from province
		    where code = x.province_code),
		'district_code', x.district_code,
		'district_name', (select name_th from district
		    where code = x.district_code),
		'registered', x.registered, 'checked_in', x.checked_in)
		order by x.province_code nulls last, x.district_code nulls last)
		from (select g.province_code, g.district_code,
		    count(*) as registered,
		    count(*) filter (where g.came) as checked_in
		    from person g where g.status <> 'cancelled'
		    group by g.province_code, g.district_code) x),
		'[]'),
	    'people', coalesce((select jsonb_agg(jsonb_build_object(
		'registration_id', p.id, 'display_name', p.display_name,
		'target_group', p.target_group, 'status', p.status,
		'checked_in', p.first_in is not null,
		'first_in', api.ts(p.first_in), 'last_out', api.ts(p.last_out),
		'sessions_attended', p.sessions,
		'minutes_present', p.minutes,
		'qualifies_for_certificate', case when e.min_sessions is null
		    and e.min_minutes is null then null else
		    p.status = 'confirmed' and p.first_in is not null and
		    (e.min_sessions is null or p.sessions >= e.min_sessions) and
		    (e.min_minutes is null or p.minutes >= e.min_minutes) end)
		order by p.created_at, p.id) from person p
		where (p.status = 'confirmed' or p.came) and not door), '[]'))
	into body;
	return api.ok(200, body, tag);
end;
$$;

-- GET /v1/events/{id}/scanner-manifest: what a device needs to check
-- tickets offline. C turns each entry into its keyed index and sealed
-- name (see checkins.c); here: who may have it, and the tickets.
-- Every confirmed or cancelled registration gives its current ticket
-- (valid or cancelled) and each older version (revoked). With p_since,
-- only registrations changed since then (a delta), and "revocations"
-- lists what stopped being valid since.
create function api.scanner_manifest(actor jsonb, p_event uuid,
    p_since timestamptz) returns api.result
language plpgsql stable as $$
declare
	e	event;
	entries	jsonb;
begin
	select * into e from event where id = p_event;
	if not found or not (api.event_visible(actor, e) or
	    api.checkin_allowed(actor, e)) then
		return api.not_found('not_found.event');
	end if;
	if not api.checkin_allowed(actor, e) then
		return api.forbidden('checkins.staff_event_scanners_get');
	end if;
	select coalesce(jsonb_agg(jsonb_build_object(
	    'registration_id', r.id, 'version', v.ver,
	    'status', case when v.ver < r.ticket_version then 'revoked'
		when r.status = 'cancelled' then 'cancelled' else 'valid' end,
	    'display_name', api.participant_name(p),
	    'target_group', r.target_group,
	    'changed_at', api.ts(r.updated_at))
	    order by r.created_at, r.id, v.ver), '[]')
	into entries
	from registration r
	join participant p on p.id = r.participant_id
	cross join lateral generate_series(1, r.ticket_version) v(ver)
	where r.event_id = e.id and
	    (r.status = 'confirmed' or (r.status = 'cancelled' and
	    r.ticket_version > 0)) and
	    (p_since is null or r.updated_at >= p_since);
	return api.ok(200, jsonb_build_object('event_id', e.id,
	    'generated_at', api.ts(now()),
	    -- Changes committed while this ran may carry an earlier time.
	    'next_since', api.ts(now() - interval '1 minute'),
	    'since', api.ts(p_since), 'entries', entries));
end;
$$;

-- Walk-ins: POST /v1/events/{id}/registrations with "check_in": true
-- registers a person at the door and checks them in, in one call. The
-- registration function calls this with the row it made; the answer is
-- the check-in's, as POST /v1/checkins gives it.
create function api.checkin_walk_in(actor jsonb, p_reg uuid, p_device text,
    p_lang text default 'th', p_margin int default 120) returns jsonb
language plpgsql as $$
declare
	r	registration;
	e	event;
	a	api.scan_answer;
begin
	select * into r from registration where id = p_reg;
	select * into e from event where id = r.event_id;
	a := api.checkin_scan(actor, e, jsonb_build_object(
	    'nonce', 'walk-in:' || r.id, 'event_id', e.id,
	    'direction', 'in', 'device_id', p_device,
	    'ticket_registration', r.id, 'ticket_event', e.id,
	    'ticket_version', r.ticket_version), coalesce(p_lang, 'th'),
	    p_margin, false);
	return jsonb_build_object('status', a.status) || a.body;
end;
$$;

-- /v1/events/{id}/registrations, /v1/registrations, the CSV import and
-- export (api/registrations.c).
--
-- Seats. A target group with a quota fills its own seats; the groups
-- without one share a pool of what the quotas leave of the capacity.
-- Everyone past that is waitlisted. Every function that hands out or
-- frees a seat first locks the event row (select ... for update), so
-- registrations of one event take turns and the counts cannot race.

-- {"<pool>": {"seats": n, "used": n}}: one pool per quota, keyed by its
-- target group, and the shared pool keyed by '' (no group code is empty).
create function api.seats(p_event uuid) returns jsonb
language sql stable as $$
	with used as (
		select r.target_group, count(*) as n from registration r
		where r.event_id = p_event and r.status = 'confirmed'
		group by r.target_group
	), quota as (
		select q.target_group, q.seats from event_quota q
		where q.event_id = p_event
	)
	select jsonb_object_agg(pool, jsonb_build_object('seats', seats,
	    'used', used))
	from (
		select q.target_group as pool, q.seats,
		    coalesce(u.n, 0) as used
		from quota q left join used u using (target_group)
		union all
		select '', e.capacity - coalesce((select sum(seats)
		    from quota), 0),
		    coalesce((select sum(u.n) from used u where not exists
			(select 1 from quota q
			where q.target_group = u.target_group)), 0)
		from event e where e.id = p_event
	) pools
$$;

-- The pool a target group draws from.
create function api.seat_pool(p_seats jsonb, p_group text) returns text
language sql immutable as $$
	select case when p_seats ? p_group then p_group else '' end
$$;

create function api.seat_free(p_seats jsonb, p_pool text) returns boolean
language sql immutable as $$
	select (p_seats->p_pool->>'used')::int < (p_seats->p_pool->>'seats')::int
$$;

-- Place in the waitlist of its pool, 1 first.
create function api.waitlist_position(r registration)
returns int
language sql stable as $$
	with s as (select api.seats(r.event_id) as seats)
	select count(*)::int from registration w, s
	where w.event_id = r.event_id and w.status = 'waitlisted' and
	    w.seq <= r.seq and
	    api.seat_pool(s.seats, w.target_group) =
	    api.seat_pool(s.seats, r.target_group)
$$;

-- Keep event.confirmed_count and waitlisted_count (migration 033). Every
-- function that adds a registration or moves a seat holds the event's row
-- lock from before, so these updates never wait on one another.
--
-- Rows added: one update per event and statement. An import (one
-- statement a row) counts its event once at the end instead
-- (ngan.counts_deferred names it, api.registrations_import).
create function api.registration_counts_added() returns trigger
language plpgsql as $$
declare
	deferred	text := coalesce(current_setting('ngan.counts_deferred',
			    true), '');
begin
	update event e set
	    confirmed_count = e.confirmed_count + n.confirmed,
	    waitlisted_count = e.waitlisted_count + n.waitlisted
	from (select event_id,
		count(*) filter (where status = 'confirmed') as confirmed,
		count(*) filter (where status = 'waitlisted') as waitlisted
	    from added where event_id::text <> deferred
	    group by event_id) n
	where e.id = n.event_id and (n.confirmed > 0 or n.waitlisted > 0);
	return null;
end;
$$;

create trigger registration_counts_ai after insert on registration
    referencing new table as added for each statement
    execute function api.registration_counts_added();

-- A status that changed, or a row removed.
create function api.registration_counts_moved() returns trigger
language plpgsql as $$
begin
	if old.event_id::text = coalesce(current_setting(
	    'ngan.counts_deferred', true), '') then
		return null;
	end if;
	update event set
	    confirmed_count = confirmed_count -
		(old.status = 'confirmed')::int,
	    waitlisted_count = waitlisted_count -
		(old.status = 'waitlisted')::int
	where id = old.event_id and old.status <> 'cancelled';
	if tg_op = 'UPDATE' then
		update event set
		    confirmed_count = confirmed_count +
			(new.status = 'confirmed')::int,
		    waitlisted_count = waitlisted_count +
			(new.status = 'waitlisted')::int
		where id = new.event_id and new.status <> 'cancelled';
	end if;
	return null;
end;
$$;

create trigger registration_counts_au after update of status, event_id
    on registration for each row
    when (old.status is distinct from new.status or
	old.event_id is distinct from new.event_id)
    execute function api.registration_counts_moved();

create trigger registration_counts_ad after delete on registration
    for each row execute function api.registration_counts_moved();

create function api.registration_json(r registration) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', r.id, 'event_id', r.event_id,
	    'participant_id', r.participant_id,
	    'participant', (select jsonb_build_object(
		'display_name', api.participant_name(p),
		'national_id_masked', api.nid_mask(p.national_id_last3),
		'target_group', p.target_group)
		from participant p where p.id = r.participant_id),
	    'target_group', r.target_group, 'status', r.status,
	    'source', r.source,
	    'waitlist_position', case when r.status = 'waitlisted' then
		api.waitlist_position(r) end,
	    'created_at', api.ts(r.created_at),
	    'updated_at', api.ts(r.updated_at),
	    'cancelled_at', api.ts(r.cancelled_at))
$$;

create function api.registration_etag(r registration) returns text
language sql immutable as $$ select '"' || r.version || '"' $$;

-- Published, and now inside the registration window if it has one.
create function api.event_open(e event) returns boolean
language sql stable as $$
	select e.status = 'published' and
	    (e.registration_opens_at is null or
	    now() >= e.registration_opens_at) and
	    (e.registration_closes_at is null or
	    now() < e.registration_closes_at)
$$;

create function api.event_not_open(e event) returns api.result
language sql immutable as $$
	select api.problem(409, 'event-not-open',
	    case when e.status <> 'published' then
		'registrations.event_not_published'
	    else 'registrations.window_closed' end,
	    jsonb_build_object('status', e.status))
$$;

-- b: {"participant_id"} or {"participant": sealed body}, "target_group",
-- and for a walk-in "check_in": true with "device_id" (C adds
-- "checkin_lang" and "checkin_margin", as POST /v1/checkins passes them).
-- A refusal says nothing about a person the caller may not read: the
-- event must be open before anyone is looked up (else a closed event
-- would answer 422 for a new person and 409 for a known one); an inline
-- body is checked whole whether or not the person is known; and for a
-- person the caller may not read yet, the
-- group and the consent come from the request, not from what another
-- agency recorded (which the answer would otherwise show, and consent
-- given for another agency's event is not consent to this one's).
create function api.registration_create(actor jsonb, p_event uuid,
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
	stored	boolean;
begin
	select * into e from event where id = p_event for update;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	if not coalesce(api.event_staff(actor, e), false) and
	    not (walk_in and api.checkin_allowed(actor, e)) then
		return api.forbidden('registrations.organising_agency_registers_people');
	end if;
	-- At the door the registration window is often closed: a walk-in
	-- only needs a published event (check-in then checks the times).
	if (walk_in and e.status <> 'published') or
	    (not walk_in and not api.event_open(e)) then
		return api.event_not_open(e);
	end if;

	-- Who: an existing participant, or one found by national id.
	if b->>'participant_id' is not null then
		select * into p from participant
		where id = (b->>'participant_id')::uuid;
		if not found then
			return api.field_error('participant_id', 'not_found',
			    'registrations.participant_unknown');
		end if;
		stored := true;
	else
		err := api.participant_check(pb, 'participant.');
		if (err).status is not null then
			return err;
		end if;
		select * into p from participant
		where national_id_hmac = decode(pb->>'national_id_hmac', 'hex');
		-- Restricted (PDPA s. 34): kept, not used for a new
		-- registration until the person lifts it.
		if p.restricted_at is not null then
			return api.problem(409, 'participant-restricted',
			    'privacy.participant_restricted');
		end if;
		stored := p.id is not null and
		    api.participant_readable(actor, p.id);
	end if;

	grp := coalesce(b->>'target_group', case when stored then
	    p.target_group end, pb->>'target_group');
	if grp is null then
		return api.field_error('target_group', 'required',
		    'registrations.participant_target_group_name');
	end if;
	if not exists (select 1 from target_group where code = grp) then
		return api.field_error('target_group', 'not_found',
		    'field.target_group_unknown');
	end if;
	if (not stored or p.pdpa_consent_at is null) and
	    pb->>'pdpa_consent_at' is null then
		return api.field_error('pdpa_consent_at', 'consent',
		    'registrations.participant_consented_processing_their');
	end if;
	if p.id is not null then
		select * into r from registration
		where event_id = e.id and participant_id = p.id;
		if found then
			err := api.problem(409, 'conflict',
			    'registrations.person_registered_event_already');
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

-- Reads: the event's staff and organisers of a co-organising agency.
create function api.registration_get(actor jsonb, p_id uuid)
returns api.result
language plpgsql stable as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_id;
	if found then
		select * into e from event where id = r.event_id;
	end if;
	-- Whether a person registered is their business: others get 404.
	if r.id is null or not api.event_reader(actor, e) then
		return api.not_found('not_found.registration');
	end if;
	return api.ok(200, api.registration_json(r), api.registration_etag(r));
end;
$$;

-- Frees the seat of a confirmed registration and gives it to the oldest
-- waitlisted registration of the same pool.
create function api.registration_cancel(actor jsonb, p_id uuid)
returns api.result
language plpgsql as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_id;
	if not found then
		return api.not_found('not_found.registration');
	end if;
	-- The event first, as every seat change does, then the row again.
	select * into e from event where id = r.event_id for update;
	if not api.event_staff(actor, e) then
		return api.not_found('not_found.registration');
	end if;
	return api.registration_withdraw(e, p_id);
end;
$$;

-- Cancels registration p_id of event e (locked by the caller): staff's
-- cancellation and the participant's own (api.self_cancel). The one
-- promoted is told (the outbox).
create function api.registration_withdraw(e event, p_id uuid)
returns api.result
language plpgsql as $$
declare
	r	registration;
	w	registration;
	seats	jsonb;
	pool	text;
begin
	select * into r from registration where id = p_id for update;
	if r.status = 'cancelled' then
		return api.problem(409, 'conflict',
		    'registrations.registration_cancelled_already');
	end if;

	update registration set status = 'cancelled', cancelled_at = now(),
	    version = version + 1, updated_at = now()
	where id = p_id returning * into w;

	if r.status = 'confirmed' then
		seats := api.seats(e.id);
		pool := api.seat_pool(seats, r.target_group);
		r := w;
		w := null;
		if api.seat_free(seats, pool) then
			select * into w from registration x
			where x.event_id = e.id and x.status = 'waitlisted' and
			    api.seat_pool(seats, x.target_group) = pool
			order by x.seq
			limit 1
			for update;
			if found then
				update registration set status = 'confirmed',
				    version = version + 1, updated_at = now()
				where id = w.id returning * into w;
				perform api.outbox_enqueue('promoted',
				    w.participant_id, w.id, 'promoted:' ||
				    w.id || ':' || w.version,
				    jsonb_build_object('event_title', e.title));
			end if;
		end if;
	else
		r := w;
		w := null;
	end if;

	return api.ok(200, jsonb_build_object(
	    'registration', api.registration_json(r),
	    'promoted', case when w.id is not null then
		api.registration_json(w) end));
end;
$$;

-- f: {"status", "target_group", "q", "checked_in"}, each optional.
create function api.registrations_list(actor jsonb, p_event uuid,
    f jsonb, p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	e	event;
	c_at	timestamptz;
	c_id	uuid;
	c_seq	bigint;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
	pattern	text;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	if not api.event_reader(actor, e) then
		return api.forbidden('registrations.events_agencies_see_who');
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	if p_cursor is not null then
		select x.seq into c_seq from registration x
		where x.id = c_id and x.event_id = p_event;
		if c_seq is null then
			return api.bad_cursor();
		end if;
	end if;
	pattern := api.like_pattern(f->>'q');
	with page as (
		select r from registration r
		where r.event_id = p_event and
		    (f->>'status' is null or r.status = f->>'status') and
		    (f->>'target_group' is null or
		    r.target_group = f->>'target_group') and
		    -- Check-in arrives with issue 4: nobody has checked in.
		    (f->>'checked_in' is null or
		    not (f->>'checked_in')::boolean) and
		    (pattern is null or exists (select 1 from participant p
			where p.id = r.participant_id and
			(p.first_name || ' ' || p.last_name) ilike pattern)) and
		    (p_cursor is null or r.seq > c_seq)
		order by r.seq
		limit p_limit + 1
	), numbered as (
		select r, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.registration_json(r) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((r).created_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((r).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

-- A Thai place name without its prefix, tried beside the name as given
-- (จังหวัด, อำเภอ/เขต, ตำบล/แขวง and their abbreviations).
create function api.place_key(p_name text) returns text
language sql immutable as $$
	select regexp_replace(p_name,
	    '^(จังหวัด|จ\.|อำเภอ|อ\.|เขต|ตำบล|ต\.|แขวง)\s*', '')
$$;

-- One error of an import row, as a one-item array to append; a place
-- error names its suggestions.
create function api.import_error(p_column text, p_code text,
    p_message text, p_suggestions jsonb default null) returns jsonb
language sql immutable as $$
	select jsonb_build_array(jsonb_build_object('column', p_column,
	    'code', p_code, 'message', p_message) ||
	    case when p_suggestions is null then '{}'::jsonb else
	    jsonb_build_object('suggestions', p_suggestions) end)
$$;

-- The places of one level (province, district, subdistrict) inside
-- p_parent (a province code for districts, a district code for
-- subdistricts); with p_parent null, all of them. Inlined into its
-- callers, so the tables' indexes serve.
create function api.places_in(p_level text, p_parent text)
returns table (code bpchar, name_th text)
language sql stable as $$
	select code, name_th from province where p_level = 'province'
	union all
	select code, name_th from district where p_level = 'district' and
	    (p_parent is null or province_code = p_parent::bpchar)
	union all
	select code, name_th from subdistrict where p_level = 'subdistrict' and
	    (p_parent is null or district_code = p_parent::bpchar)
$$;

-- An import row's place of level p_level named v (a code or a Thai name)
-- inside p_parent: its code, or err, the import error p_message (code
-- mismatch when the place is elsewhere, else not_found) with
-- suggestions. The mismatch test is two exists() that the name and code
-- indexes serve.
create function api.import_place(p_level text, p_parent text, v text,
    p_message text, out code bpchar, out err jsonb)
language plpgsql stable as $$
declare
	k	text := api.place_key(v);
begin
	select x.code into code from api.places_in(p_level, p_parent) x
	where x.code = v::bpchar or x.name_th in (v, k) limit 1;
	if code is null then
		err := api.import_error(p_level, case when exists (select 1
		    from api.places_in(p_level, null) x
		    where x.code = v::bpchar) or exists (select 1
		    from api.places_in(p_level, null) x
		    where x.name_th in (v, k))
		    then 'mismatch' else 'not_found' end,
		    p_message, api.place_suggestions(p_level, p_parent, v));
	end if;
end;
$$;

-- Resolves an import row's places (province first, then the district
-- within it, then the subdistrict within that) and target group (code,
-- Thai or English name) to codes. Returns {"province_code",
-- "district_code", "subdistrict_code", "target_group", "errors": [...]};
-- place errors (not_found, mismatch) carry suggestions.
create function api.import_resolve(item jsonb) returns jsonb
language plpgsql stable as $$
declare
	-- Codes typed as the tables' columns, so that their indexes serve
	-- (a char column compared with text is cast and scanned).
	prov	char(2);
	dist	char(4);
	sub	char(6);
	grp	text;
	errs	jsonb := '[]';
	v	text;
	p	record;
begin
	v := item->>'province';
	if v is not null then
		p := api.import_place('province', null, v,
		    'registrations.province_name_code');
		prov := p.code;
		errs := errs || coalesce(p.err, '[]');
	end if;

	v := item->>'district';
	if v is not null and item->>'province' is null then
		errs := errs || api.import_error('province', 'required',
		    'registrations.district_needs_province');
	elsif v is not null and prov is not null then
		p := api.import_place('district', prov, v,
		    'registrations.district_name_code_province');
		dist := p.code;
		errs := errs || coalesce(p.err, '[]');
	end if;

	v := item->>'subdistrict';
	if v is not null and item->>'district' is null then
		errs := errs || api.import_error('district', 'required',
		    'registrations.subdistrict_needs_district');
	elsif v is not null and dist is not null then
		p := api.import_place('subdistrict', dist, v,
		    'registrations.subdistrict_name_code_district');
		sub := p.code;
		errs := errs || coalesce(p.err, '[]');
	end if;

	v := item->>'target_group';
	if v is not null then
		select code into grp from target_group
		where code = v or name_th = v or lower(name_en) = lower(v);
		if grp is null then
			errs := errs || api.import_error('target_group',
			    'not_found',
			    'registrations.target_group_code_name');
		end if;
	end if;

	return jsonb_build_object('province_code', prov, 'district_code', dist,
	    'subdistrict_code', sub, 'target_group', grp, 'errors', errs);
end;
$$;

-- Stores one checked and resolved import row: finds the person by
-- national id or adds them (consent: the office collected it on paper),
-- then registers them unless they are already. seats is the event's
-- seat state (api.seats()), advanced when this row takes a seat; if any
-- statement fails the caller's copy stays as it was. An empty group cell
-- takes the person's own group only when
-- the importing agency may read the person already. Otherwise a dry run
-- (which stores nothing) would tell, row by row, which national ids
-- another agency knows and with which group.
create function api.import_row(actor jsonb, p_event uuid,
    item jsonb, inout seats jsonb, out outcome text, out reg_id uuid,
    out errors jsonb)
language plpgsql as $$
declare
	p	participant;
	grp	text;
	pool	text;
begin
	errors := '[]';
	select * into p from participant
	where national_id_hmac = decode(item->>'national_id_hmac', 'hex');
	if p.restricted_at is not null then
		outcome := 'failed';
		errors := api.import_error('national_id', 'restricted',
		    'privacy.participant_restricted_row');
		return;
	end if;
	grp := coalesce(item->>'target_group', case when p.id is not null and
	    api.participant_readable(actor, p.id) then p.target_group end);
	if grp is null then
		outcome := 'failed';
		errors := api.import_error('target_group', 'required',
		    'registrations.person_target_group_fill');
		return;
	end if;

	if p.id is not null then
		select id into reg_id from registration
		where event_id = p_event and participant_id = p.id;
		if found then
			outcome := 'already_registered';
			return;
		end if;
	else
		p := api.participant_insert(actor, item ||
		    jsonb_build_object('pdpa_consent_at', now(),
		    'pdpa_consent_version', 'import'));
		if p.id is null then
			-- Another request added this person a moment ago.
			select * into p from participant where
			    national_id_hmac = decode(item->>'national_id_hmac',
			    'hex');
		end if;
	end if;
	if p.pdpa_consent_at is null then
		update participant set pdpa_consent_at = now(),
		    pdpa_consent_version = 'import', version = version + 1,
		    updated_at = now()
		where id = p.id;
	end if;

	pool := api.seat_pool(seats, grp);
	if api.seat_free(seats, pool) then
		outcome := 'created';
		seats := jsonb_set(seats, array[pool, 'used'],
		    to_jsonb((seats->pool->>'used')::int + 1));
	else
		outcome := 'waitlisted';
	end if;
	insert into registration (event_id, participant_id, target_group,
	    status, source)
	values (p_event, p.id, grp, case outcome when 'created' then
	    'confirmed' else 'waitlisted' end, 'import')
	returning id into reg_id;
end;
$$;

-- One call for a whole file. p_rows: [{"row", "errors" (found in C),
-- "title_th", "first_name", "last_name", the sealed national id and
-- phone, "province", "district", "subdistrict" (names or codes),
-- "target_group" (code or name), "occupation", "section40"}]. Each row
-- is stored in a subtransaction of its own, so a row that fails loses
-- only itself. A dry run does everything and then rolls it all back,
-- so its answer says exactly what the real run would do.
create function api.registrations_import(actor jsonb, p_event uuid,
    p_rows jsonb, p_dry_run boolean) returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
	item	jsonb;
	res	jsonb;
	errs	jsonb;
	seats	jsonb;
	outcome	text;
	reg_id	uuid;
	outs	jsonb[] := '{}';
	counts	jsonb := '{"created": 0, "already_registered": 0,
		    "waitlisted": 0, "failed": 0}';
begin
	l := api.event_for_staff(actor, p_event, true,
	    'registrations.organising_agency_registers_people');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	-- Paper forms may come in after the window closed, but not once
	-- the event stopped taking people.
	if e.status <> 'published' then
		return api.event_not_open(e);
	end if;

	begin
		-- The event's counts once at the end, not a row version of the
		-- event per registration (each in a subtransaction of its own:
		-- every next update would walk all the versions before it).
		perform set_config('ngan.counts_deferred', e.id::text, true);
		seats := api.seats(e.id);
		for item in select value from jsonb_array_elements(p_rows) loop
			res := api.import_resolve(item);
			errs := coalesce(item->'errors', '[]') || (res->'errors');
			outcome := 'failed';
			reg_id := null;
			if jsonb_array_length(errs) = 0 then
				begin
					select o.seats, o.outcome, o.reg_id,
					    o.errors
					into seats, outcome, reg_id, errs
					from api.import_row(actor, e.id,
					    item || (res - 'errors'), seats) o;
				exception when others then
					-- Not sqlerrm: it could quote the data.
					errs := api.import_error('', 'invalid',
					    'registrations.row_could_stored',
					    p_args => jsonb_build_object('sqlstate', sqlstate));
				end;
			end if;
			if jsonb_array_length(errs) > 0 then
				outcome := 'failed';
			end if;
			counts := jsonb_set(counts, array[outcome],
			    to_jsonb((counts->>outcome)::int + 1));
			outs := array_append(outs, jsonb_build_object(
			    'row', item->'row', 'outcome', outcome,
			    'registration_id', reg_id, 'errors', errs));
		end loop;
		perform set_config('ngan.counts_deferred', '', true);
		update event set
		    confirmed_count = (select count(*) from registration
			where event_id = e.id and status = 'confirmed'),
		    waitlisted_count = (select count(*) from registration
			where event_id = e.id and status = 'waitlisted')
		where id = e.id;
	if p_dry_run then
			raise sqlstate 'NGDRY';
		end if;
	exception when sqlstate 'NGDRY' then
		-- All of it is undone; outs and counts, variables, remain.
		null;
	end;

	return api.ok(200, jsonb_build_object('dry_run', p_dry_run,
	    'summary', jsonb_build_object('rows', cardinality(outs),
		'created', (counts->>'created')::int,
		'already_registered', (counts->>'already_registered')::int,
		'waitlisted', (counts->>'waitlisted')::int,
		'failed', (counts->>'failed')::int),
	    'rows', to_jsonb(outs)));
end;
$$;

-- Rows for registrations.csv, masked. p_reveal (checked in C: null, or
-- 'national_id' and/or 'phone') adds the sealed values for C to open;
-- only admins and organisers of the organising agency may ask, with a
-- purpose, and the reveal is audited here, with the number of rows.
create function api.registrations_export(actor jsonb, p_event uuid,
    p_reveal text[], p_purpose text) returns api.result
language plpgsql as $$
declare
	e	event;
	rows	jsonb;
	n	int;
	nid	boolean := coalesce('national_id' = any (p_reveal), false);
	phone	boolean := coalesce('phone' = any (p_reveal), false);
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	if not api.event_reader(actor, e) then
		return api.forbidden('registrations.events_agencies_export_who');
	end if;
	if (nid or phone) and not api.event_staff(actor, e) then
		return api.forbidden('registrations.admins_organisers_organising_agency');
	end if;
	-- A person who restricted processing (PDPA s. 34) is a row without
	-- personal data: kept, not used.
	select coalesce(jsonb_agg(jsonb_build_object(
	    'registration_id', r.id, 'status', r.status,
	    'target_group', r.target_group, 'registered_at',
	    api.ts(r.created_at)) || case when p.restricted_at is null then
	    jsonb_build_object('title', p.title_th,
	    'first_name', p.first_name, 'last_name', p.last_name,
	    'national_id_masked', api.nid_mask(p.national_id_last3),
	    'phone_masked', api.phone_mask(p.phone_last4),
	    'province', pv.name_th, 'district', d.name_th,
	    'subdistrict', s.name_th) ||
	    case when nid then jsonb_build_object('national_id_enc',
		encode(p.national_id_enc, 'hex')) else '{}' end ||
	    case when phone and p.phone_enc is not null then
		jsonb_build_object('phone_enc', encode(p.phone_enc, 'hex'))
	    else '{}' end else '{}' end
	    order by r.created_at, r.id), '[]'), count(*)
	into rows, n
	from registration r
	join participant p on p.id = r.participant_id
	left join province pv on pv.code = p.province_code
	left join district d on d.code = p.district_code
	left join subdistrict s on s.code = p.subdistrict_code and
	    s.district_code = p.district_code
	where r.event_id = p_event;
	if nid or phone then
		perform api.reveal_audit_write(actor,
		    '/v1/events/{id}/registrations.csv', e.id, null, p_reveal,
		    p_purpose, n);
	end if;
	return api.ok(200, jsonb_build_object('rows', rows));
end;
$$;

-- [{"code", "name"}] closest to p_name: level is province, district
-- (p_parent a province code) or subdistrict (p_parent a district code).
create function api.place_suggestions(p_level text, p_parent text,
    p_name text) returns jsonb
language plpgsql stable as $$
declare
	k	text := api.place_key(p_name);
	res	jsonb;
begin
	select coalesce(jsonb_agg(jsonb_build_object('code', x.code,
	    'name', x.name_th) order by x.s desc, x.code), '[]')
	into res
	from (select y.code, y.name_th, similarity(y.name_th, k) s
	    from api.places_in(p_level, p_parent) y
	    where similarity(y.name_th, k) >= 0.3
	    order by s desc, y.code limit 3) x;
	return res;
end;
$$;


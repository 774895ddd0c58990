-- A person's rights under the PDPA (api/privacy.c, issue 18 item 4):
-- access (s. 30, 31), rectification (s. 35, 36), erasure (s. 33),
-- withdrawal of consent (s. 19), by the person with a participant token
-- or by staff on their request; and retention (item 5), the daily job
-- that erases whoever has not registered for NGAN_RETENTION_YEARS, on
-- the same path. Every request and its outcome goes to privacy_request
-- for the data protection officer (GET /v1/privacy-requests), with ids,
-- field names and reason codes only.

-- What an erased person's name shows as, wherever a name is shown.
create function api.erased_name() returns text
language sql immutable as $$ select 'ลบข้อมูลแล้ว'::text $$;

create function api.privacy_log(p_pid uuid, p_kind text, p_actor jsonb,
    p_outcome text, p_reason text, p_fields text[]) returns void
language sql as $$
	insert into privacy_request (participant_id, kind, channel, actor_id,
	    outcome, reason, fields)
	values (p_pid, p_kind, case when p_kind = 'retention' then 'job'
	    when p_actor is null then 'self' else 'staff' end,
	    case when p_actor is not null then (p_actor->>'sub')::uuid end,
	    p_outcome, p_reason, p_fields)
$$;

-- The participant a participant token names, unless erased: else 401.
create function api.privacy_self(p_pid uuid, out p participant,
    out err api.result)
language plpgsql stable as $$
begin
	select * into p from participant where id = p_pid and erased_at is null;
	if p.id is null then
		err := api.problem(401, 'unauthorized',
		    'privacy.participant_unknown');
	end if;
end;
$$;

-- Staff acting on a person's request: admins, and organisers of an
-- agency that organises an event the person is registered at (who may
-- reveal them: the trust rules' organising agency). Others who read the
-- person get 403, the rest 404.
create function api.privacy_staff(actor jsonb, p_pid uuid,
    out p participant, out err api.result)
language plpgsql stable as $$
begin
	select * into p from participant where id = p_pid and erased_at is null;
	if p.id is null or not api.participant_readable(actor, p.id) then
		p := null;
		err := api.not_found('not_found.participant');
	elsif not api.participant_revealable(actor, p.id) then
		p := null;
		err := api.forbidden('privacy.staff_act_requests');
	end if;
end;
$$;

-- Everything held about person p as one document (s. 30, 31). The
-- sealed national id and phone go along as "_national_id_enc" and
-- "_phone_enc" in "participant", which C opens (api/privacy.c).
create function api.privacy_document(p participant) returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'generated_at', api.ts(now()),
	    'restricted_at', api.ts(p.restricted_at),
	    'participant', api.participant_view(p,
		'{national_id,phone}'),
	    'registrations', coalesce((select jsonb_agg(jsonb_build_object(
		'id', r.id, 'status', r.status,
		'target_group', r.target_group, 'source', r.source,
		'consent_version', r.consent_version,
		'consent_at', api.ts(r.consent_at),
		'created_at', api.ts(r.created_at),
		'cancelled_at', api.ts(r.cancelled_at),
		'event', jsonb_build_object('id', e.id, 'title', e.title,
		    'starts_at', api.ts(e.starts_at),
		    'ends_at', api.ts(e.ends_at)),
		'checkins', coalesce((select jsonb_agg(jsonb_build_object(
		    'direction', c.direction, 'session_id', c.session_id,
		    'scanned_at', api.ts(c.scanned_at))
		    order by c.scanned_at, c.id)
		    from checkin c where c.registration_id = r.id and
			c.state = 'effective'), '[]'))
		order by r.created_at, r.id)
		from registration r join event e on e.id = r.event_id
		where r.participant_id = p.id), '[]'),
	    'certificates', coalesce((select jsonb_agg(jsonb_build_object(
		'id', c.id, 'registration_id', c.registration_id,
		'short_code', c.short_code, 'name_printed', c.name_printed,
		'issued_at', api.ts(c.issued_at),
		'revoked_at', api.ts(c.revoked_at))
		order by c.issued_at, c.id)
		from certificate c join registration r
		on r.id = c.registration_id
		where r.participant_id = p.id), '[]'),
	    'privacy_requests', coalesce((select jsonb_agg(
		api.privacy_request_json(q) order by q.at, q.id)
		from privacy_request q where q.participant_id = p.id), '[]'))
$$;

create function api.privacy_request_json(q privacy_request) returns jsonb
language sql immutable as $$
	select jsonb_build_object('id', q.id, 'at', api.ts(q.at),
	    'participant_id', q.participant_id, 'kind', q.kind,
	    'channel', q.channel, 'actor_id', q.actor_id,
	    'outcome', q.outcome, 'reason', q.reason,
	    'fields', to_jsonb(q.fields))
$$;

-- GET /v1/my/personal-data
create function api.my_personal_data(p_pid uuid) returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_self(p_pid);
	if (o.err).status is not null then
		return o.err;
	end if;
	perform api.privacy_log((o.p).id, 'access', null, 'done', null, null);
	return api.ok(200, api.privacy_document(o.p));
end;
$$;

-- GET /v1/participants/{id}/personal-data: the copy staff hand over.
create function api.participant_personal_data(actor jsonb, p_id uuid)
returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_staff(actor, p_id);
	if (o.err).status is not null then
		return o.err;
	end if;
	perform api.privacy_log((o.p).id, 'access', actor, 'done', null, null);
	-- The copy holds the national id and phone in clear: a reveal, in
	-- the audit with the others (GET /v1/audit?kind=reveal).
	perform api.reveal_audit_write(actor,
	    '/v1/participants/{id}/personal-data', null, (o.p).id,
	    array['national_id', 'phone'], 'PDPA access request (s. 30)', 1);
	return api.ok(200, api.privacy_document(o.p));
end;
$$;

-- Rectification of p by body b (checked and sealed by C: "phone_enc",
-- "phone_last4", "national_id_hmac"... in place of the clear values).
-- Address fields come as a whole: any of them given replaces all three.
create function api.privacy_rectify(p participant, actor jsonb, b jsonb)
returns api.result
language plpgsql as $$
declare
	err	api.result;
	fields	text[];
	addr	boolean := b ?| array['province_code', 'district_code',
	    'subdistrict_code'];
begin
	if addr then
		err := api.place_error('', b->>'province_code',
		    b->>'district_code', b->>'subdistrict_code');
		if (err).status is not null then
			perform api.privacy_log(p.id, 'rectification', actor,
			    'refused', 'invalid-place', null);
			return err;
		end if;
	end if;
	if b ? 'national_id_hmac' and exists (select 1 from participant
	    where national_id_hmac = decode(b->>'national_id_hmac', 'hex') and
	    id <> p.id) then
		perform api.privacy_log(p.id, 'rectification', actor,
		    'refused', 'national-id-taken', array['national_id']);
		return api.problem(409, 'national-id-taken',
		    'privacy.national_id_taken');
	end if;
	select array_agg(f order by f) into fields from unnest(array[
	    'title_th', 'first_name', 'last_name', 'phone', 'national_id',
	    'province_code', 'district_code', 'subdistrict_code']) f
	where b ? f or (f = 'phone' and b ? 'phone_enc') or
	    (f = 'national_id' and b ? 'national_id_hmac') or
	    (addr and f in ('province_code', 'district_code',
	    'subdistrict_code'));
	update participant set
	    title_th = case when b ? 'title_th' then b->>'title_th'
		else title_th end,
	    first_name = coalesce(b->>'first_name', first_name),
	    last_name = coalesce(b->>'last_name', last_name),
	    phone_enc = coalesce(decode(b->>'phone_enc', 'hex'), phone_enc),
	    phone_last4 = coalesce(b->>'phone_last4', phone_last4),
	    national_id_hmac = coalesce(decode(b->>'national_id_hmac', 'hex'),
		national_id_hmac),
	    national_id_enc = coalesce(decode(b->>'national_id_enc', 'hex'),
		national_id_enc),
	    national_id_last3 = coalesce(b->>'national_id_last3',
		national_id_last3),
	    province_code = case when addr then b->>'province_code'
		else province_code end,
	    district_code = case when addr then b->>'district_code'
		else district_code end,
	    subdistrict_code = case when addr then b->>'subdistrict_code'
		else subdistrict_code end,
	    version = version + 1, updated_at = now()
	where id = p.id
	returning * into p;
	perform api.privacy_log(p.id, 'rectification', actor, 'done', null,
	    fields);
	return api.ok(200, api.participant_view(p, '{}'),
	    api.participant_etag(p));
end;
$$;

-- POST /v1/my/personal-data/rectification
create function api.my_rectify(p_pid uuid, b jsonb) returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_self(p_pid);
	if (o.err).status is not null then
		return o.err;
	end if;
	return api.privacy_rectify(o.p, null, b);
end;
$$;

-- POST /v1/participants/{id}/personal-data/rectification: the national
-- id too, and the account that changed it is recorded.
create function api.participant_rectify(actor jsonb, p_id uuid, b jsonb)
returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_staff(actor, p_id);
	if (o.err).status is not null then
		return o.err;
	end if;
	return api.privacy_rectify(o.p, actor, b);
end;
$$;

-- Person p_id has a registration (not cancelled) for an event of status
-- other than cancelled that has not ended by p_now.
create function api.privacy_registered_ahead(p_id uuid, p_now timestamptz)
returns boolean
language sql stable as $$
	select exists (select 1 from registration r
	    join event e on e.id = r.event_id
	    where r.participant_id = p_id and r.status <> 'cancelled' and
		e.status <> 'cancelled' and e.ends_at > p_now)
$$;

-- Removes person p's personal data for good (p_reason: erasure,
-- withdrawal, retention), wherever it was copied: the keyed hashes of
-- the national id in the self-service limits, live codes, the name in
-- check-in answers kept for retries and on certificates, the home
-- province in the partners' change feed. The row, its statistics' key,
-- section 40 and target group stay, and so do registrations and
-- check-ins: statistics count the same.
create function api.privacy_scrub(p participant, p_reason text)
returns void
language plpgsql as $$
declare
	h	text := encode(p.national_id_hmac, 'hex');
begin
	delete from self_attempt where bucket in ('reg:' || h, 'code:' || h,
	    'try:' || h);
	delete from participant_code where participant_id = p.id;
	update checkin c set answer = jsonb_set(c.answer,
	    '{participant,display_name}', to_jsonb(api.erased_name()))
	from registration r
	where r.participant_id = p.id and c.registration_id = r.id and
	    c.answer->'participant' ? 'display_name';
	update certificate c set name_printed = api.erased_name(),
	    name_masked = api.erased_name(),
	    content = c.content || jsonb_build_object('name',
		api.erased_name())
	from registration r
	where r.participant_id = p.id and c.registration_id = r.id;
	update registration_feed set data = jsonb_set(data,
	    '{participant_province_code}', 'null')
	where participant_id = p.id and data ? 'participant_province_code';
	-- Messages to them (the outbox's, issue 19) go nowhere now.
	delete from outbox where participant_id = p.id and
	    channel <> 'webhook';
	update participant set title_th = null, first_name = null,
	    last_name = null, national_id_hmac = null, national_id_enc = null,
	    national_id_last3 = null, phone_enc = null, phone_last4 = null,
	    email_enc = null, line_enc = null, lang = null,
	    province_code = null, district_code = null,
	    subdistrict_code = null, occupation = null,
	    pdpa_consent_at = null, pdpa_consent_version = null,
	    erased_at = now(), erased_reason = p_reason, restricted_at = null,
	    version = version + 1, updated_at = now()
	where id = p.id;
end;
$$;

-- Erasure or withdrawal of consent (p_kind) of person p, by actor (null:
-- the person). Refused while they are registered for an event not yet
-- ended: that registration rests on their own request (PDPA s. 24(3)),
-- and they cancel it first.
create function api.privacy_erase(p participant, actor jsonb, p_kind text)
returns api.result
language plpgsql as $$
begin
	-- Under the row's lock, as it is now: a self-registration in
	-- flight holds it FOR SHARE (api.self_register) and is seen once
	-- it commits; an erasure that went first is not done twice.
	select * into p from participant where id = p.id for update;
	if p.erased_at is not null then
		return api.ok(200, jsonb_build_object('participant_id', p.id,
		    'kind', p_kind, 'status', 'erased', 'erased_at',
		    api.ts(p.erased_at)));
	end if;
	if api.privacy_registered_ahead(p.id, now()) then
		perform api.privacy_log(p.id, p_kind, actor, 'refused',
		    'registered-ahead', null);
		return api.problem(409, 'registered-ahead',
		    'privacy.registered_ahead');
	end if;
	perform api.privacy_scrub(p, p_kind);
	perform api.privacy_log(p.id, p_kind, actor, 'done', null, null);
	return api.ok(200, jsonb_build_object('participant_id', p.id,
	    'kind', p_kind, 'status', 'erased', 'erased_at', api.ts(now())));
end;
$$;

-- POST /v1/my/personal-data/erasure, /v1/my/consent/withdrawal
create function api.my_erase(p_pid uuid, p_kind text) returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_self(p_pid);
	if (o.err).status is not null then
		return o.err;
	end if;
	return api.privacy_erase(o.p, null, p_kind);
end;
$$;

-- POST /v1/participants/{id}/personal-data/erasure, .../consent/withdrawal
create function api.participant_erase(actor jsonb, p_id uuid, p_kind text)
returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_staff(actor, p_id);
	if (o.err).status is not null then
		return o.err;
	end if;
	return api.privacy_erase(o.p, actor, p_kind);
end;
$$;

-- Restriction of processing (s. 34) of person p, set (p_on) or lifted,
-- by actor (null: the person). While set the record is kept but not
-- used: no messages but the codes the person asks for (api.outbox_enqueue;
-- what waits to be sent is dropped here), not registered by staff, an
-- import or themselves, no personal data in exports, in clear for admins
-- only, not erased by retention. Setting it twice, or lifting it when
-- not set, changes nothing and is recorded all the same.
create function api.privacy_restrict(p participant, actor jsonb,
    p_on boolean) returns api.result
language plpgsql as $$
begin
	select * into p from participant where id = p.id for update;
	update participant set restricted_at = case when p_on then
	    coalesce(restricted_at, now()) end,
	    version = version + case when (restricted_at is null) = p_on
		then 1 else 0 end,
	    updated_at = case when (restricted_at is null) = p_on then now()
		else updated_at end
	where id = p.id returning * into p;
	if p_on then
		with gone as (
			update outbox set status = 'dead', dead_at = now(),
			    secret_enc = null, last_error =
			    'not sent: the person restricted processing'
			where participant_id = p.id and status = 'pending' and
			    kind <> 'code' and channel <> 'webhook'
			returning channel)
		insert into outbox_count (channel, outcome, n)
		select g.channel, 'dead', count(*) from gone g
		group by g.channel
		on conflict on constraint outbox_count_pkey do update
		set n = outbox_count.n + excluded.n;
	end if;
	perform api.privacy_log(p.id, case when p_on then 'restriction'
	    else 'restriction-lifted' end, actor, 'done', null, null);
	return api.ok(200, jsonb_build_object('participant_id', p.id,
	    'restricted', p.restricted_at is not null,
	    'restricted_at', api.ts(p.restricted_at)));
end;
$$;

-- POST, DELETE /v1/my/personal-data/restriction
create function api.my_restrict(p_pid uuid, p_on boolean) returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_self(p_pid);
	if (o.err).status is not null then
		return o.err;
	end if;
	return api.privacy_restrict(o.p, null, p_on);
end;
$$;

-- POST /v1/participants/{id}/personal-data/restriction sets it (p_on),
-- DELETE lifts it. While it holds, only admins act here.
create function api.participant_restriction(actor jsonb, p_id uuid,
    p_on boolean) returns api.result
language plpgsql as $$
declare
	o	record;
begin
	select * into o from api.privacy_staff(actor, p_id);
	if (o.err).status is not null then
		return o.err;
	end if;
	return api.privacy_restrict(o.p, actor, p_on);
end;
$$;

create function api.participant_restrict(actor jsonb, p_id uuid)
returns api.result
language sql as $$
	select api.participant_restriction(actor, p_id, true)
$$;

create function api.participant_unrestrict(actor jsonb, p_id uuid)
returns api.result
language sql as $$
	select api.participant_restriction(actor, p_id, false)
$$;

-- GET /v1/privacy-requests: admins (the data protection officer),
-- oldest first; filters: a person, a kind.
create function api.privacy_requests(actor jsonb, p_limit int,
    p_cursor text, p_participant uuid, p_kind text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
begin
	if coalesce(api.actor_role(actor), '') <> 'admin' then
		return api.forbidden('privacy.admins_read_requests');
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	with page as (
		select q from privacy_request q
		where (p_participant is null or
		    q.participant_id = p_participant) and
		    (p_kind is null or q.kind = p_kind) and
		    (p_cursor is null or (q.at, q.id) > (c_at, c_id))
		order by q.at, q.id
		limit p_limit + 1
	), numbered as (
		select q, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.privacy_request_json(q) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((q).at order by rn) filter (where rn = p_limit))[1],
	    (array_agg((q).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

-- Retention (item 5): erases, on the erasure path, everyone whose last
-- sign of use (joining, their last registration, its event's end) is
-- more than p_years before p_now and who has no registration ahead. At
-- most 1,000 a call; returns how many. p_now is a parameter so that a
-- test can move the clock.
create function api.retention_run(p_now timestamptz, p_years int)
returns int
language plpgsql as $$
declare
	cutoff	timestamptz := p_now - make_interval(years => p_years);
	p	participant;
	n	int := 0;
begin
	for p in select * from participant q
	    where q.erased_at is null and q.created_at < cutoff and
		-- Restricted (s. 34): kept, e.g. for a legal claim.
		q.restricted_at is null and
		not exists (select 1 from registration r
		join event e on e.id = r.event_id
		where r.participant_id = q.id and (r.created_at >= cutoff or
		    e.ends_at >= cutoff))
	    order by q.created_at
	    limit 1000
	    for update skip locked
	loop
		perform api.privacy_scrub(p, 'retention');
		perform api.privacy_log(p.id, 'retention', null, 'done', null,
		    null);
		n := n + 1;
	end loop;
	return n;
end;
$$;

-- The daily job (api/privacy.c calls it every minute from each worker):
-- runs api.retention_run once a day across every worker and server, and
-- again at once while a run still found a full batch. Returns how many
-- it erased, or null when it was not time.
create function api.retention_tick(p_years int) returns int
language plpgsql as $$
declare
	last	retention_run;
	n	int;
begin
	if not pg_try_advisory_xact_lock(hashtext('ngan-retention')) then
		return null;
	end if;
	select * into last from retention_run;
	if last.ran_at is not null and last.ran_at > now() -
	    interval '1 day' and last.erased < 1000 then
		return null;
	end if;
	n := api.retention_run(now(), p_years);
	insert into retention_run (ran_at, erased) values (now(), n)
	on conflict (id) do update set ran_at = excluded.ran_at,
	    erased = excluded.erased;
	return n;
end;
$$;

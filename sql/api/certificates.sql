-- Certificates (api/certificates.c): who qualifies, what a certificate
-- prints (fixed when it is issued, so the PDF made again is the same
-- bytes), revocation, and the public verification with its rate limit.
-- C signs the token and draws the PDF.

-- Twelve characters of Crockford's base32 from 96 random bits, in groups
-- of four ("7K3M-Q9PX-2D4T"). Callers retry on the unique index.
create function api.certificate_code() returns text
language sql volatile as $$
	select string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ',
	    get_byte(b, i) % 32 + 1, 1) ||
	    case when i in (3, 7) then '-' else '' end, '' order by i)
	from (select sha256(uuid_send(gen_random_uuid()) ||
	    uuid_send(gen_random_uuid())) as b) x,
	    generate_series(0, 11) i
$$;

-- "นางสาวน้ำผึ้ง ใ.": title, first name, the last name's first letter (and
-- the consonant after a leading vowel: "ใจ.", as Thai abbreviates).
create function api.certificate_name_mask(p participant) returns text
language sql immutable as $$
	select coalesce(coalesce(p.title_th, '') || p.first_name || ' ' ||
	    left(p.last_name, case when left(p.last_name, 1) in ('เ', 'แ',
	    'โ', 'ใ', 'ไ') then 2 else 1 end) || '.', api.erased_name())
$$;

-- The venue as a Thai document writes it: place, room, then ตำบล, อำเภอ,
-- จังหวัด (แขวง, เขต and no จังหวัด in Bangkok).
create function api.certificate_venue(e event) returns text
language sql stable as $$
	select concat_ws(' ', e.venue_name, e.venue_room,
	    (select case when e.province_code = '10' then 'แขวง' else 'ตำบล'
		end || s.name_th from subdistrict s
		where s.code = e.subdistrict_code and
		s.district_code = e.district_code),
	    (select case when e.province_code = '10' then 'เขต' else 'อำเภอ'
		end || d.name_th from district d where d.code = e.district_code),
	    (select case when p.code = '10' then '' else 'จังหวัด' end ||
		p.name_th from province p where p.code = e.province_code))
$$;

-- Everything a certificate prints but its code, token and issue time
-- (the images by their SHA-256).
create function api.certificate_content(e event, p participant)
returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'agency', (select a.name from agency a where a.id = e.agency_id),
	    'name', api.participant_name(p),
	    'event_title', e.title,
	    'date_from', to_char(e.starts_at at time zone 'Asia/Bangkok',
		'YYYY-MM-DD'),
	    'date_to', to_char(e.ends_at at time zone 'Asia/Bangkok',
		'YYYY-MM-DD'),
	    'venue', api.certificate_venue(e),
	    'presiding_official', e.presiding_official,
	    'digits', 'thai',
	    'logo_sha256', (select encode(i.sha256, 'hex')
		from event_certificate_image i
		where i.event_id = e.id and i.kind = 'logo'),
	    'signature_sha256', (select encode(i.sha256, 'hex')
		from event_certificate_image i
		where i.event_id = e.id and i.kind = 'signature'))
$$;

create function api.certificate_json(c certificate) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', c.id,
	    'registration_id', c.registration_id, 'event_id', c.event_id,
	    'short_code', c.short_code, 'token', c.token,
	    'name_printed', c.name_printed,
	    'issued_at', api.ts(c.issued_at),
	    'revoked_at', api.ts(c.revoked_at),
	    'revoked_reason', c.revoked_reason,
	    'pdf_url', '/v1/registrations/' || c.registration_id ||
		'/certificate.pdf')
$$;

-- 409 for one who does not qualify, saying why (reason) and what the
-- event asks (requirements) against what they did (attended).
create function api.certificate_refusal(p_reason text, p_detail text,
    p_args jsonb, e event, p_person jsonb) returns api.result
language plpgsql stable as $$
declare
	res	api.result;
begin
	res := api.problem(409, 'not-qualified', p_detail, p_args);
	res.body := res.body || jsonb_build_object('reason', p_reason,
	    'requirements', jsonb_build_object('min_sessions', e.min_sessions,
		'min_minutes', e.min_minutes),
	    'attended', jsonb_build_object(
		'sessions', coalesce((p_person->>'sessions_attended')::int, 0),
		'minutes', coalesce((p_person->>'minutes_present')::int, 0)));
	return res;
end;
$$;

-- Why person (an entry of api.attendance's people, or null) of
-- registration r gets no certificate at event e; null when they qualify.
-- Qualifying is what GET /v1/events/{id}/attendance says
-- (qualifies_for_certificate: confirmed, checked in, min_sessions and
-- min_minutes met); an event with neither asks only a check-in.
create function api.certificate_refusal_for(r registration, e event,
    person jsonb) returns api.result
language plpgsql stable as $$
declare
	few_sessions	boolean;
	few_minutes	boolean;
begin
	if r.status <> 'confirmed' then
		return api.certificate_refusal('not_confirmed',
		    'certificates.refused_not_confirmed',
		    jsonb_build_object('status', r.status), e, null);
	end if;
	if person is null or not (person->>'checked_in')::boolean then
		return api.certificate_refusal('not_checked_in',
		    'certificates.refused_not_checked_in', null, e, person);
	end if;
	if (person->>'qualifies_for_certificate')::boolean is false then
		few_sessions := e.min_sessions is not null and
		    (person->>'sessions_attended')::int < e.min_sessions;
		few_minutes := e.min_minutes is not null and
		    (person->>'minutes_present')::int < e.min_minutes;
		return api.certificate_refusal(case when few_sessions
		    then 'too_few_sessions' else 'too_few_minutes' end,
		    case when few_sessions and few_minutes then
			'certificates.refused_sessions_minutes'
		    when few_sessions then 'certificates.refused_sessions'
		    else 'certificates.refused_minutes' end,
		    jsonb_build_object('sessions',
			person->'sessions_attended', 'min_sessions',
			e.min_sessions, 'minutes', person->'minutes_present',
			'min_minutes', e.min_minutes), e, person);
	end if;
	return null;
end;
$$;

-- The certificate of registration r (locked by the caller), who
-- qualifies: the one in force while what it prints is still true (200),
-- else a new one with p_id and p_token (201), the old one revoked as
-- 'reissued'.
create function api.certificate_make(actor jsonb, r registration, e event,
    p_id uuid, p_token text) returns api.result
language plpgsql as $$
declare
	p	participant;
	c	certificate;
	content	jsonb;
begin
	select * into p from participant where id = r.participant_id;
	content := api.certificate_content(e, p);
	select * into c from certificate
	where registration_id = r.id and revoked_at is null;
	if found then
		if c.content = content then
			return api.ok(200, api.certificate_json(c));
		end if;
		update certificate set revoked_at = now(),
		    revoked_reason = 'reissued'
		where id = c.id;
	end if;

	for i in 1..5 loop
		begin
			insert into certificate (id, registration_id, event_id,
			    short_code, token, issued_at, issued_by,
			    name_printed, name_masked, content)
			values (p_id, r.id, e.id, api.certificate_code(),
			    p_token, date_trunc('second', now()),
			    (actor->>'sub')::uuid, content->>'name',
			    api.certificate_name_mask(p), content)
			returning * into c;
			exit;
		exception when unique_violation then
			-- Another short code; a repeated id is a bug.
			if i = 5 then
				raise;
			end if;
		end;
	end loop;
	return api.ok(201, api.certificate_json(c), null,
	    '/v1/registrations/' || r.id || '/certificate.pdf');
end;
$$;

-- POST /v1/registrations/{id}/certificate. p_id and p_token: the id C
-- made and the token it signed for it, used when a certificate is made.
-- 409 with the reason for one who does not qualify.
create function api.certificate_issue(actor jsonb, p_reg uuid, p_id uuid,
    p_token text) returns api.result
language plpgsql as $$
declare
	r	registration;
	e	event;
	att	api.result;
	person	jsonb;
	err	api.result;
begin
	select * into r from registration where id = p_reg for update;
	if found then
		select * into e from event where id = r.event_id;
	end if;
	if r.id is null or not api.event_staff(actor, e) then
		return api.not_found('not_found.registration');
	end if;
	if r.status = 'confirmed' then
		att := api.attendance(actor, e.id, null);
		if att.status <> 200 then
			return att;
		end if;
		select x into person from jsonb_array_elements(
		    att.body->'people') x
		where x->>'registration_id' = p_reg::text;
	end if;
	err := api.certificate_refusal_for(r, e, person);
	if err.status is not null then
		return err;
	end if;
	return api.certificate_make(actor, r, e, p_id, p_token);
end;
$$;

-- POST /v1/events/{id}/certificates, first step: who qualifies at the
-- event, so C signs a token for each.
create function api.certificate_candidates(actor jsonb, p_event uuid)
returns api.result
language plpgsql stable as $$
declare
	l	record;
	e	event;
	att	api.result;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'certificates.organising_agency_admin_issues');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	att := api.attendance(actor, e.id, null);
	if att.status <> 200 then
		return att;
	end if;
	return api.ok(200, jsonb_build_object('registrations',
	    coalesce((select jsonb_agg(x->>'registration_id')
	    from jsonb_array_elements(att.body->'people') x
	    where x->>'status' = 'confirmed' and (x->>'checked_in')::boolean
	    and (x->>'qualifies_for_certificate')::boolean is not false),
	    '[]')));
end;
$$;

-- Second step: p_items [{registration_id, id, token}] from C. Each who
-- (still) qualifies gets their certificate as one POST .../certificate
-- would give it, in one transaction, with the attendance counted once.
create function api.certificates_issue_event(actor jsonb, p_event uuid,
    p_items jsonb) returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
	r	registration;
	att	api.result;
	people	jsonb;
	item	jsonb;
	res	api.result;
	done	jsonb := '[]';
	issued	int := 0;
	kept	int := 0;
	refused	int := 0;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'certificates.organising_agency_admin_issues');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	att := api.attendance(actor, e.id, null);
	if att.status <> 200 then
		return att;
	end if;
	select jsonb_object_agg(x->>'registration_id', x) into people
	from jsonb_array_elements(att.body->'people') x;

	for item in select * from jsonb_array_elements(p_items) loop
		select * into r from registration
		where id = (item->>'registration_id')::uuid and
		    event_id = e.id
		for update;
		if not found then
			continue;
		end if;
		res := api.certificate_refusal_for(r, e,
		    people->(r.id::text));
		if res.status is not null then
			refused := refused + 1;
			continue;
		end if;
		res := api.certificate_make(actor, r, e,
		    (item->>'id')::uuid, item->>'token');
		if res.status = 201 then
			issued := issued + 1;
		else
			kept := kept + 1;
		end if;
		done := done || jsonb_build_object('registration_id', r.id,
		    'certificate_id', res.body->'id',
		    'short_code', res.body->'short_code',
		    'issued', res.status = 201);
	end loop;
	return api.ok(200, jsonb_build_object('event_id', e.id,
	    'issued', issued, 'unchanged', kept, 'not_qualified', refused,
	    'items', done));
end;
$$;

-- What C draws for the certificate in force of registration p_reg.
create function api.certificate_pdf_of(p_reg uuid) returns api.result
language plpgsql stable as $$
declare
	c	certificate;
begin
	select * into c from certificate
	where registration_id = p_reg and revoked_at is null;
	if not found then
		return api.problem(404, 'not-found',
		    'certificates.registration_certificate_force');
	end if;
	return api.ok(200, c.content || jsonb_build_object('id', c.id,
	    'logo', api.certificate_image_for(c.content->>'logo_sha256'),
	    'signature', api.certificate_image_for(
		c.content->>'signature_sha256'),
	    'token', c.token, 'short_code', c.short_code,
	    'issued_at', api.ts(c.issued_at),
	    'issued_date', to_char(c.issued_at at time zone 'Asia/Bangkok',
		'YYYY-MM-DD')), '"' || c.id || '"');
end;
$$;

-- GET /v1/registrations/{id}/certificate.pdf, for staff of the event.
create function api.certificate_pdf(actor jsonb, p_reg uuid)
returns api.result
language plpgsql stable as $$
declare
	r	registration;
	e	event;
begin
	select * into r from registration where id = p_reg;
	if found then
		select * into e from event where id = r.event_id;
	end if;
	if r.id is null or not api.event_staff(actor, e) then
		return api.not_found('not_found.registration');
	end if;
	return api.certificate_pdf_of(p_reg);
end;
$$;

-- The same for the participant, with the link to their ticket: while it
-- opens the ticket (api.ticket_for: its version current, the
-- registration confirmed, until p_days after the event), it opens the
-- certificate.
create function api.certificate_pdf_link(p_reg uuid, p_ver int,
    p_days int) returns api.result
language plpgsql stable as $$
declare
	res	api.result;
begin
	res := api.ticket_for(null, p_reg, p_ver, p_days);
	if res.status <> 200 then
		return res;
	end if;
	return api.certificate_pdf_of(p_reg);
end;
$$;

-- POST /v1/certificates/{id}/revoke: staff of the event. Revoking one
-- already revoked changes nothing.
create function api.certificate_revoke(actor jsonb, p_id uuid)
returns api.result
language plpgsql as $$
declare
	c	certificate;
	e	event;
begin
	select * into c from certificate where id = p_id for update;
	if found then
		select * into e from event where id = c.event_id;
	end if;
	if c.id is null or not api.event_staff(actor, e) then
		return api.not_found('not_found.certificate');
	end if;
	if c.revoked_at is null then
		update certificate set revoked_at = now(),
		    revoked_reason = 'revoked'
		where id = p_id returning * into c;
	end if;
	return api.ok(200, api.certificate_json(c));
end;
$$;

-- GET /v1/certificates/verify, public. p_client: a keyed hash of the
-- caller's address, allowed p_limit calls a minute (429 with
-- retry_after past it). The certificate by the id in a token whose
-- signature C checked (p_id), or by its short code (p_code); neither:
-- the token's signature was not ours. What anyone may learn: the masked
-- name, the event, the agency, when issued, whether revoked.
create function api.certificate_verify(p_client text, p_id uuid,
    p_code text, p_limit int) returns api.result
language plpgsql as $$
declare
	c	certificate;
	e	event;
	n	int;
	res	api.result;
	minute	timestamptz := date_trunc('minute', now());
begin
	insert into certificate_verify_rate as v (client, window_start, hits)
	values (p_client, minute, 1)
	on conflict (client) do update set hits = case when
	    v.window_start = minute then v.hits + 1 else 1 end,
	    window_start = minute
	returning hits into n;
	-- Now and then, forget the clients of past minutes.
	if n = 1 and random() < 0.01 then
		delete from certificate_verify_rate
		where window_start < minute - interval '1 hour';
	end if;
	if n > p_limit then
		res := api.problem(429, 'too-many-requests',
		    'certificates.too_many_verifications_from');
		res.body := res.body || jsonb_build_object('retry_after',
		    greatest(1, ceil(extract(epoch from minute +
		    interval '1 minute' - now()))::int));
		return res;
	end if;

	if p_id is null and p_code is null then
		return api.ok(200, jsonb_build_object('genuine', false,
		    'reason', 'bad_signature'));
	end if;
	if p_id is not null then
		select * into c from certificate where id = p_id;
	else
		select * into c from certificate where short_code = p_code;
	end if;
	if not found then
		return api.ok(200, jsonb_build_object('genuine', false,
		    'reason', 'unknown'));
	end if;
	select * into e from event where id = c.event_id;
	return api.ok(200, jsonb_build_object('genuine', true,
	    'certificate_id', c.id, 'short_code', c.short_code,
	    'name', c.name_masked,
	    'event', jsonb_build_object('id', e.id,
		'title', c.content->>'event_title',
		'starts_at', api.ts(e.starts_at), 'ends_at', api.ts(e.ends_at)),
	    'agency', c.content->>'agency',
	    'issued_at', api.ts(c.issued_at),
	    'revoked', c.revoked_at is not null,
	    'revoked_at', api.ts(c.revoked_at),
	    'revoked_reason', c.revoked_reason));
end;
$$;

create function api.certificate_image_json(p_event uuid, p_kind text,
    b certificate_image_blob) returns jsonb
language sql immutable as $$
	select jsonb_build_object('event_id', p_event, 'kind', p_kind,
	    'content_type', b.content_type, 'width', b.width,
	    'height', b.height, 'bytes', length(b.data),
	    'sha256', encode(b.sha256, 'hex'))
$$;

-- PUT /v1/events/{id}/certificate-logo and .../certificate-signature:
-- staff of the event. p_hex: the image C cleaned. 201 the first time,
-- 200 when it replaces one; certificates issued before keep theirs.
create function api.certificate_image_put(actor jsonb, p_event uuid,
    p_kind text, p_hex text, p_type text, p_width int, p_height int)
returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
	b	certificate_image_blob;
	old	bytea;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'certificates.organising_agency_admin_sets');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	insert into certificate_image_blob (sha256, content_type, width,
	    height, data)
	values (sha256(decode(p_hex, 'hex')), p_type, p_width, p_height,
	    decode(p_hex, 'hex'))
	on conflict (sha256) do nothing;
	select * into b from certificate_image_blob
	where sha256 = sha256(decode(p_hex, 'hex'));
	select sha256 into old from event_certificate_image
	where event_id = p_event and kind = p_kind for update;
	insert into event_certificate_image (event_id, kind, sha256)
	values (p_event, p_kind, b.sha256)
	on conflict (event_id, kind) do update set sha256 = excluded.sha256,
	    updated_at = now();
	return api.ok(case when old is null then 201 else 200 end,
	    api.certificate_image_json(p_event, p_kind, b));
end;
$$;

create function api.certificate_image_delete(actor jsonb, p_event uuid,
    p_kind text) returns api.result
language plpgsql as $$
declare
	l	record;
	e	event;
begin
	l := api.event_for_staff(actor, p_event, false,
	    'certificates.organising_agency_admin_sets');
	if (l.err).status is not null then
		return l.err;
	end if;
	e := l.e;
	delete from event_certificate_image
	where event_id = p_event and kind = p_kind;
	if not found then
		return api.problem(404, 'not-found',
		    'certificates.event_certificate',
		    jsonb_build_object('kind', p_kind));
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- An image a certificate prints, for C: type, size and the bytes as hex.
create function api.certificate_image_for(p_sha256 text) returns jsonb
language sql stable as $$
	select jsonb_build_object('content_type', b.content_type,
	    'width', b.width, 'height', b.height,
	    'hex', encode(b.data, 'hex'))
	from certificate_image_blob b
	where b.sha256 = decode(p_sha256, 'hex')
$$;

-- POST /v1/events/{id}/certificates/zip: issues for everyone who
-- qualifies as POST /v1/events/{id}/certificates does (p_items, from C),
-- then queues a job packing the certificates of those who qualify (in
-- force: just issued or unchanged), in the order of their names. 409
-- when nobody qualifies.
create function api.certificate_zip_start(actor jsonb, p_event uuid,
    p_items jsonb, p_job uuid, p_verify_url text) returns api.result
language plpgsql as $$
declare
	res	api.result;
	ids	uuid[];
	j	job;
begin
	res := api.certificates_issue_event(actor, p_event, p_items);
	if res.status <> 200 then
		return res;
	end if;
	select array_agg(c.id order by c.name_printed, c.id) into ids
	from certificate c
	where c.id in (select (x->>'certificate_id')::uuid
	    from jsonb_array_elements(res.body->'items') x);
	if ids is null then
		return api.problem(409, 'nobody-qualifies',
		    'jobs.nobody_qualifies');
	end if;
	insert into job (id, kind, event_id, requested_by, certificate_ids,
	    total, verify_url)
	values (p_job, 'certificate_zip', p_event, (actor->>'sub')::uuid,
	    ids, cardinality(ids), p_verify_url)
	returning * into j;
	perform pg_notify('ngan_jobs', '');
	return api.ok(202, api.job_json(j), null, '/v1/jobs/' || j.id);
end;
$$;

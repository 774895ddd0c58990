-- The outbox (issue 19; tables in migration 037): enqueued in the
-- transaction of the change that causes a message, delivered by
-- ngan-outbox (tools/ngan-outbox.c), which claims due rows with FOR
-- UPDATE SKIP LOCKED (several delivery processes never take one row at
-- once) and reports each attempt back here.

-- A message of p_kind to participant p_participant's phone, and to their
-- email address and LINE if they gave them (not a code: codes go to the
-- phone on file only), about registration p_registration (or null), once
-- per p_key (the others' are p_key || ':email', ':line'). Nothing for a channel the
-- person has no address on. p_secret_enc: a one-time code, sealed by C.
create function api.outbox_enqueue(p_kind text, p_participant uuid,
    p_registration uuid, p_key text, p_args jsonb,
    p_secret_enc bytea default null) returns void
language plpgsql as $$
declare
	p	participant;
begin
	select * into p from participant where id = p_participant;
	-- Restricted (PDPA s. 34): no messages, but the codes the person
	-- asks for to prove themselves (and lift it).
	if p.restricted_at is not null and p_kind <> 'code' then
		return;
	end if;
	if p.phone_enc is not null then
		insert into outbox (idempotency_key, channel, kind,
		    participant_id, registration_id, args, secret_enc)
		values (p_key, 'sms', p_kind, p.id, p_registration,
		    coalesce(p_args, '{}'), p_secret_enc)
		on conflict (idempotency_key) do nothing;
	end if;
	if p.line_enc is not null and p_kind <> 'code' then
		insert into outbox (idempotency_key, channel, kind,
		    participant_id, registration_id, args)
		values (p_key || ':line', 'line', p_kind, p.id,
		    p_registration, coalesce(p_args, '{}'))
		on conflict (idempotency_key) do nothing;
	end if;
	if p.email_enc is not null and p_kind <> 'code' then
		insert into outbox (idempotency_key, channel, kind,
		    participant_id, registration_id, args)
		values (p_key || ':email', 'email', p_kind, p.id,
		    p_registration, coalesce(p_args, '{}'))
		on conflict (idempotency_key) do nothing;
	end if;
	-- Delivered at commit: a delivery process waiting wakes at once.
	perform pg_notify('ngan_outbox', '');
end;
$$;

create function api.outbox_count_add(p_channel text, p_outcome text)
returns void
language sql as $$
	insert into outbox_count (channel, outcome, n)
	values (p_channel, p_outcome, 1)
	on conflict (channel, outcome) do update set n = outbox_count.n + 1
$$;

-- Up to p_limit due messages on the channels p_channels (those the
-- calling process is configured for), each held for p_lease seconds (an
-- attempt counted): what the delivery needs to send them, the ticket of
-- a confirmed registration included; a notice to an endpoint's owner
-- takes the endpoint's contact address and language. Rows whose last attempt never
-- reported back (the process died) and that have no attempts left go to
-- the dead letters first; so do codes older than their 10 minutes,
-- which nobody could use any more.
create function api.outbox_claim(p_limit int, p_lease int, p_max int,
    p_channels text[])
returns table (id uuid, idempotency_key text, channel text, kind text,
    participant_id uuid, args jsonb, secret_enc text, phone_enc text,
    email_enc text, lang text, registration_id uuid, event_id uuid,
    ticket_version int, attempt int, endpoint_url text,
    endpoint_secret text, endpoint_client uuid, endpoint_live boolean,
    line_enc text)
language plpgsql as $$
begin
	with gone as (
		update outbox o set status = 'dead', dead_at = now(),
		    secret_enc = null,
		    last_error = case when o.kind = 'code' and
			o.created_at < now() - interval '10 minutes' then
			'the code expired before it could be sent' else
			'no answer from the last attempt' end
		where o.id in (select x.id from outbox x
		    where x.status = 'pending' and x.next_attempt_at <= now()
		    and x.channel = any (p_channels) and
		    (x.attempts >= p_max or (x.kind = 'code' and
		    x.created_at < now() - interval '10 minutes'))
		    for update skip locked)
		returning o.channel)
	insert into outbox_count (channel, outcome, n)
	select g.channel, 'dead', count(*) from gone g group by g.channel
	on conflict on constraint outbox_count_pkey do update
	set n = outbox_count.n + excluded.n;

	return query
	with due as (
		select x.id from outbox x
		where x.status = 'pending' and x.next_attempt_at <= now() and
		    x.channel = any (p_channels)
		order by x.next_attempt_at
		limit p_limit
		for update skip locked),
	claimed as (
		update outbox o set attempts = o.attempts + 1,
		    next_attempt_at = now() + make_interval(secs => p_lease)
		from due where o.id = due.id
		returning o.*)
	select c.id, c.idempotency_key, c.channel, c.kind, c.participant_id,
	    c.args, encode(c.secret_enc, 'hex'), encode(p.phone_enc, 'hex'),
	    encode(coalesce(p.email_enc, n.contact_enc), 'hex'),
	    coalesce(c.args->>'lang', p.lang, n.contact_lang),
	    r.id, r.event_id, r.ticket_version, c.attempts, w.url,
	    encode(w.secret_enc, 'hex'), w.client_id, w.disabled_at is null,
	    encode(p.line_enc, 'hex')
	from claimed c
	left join webhook_endpoint w on w.id = c.endpoint_id
	left join participant p on p.id = c.participant_id
	left join webhook_endpoint n on n.id = c.notice_endpoint_id
	left join registration r on r.id = c.registration_id and
	    r.status = 'confirmed';
end;
$$;

-- Lock order for a webhook's message: its endpoint first, then the
-- message. Deleting an endpoint locks it and then its messages (the
-- cascade); taking them the other way round here deadlocked with it.
create function api.outbox_lock_endpoint(p_id uuid) returns void
language plpgsql as $$
begin
	perform 1 from webhook_endpoint
	where id = (select o.endpoint_id from outbox o where o.id = p_id)
	for no key update;
end;
$$;

-- Attempt p_attempt of message p_id went out. False when the row was
-- taken again meanwhile (this attempt outlived its lease).
create function api.outbox_sent(p_id uuid, p_attempt int) returns boolean
language plpgsql as $$
declare
	ch	text;
begin
	perform api.outbox_lock_endpoint(p_id);
	update outbox set status = 'sent', sent_at = now(), secret_enc = null,
	    last_error = null
	where id = p_id and attempts = p_attempt and status = 'pending'
	returning channel into ch;
	if ch is null then
		return false;
	end if;
	perform api.outbox_count_add(ch, 'sent');
	update webhook_endpoint set failing_since = null
	where failing_since is not null and id = (select o.endpoint_id
	    from outbox o where o.id = p_id);
	return true;
end;
$$;

-- Attempt p_attempt of message p_id failed with p_error (no personal
-- data: the delivery words it). Tried again after an exponential
-- back-off from p_base_ms with jitter (half to all of it, so processes
-- that failed together do not retry together), capped at an hour; dead
-- after p_max attempts, or at once when p_final (nothing to send to).
-- The message's status after.
create function api.outbox_failed(p_id uuid, p_attempt int, p_error text,
    p_base_ms int, p_max int, p_final boolean) returns text
language plpgsql as $$
declare
	o	outbox;
	delay	double precision;
begin
	perform api.outbox_lock_endpoint(p_id);
	select * into o from outbox
	where id = p_id and attempts = p_attempt and status = 'pending'
	for update;
	if not found then
		return null;
	end if;
	perform api.outbox_count_add(o.channel, 'failed');
	-- An endpoint failing for a day is disabled, with what it had to
	-- send; its client sees it in GET /v1/webhooks, and its owner is
	-- emailed in this transaction when they gave an address.
	if o.endpoint_id is not null then
		update webhook_endpoint set
		    failing_since = coalesce(failing_since, now())
		where id = o.endpoint_id;
		update webhook_endpoint set disabled_at = now()
		where id = o.endpoint_id and disabled_at is null and
		    failing_since <= now() - interval '1 day';
		if found then
			with gone as (
				update outbox set status = 'dead',
				    dead_at = now(), last_error =
				    'the endpoint failed for a day: disabled'
				where endpoint_id = o.endpoint_id and
				    status = 'pending' and id <> p_id
				returning 1)
			insert into outbox_count (channel, outcome, n)
			select 'webhook', 'dead', count(*) from gone
			on conflict on constraint outbox_count_pkey do update
			set n = outbox_count.n + excluded.n;
			perform api.webhook_disabled_notice(o.endpoint_id,
			    p_error);
			p_final := true;
		end if;
	end if;
	if p_final or o.attempts >= p_max then
		update outbox set status = 'dead', dead_at = now(),
		    secret_enc = null, last_error = left(p_error, 300)
		where id = p_id;
		perform api.outbox_count_add(o.channel, 'dead');
		return 'dead';
	end if;
	delay := least(p_base_ms * power(2, o.attempts - 1), 3600000) *
	    (0.5 + random() / 2);
	update outbox set last_error = left(p_error, 300),
	    next_attempt_at = now() + make_interval(secs => delay / 1000)
	where id = p_id;
	return 'pending';
end;
$$;

-- A message as organisers and admins see it: its state, never the
-- address it went to nor its text.
create function api.outbox_json(o outbox) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', o.id, 'channel', o.channel,
	    'kind', o.kind, 'status', o.status, 'attempts', o.attempts,
	    'registration_id', o.registration_id,
	    'endpoint_id', o.endpoint_id, 'last_error', o.last_error,
	    'next_attempt_at', case when o.status = 'pending' then
		api.ts(o.next_attempt_at) end,
	    'created_at', api.ts(o.created_at), 'sent_at', api.ts(o.sent_at),
	    'dead_at', api.ts(o.dead_at))
$$;

-- GET /v1/registrations/{id}/messages: what went to the person about
-- it, for those who read the event's registrations.
create function api.registration_messages(actor jsonb, p_id uuid)
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
	if r.id is null or not api.event_reader(actor, e) then
		return api.not_found('not_found.registration');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.outbox_json(o) order by o.created_at, o.id)
	    from outbox o where o.registration_id = p_id and
	    o.channel <> 'webhook'), '[]')));
end;
$$;

-- GET /v1/outbox/dead-letters: the last 200 dead messages, newest first.
create function api.outbox_dead_letters(actor jsonb) returns api.result
language plpgsql stable as $$
begin
	if api.actor_role(actor) is distinct from 'admin' then
		return api.forbidden('outbox.dead_letters_admins');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.outbox_json(d) order by d.dead_at desc, d.id)
	    from (select * from outbox o where o.status = 'dead'
	    order by o.dead_at desc, o.id limit 200) d), '[]')));
end;
$$;

-- POST /v1/outbox/{id}/retry: a dead message back in line, its attempts
-- from zero. Not a code (it was wiped, and has expired: ask for a new
-- one), nor a webhook of a disabled endpoint.
create function api.outbox_retry(actor jsonb, p_id uuid) returns api.result
language plpgsql as $$
declare
	o	outbox;
begin
	if api.actor_role(actor) is distinct from 'admin' then
		return api.forbidden('outbox.dead_letters_admins');
	end if;
	select * into o from outbox where id = p_id for update;
	if not found then
		return api.not_found('not_found.message');
	end if;
	if o.status <> 'dead' then
		return api.problem(409, 'conflict', 'outbox.retry_not_dead',
		    jsonb_build_object('status', o.status));
	end if;
	if o.kind = 'code' then
		return api.problem(409, 'conflict', 'outbox.retry_code');
	end if;
	if exists (select 1 from webhook_endpoint w
	    where w.id = o.endpoint_id and w.disabled_at is not null) then
		return api.problem(409, 'conflict',
		    'outbox.retry_endpoint_disabled');
	end if;
	update outbox set status = 'pending', attempts = 0, dead_at = null,
	    next_attempt_at = now()
	where id = p_id returning * into o;
	perform pg_notify('ngan_outbox', '');
	return api.ok(200, api.outbox_json(o));
end;
$$;

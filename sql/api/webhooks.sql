-- Webhooks for partner clients (issue 19, item 3; api/webhooks.c): the
-- endpoints a client registers, and the outbox rows written for them in
-- the transaction of the change (a feed row, an event changed), which
-- ngan-outbox delivers signed (Standard Webhooks). A payload carries what
-- the feed carries: ids, a pseudonym for the participant (made at send
-- time with the client's own key), never a name, national id or phone.

-- The client an actor registers endpoints for: a client itself, or a
-- partner account an admin linked to one.
create function api.webhook_client(actor jsonb) returns uuid
language sql stable as $$
	select case when actor->>'kind' = 'client' then
	    (select c.id from partner_client c
	    where c.id = (actor->>'sub')::uuid and c.active)
	else (select u.partner_client_id from app_user u
	    where u.id = (actor->>'sub')::uuid and u.role = 'partner') end
$$;

-- The contact address is never shown back (it is sealed; the client
-- knows what it gave), only whether there is one; owner_notice is the
-- email telling its owner it was disabled, and how it went.
create function api.webhook_json(w webhook_endpoint) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', w.id, 'url', w.url, 'kinds',
	    to_jsonb(w.kinds), 'active', w.disabled_at is null,
	    'failing_since', api.ts(w.failing_since),
	    'disabled_at', api.ts(w.disabled_at),
	    'contact_email_set', w.contact_enc is not null,
	    'contact_lang', w.contact_lang,
	    'owner_notice', (select jsonb_build_object('channel', o.channel,
		'status', o.status, 'created_at', api.ts(o.created_at),
		'sent_at', api.ts(o.sent_at))
		from outbox o where o.notice_endpoint_id = w.id
		order by o.created_at desc limit 1),
	    'created_at', api.ts(w.created_at))
$$;

-- POST /v1/webhooks. b: {url, kinds, contact_lang} checked by C, and
-- secret_enc and contact_enc (hex), the signing secret and the contact
-- email sealed by C, which adds the secret to the answer.
create function api.webhook_create(actor jsonb, b jsonb) returns api.result
language plpgsql as $$
declare
	c	uuid := api.webhook_client(actor);
	w	webhook_endpoint;
begin
	if c is null then
		return api.forbidden('webhooks.partner_client_token');
	end if;
	if (select count(*) from webhook_endpoint where client_id = c) >= 10
	then
		return api.problem(409, 'conflict', 'webhooks.endpoints_most_10');
	end if;
	insert into webhook_endpoint (client_id, url, kinds, secret_enc,
	    contact_enc, contact_lang)
	values (c, b->>'url', (select array_agg(distinct k order by k)
	    from jsonb_array_elements_text(b->'kinds') k),
	    decode(b->>'secret_enc', 'hex'), decode(b->>'contact_enc', 'hex'),
	    b->>'contact_lang')
	returning * into w;
	return api.ok(201, api.webhook_json(w), null,
	    '/v1/webhooks/' || w.id);
end;
$$;

-- GET /v1/webhooks: the caller's client's endpoints.
create function api.webhooks_list(actor jsonb) returns api.result
language plpgsql stable as $$
declare
	c	uuid := api.webhook_client(actor);
begin
	if c is null then
		return api.forbidden('webhooks.partner_client');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.webhook_json(w) order by w.created_at, w.id)
	    from webhook_endpoint w where w.client_id = c), '[]')));
end;
$$;

-- DELETE /v1/webhooks/{id}: with what it had still to send.
create function api.webhook_delete(actor jsonb, p_id uuid)
returns api.result
language plpgsql as $$
declare
	c	uuid := api.webhook_client(actor);
begin
	if c is null then
		return api.forbidden('webhooks.partner_client');
	end if;
	delete from webhook_endpoint where id = p_id and client_id = c;
	if not found then
		return api.not_found('not_found.webhook_endpoint');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- An outbox row for every live endpoint that asked for p_kind and may
-- see an event in province p_province (the client's provinces, as the
-- feed filters them), once per p_key and endpoint.
create function api.webhook_enqueue(p_kind text, p_province bpchar,
    p_participant uuid, p_key text, p_args jsonb) returns void
language plpgsql as $$
begin
	insert into outbox (idempotency_key, channel, kind, participant_id,
	    endpoint_id, args)
	select p_key || ':' || w.id, 'webhook', p_kind, p_participant, w.id,
	    p_args
	from webhook_endpoint w join partner_client c on c.id = w.client_id
	where p_kind = any (w.kinds) and w.disabled_at is null and c.active
	    and (cardinality(c.provinces) = 0 or p_province = any (c.provinces))
	on conflict (idempotency_key) do nothing;
	if found then
		perform pg_notify('ngan_outbox', '');
	end if;
end;
$$;

-- A feed row made (a registration created, cancelled, checked in): the
-- webhooks that asked for it, with what the feed row carries.
create function api.webhook_feed_trigger() returns trigger
language plpgsql as $$
declare
	k	text := case new.op when 'create' then 'registration.created'
	    when 'cancel' then 'registration.cancelled'
	    when 'check_in' then 'checkin.created' end;
begin
	if k is not null and exists (select 1 from webhook_endpoint w
	    where k = any (w.kinds) and w.disabled_at is null) then
		perform api.webhook_enqueue(k,
		    (new.data->>'province_code')::bpchar, new.participant_id,
		    'feed:' || new.seq, jsonb_build_object(
		    'registration_id', new.registration_id,
		    'event_id', new.event_id, 'registration', new.data));
	end if;
	return null;
end;
$$;

create trigger webhook_feed_ai after insert on registration_feed
    for each row execute function api.webhook_feed_trigger();

-- An event's status, title, times or place changed.
create function api.webhook_event_trigger() returns trigger
language plpgsql as $$
begin
	if (new.status, new.title, new.starts_at, new.ends_at,
	    new.province_code) is distinct from (old.status, old.title,
	    old.starts_at, old.ends_at, old.province_code) and
	    new.status <> 'draft' and exists (select 1 from webhook_endpoint w
	    where 'event.changed' = any (w.kinds) and w.disabled_at is null)
	then
		perform api.webhook_enqueue('event.changed', new.province_code,
		    null, 'event:' || new.id || ':' || new.version,
		    jsonb_build_object('event_id', new.id, 'status',
		    new.status, 'starts_at', api.ts(new.starts_at),
		    'ends_at', api.ts(new.ends_at), 'province_code',
		    new.province_code, 'version', new.version));
	end if;
	return null;
end;
$$;

create trigger webhook_event_au after update on event
    for each row execute function api.webhook_event_trigger();

-- Endpoint p_endpoint was just disabled (api.outbox_failed), p_error its
-- last failure: an email to the owner's contact address, if they gave
-- one, once per disabling. What it says: the endpoint, its host (not
-- the whole URL: a path may hold the partner's own token), since when
-- it failed, and that nothing more is sent until it is registered again.
create function api.webhook_disabled_notice(p_endpoint uuid,
    p_error text) returns void
language plpgsql as $$
begin
	insert into outbox (idempotency_key, channel, kind,
	    notice_endpoint_id, args)
	select 'disabled:' || w.id || ':' || w.disabled_at, 'email',
	    'endpoint.disabled', w.id, jsonb_build_object(
	    'endpoint_id', w.id::text,
	    'host', substring(w.url from '^https?://([^/?#]+)'),
	    'failing_since', to_char(w.failing_since at time zone 'UTC',
		'YYYY-MM-DD HH24:MI "UTC"'),
	    'error', left(coalesce(p_error, '-'), 200))
	from webhook_endpoint w
	where w.id = p_endpoint and w.disabled_at is not null and
	    w.contact_enc is not null
	on conflict (idempotency_key) do nothing;
	if found then
		perform pg_notify('ngan_outbox', '');
	end if;
end;
$$;

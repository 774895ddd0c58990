-- The audit of partner reads and of reveals of personal data, and
-- GET /v1/audit (api/audit.c).

create function api.partner_audit_write(actor jsonb, p_route text,
    p_query jsonb, res api.result, p_rows int) returns void
language sql as $$
	insert into partner_audit (actor_id, actor_kind, route, query, status,
	    rows)
	select (actor->>'sub')::uuid, coalesce(actor->>'kind', 'user'),
	    p_route, coalesce(jsonb_strip_nulls(p_query), '{}'), res.status,
	    coalesce(p_rows, 0)
	where api.is_partner(actor)
$$;

-- One reveal served: called in the statement that reads the values.
create function api.reveal_audit_write(actor jsonb, p_route text,
    p_event uuid, p_participant uuid, p_fields text[], p_purpose text,
    p_rows int) returns void
language sql as $$
	insert into partner_audit (kind, actor_id, actor_kind, route, status,
	    rows, event_id, participant_id, fields, purpose)
	values ('reveal', (actor->>'sub')::uuid, 'user', p_route, 200, p_rows,
	    p_event, p_participant, p_fields, p_purpose)
$$;

-- GET /v1/audit: oldest first, keyset on (at, id); filters: the caller
-- (a partner client's id or a user id), the kind, from, to.
create function api.audit_list(actor jsonb, p_actor uuid, p_kind text,
    p_from timestamptz, p_to timestamptz, p_limit int, p_cursor text)
returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	c_seq	bigint;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_seq bigint;
begin
	if coalesce(api.actor_role(actor), '') <> 'admin' then
		return api.forbidden('audit.admins_read_audit_log');
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	-- The cursor's uuid carries the row id in its last 12 digits.
	c_seq := ('x' || lpad(right(replace(c_id::text, '-', ''), 12),
	    16, '0'))::bit(64)::bigint;
	with page as (
		select a.* from partner_audit a
		where (p_actor is null or a.actor_id = p_actor) and
		    (p_kind is null or a.kind = p_kind) and
		    (p_from is null or a.at >= p_from) and
		    (p_to is null or a.at < p_to) and
		    (p_cursor is null or (a.at, a.id) > (c_at, c_seq))
		order by a.at, a.id
		limit p_limit + 1
	), numbered as (
		select p.*, row_number() over (order by p.at, p.id) as rn
		from page p
	)
	select coalesce(jsonb_agg(jsonb_build_object('id', x.id,
		'kind', x.kind,
		'at', to_char(x.at at time zone 'Asia/Bangkok',
		    'YYYY-MM-DD"T"HH24:MI:SS.US"+07:00"'),
		'actor_id', x.actor_id, 'actor_kind', x.actor_kind,
		'route', x.route, 'query', x.query, 'status', x.status,
		'rows', x.rows, 'event_id', x.event_id,
		'participant_id', x.participant_id,
		'fields', to_jsonb(x.fields), 'purpose', x.purpose)
		order by rn) filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg(x.at order by rn) filter (where rn = p_limit))[1],
	    (array_agg(x.id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_seq from numbered x;
	return api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', case when n > p_limit then
		api.cursor_encode(last_at, ('00000000-0000-4000-8000-' ||
		lpad(to_hex(last_seq), 12, '0'))::uuid) end));
end;
$$;

create function api.partner_read_begin(actor jsonb, p_what text, f jsonb,
    p_rate int, p_route text, p_keep_days int) returns api.result
language plpgsql as $$
declare
	g	record;
	res	api.result;
	arole	text := coalesce(api.actor_role(actor), '');
	provs	char(2)[];
	prov	char(2) := f->>'province';
begin
	if p_what = 'stats' then
		if not (arole in ('admin', 'organizer', 'partner')) then
			return api.forbidden('audit.statistics_are_admins_organisers');
		end if;
		g := api.partner_gate(actor, 'stats:read', p_rate);
	elsif p_what = 'feed' then
		if not (arole in ('admin', 'partner')) then
			return api.forbidden('audit.feed_admins_partners');
		end if;
		g := api.partner_gate(actor, 'feed:read', p_rate);
	else
		raise exception 'partner_read_begin: unknown read %', p_what;
	end if;
	if (g.err).status is not null then
		perform api.partner_audit_write(actor, p_route, f, g.err, 0);
		return g.err;
	end if;
	provs := g.provinces;
	if p_what = 'stats' then
		res := api.partner_province_error(provs, prov);
	end if;
	if (res).status is not null then
		perform api.partner_audit_write(actor, p_route, f, res, 0);
		return res;
	end if;
	-- A bad cursor is refused on the standby (api.feed_page).
	if p_what = 'feed' then
		if f->>'cursor' is null or
		    api.feed_cursor_pos(f->>'cursor') is not null then
			perform api.feed_note_read(actor, coalesce(
			    api.feed_cursor_pos(f->>'cursor'), 0));
		end if;
		perform api.registration_feed_stamp(p_keep_days);
	end if;
	res.body := jsonb_build_object('provinces', to_jsonb(provs),
	    'agency', case when arole = 'organizer' then
		api.actor_agency(actor) end);
	return res;
end;
$$;

-- Step 3: the audit of a read served from the standby.
create function api.partner_read_end(actor jsonb, p_route text, f jsonb,
    p_status int, p_rows int) returns void
language sql as $$
	select api.partner_audit_write(actor, p_route, f,
	    row(p_status, null, null, null)::api.result, p_rows)
$$;

-- The change feed of registrations for partners (api/feed.c). Triggers
-- append one row per change to registration_feed with a bigserial and
-- the writing transaction's id.
-- Serial numbers are handed out when a row is written, not when its
-- transaction commits: a reader paging by seq alone could pass seq 7
-- (committed) while seq 6 is still in flight, and never see 6.
--
-- So readers assign the feed position (pos) themselves, under an
-- advisory lock, and only to rows whose transaction is older than every
-- transaction still running (xid < xmin of the current snapshot): such
-- a transaction has ended, so its rows are committed and final, and no
-- row with an xid below that horizon can ever appear later. Positions
-- grow with each stamping, so a row stamped later always lands after
-- every cursor handed out before: no gaps, no repeats, and a row never
-- comes before one its transaction could have waited for. Rows of
-- transactions still running wait for the next read.

-- The feed's row writer, as plpgsql. As a SQL function that inserts it
-- could not be inlined, so PostgreSQL parsed and planned its INSERT on
-- every call: once per check-in and once per registration change, a
-- third of the database's time on a check-in (pgbench on the check-in
-- statement: about 1,050 tps with it, 1,560 as plpgsql, 1,590 with no
-- feed at all). plpgsql keeps the plan per connection. A check-in's row
-- says checked_in without looking: the scan that fired the trigger is an
-- effective entry.
create function api.registration_feed_row(r registration, p_op text)
returns void
language plpgsql as $$
begin
	insert into registration_feed (op, registration_id, event_id,
	    participant_id, data)
	select p_op, r.id, r.event_id, r.participant_id,
	    case when p_op <> 'delete' then jsonb_build_object(
		'status', r.status, 'target_group', r.target_group,
		'source', r.source, 'version', r.version,
		'province_code', e.province_code,
		'district_code', e.district_code,
		'fiscal_year_be', e.fiscal_year_be,
		'participant_province_code', p.province_code,
		'section40', p.section40,
		'checked_in', p_op = 'check_in' or exists (select 1
		    from checkin c where c.registration_id = r.id and
			c.state = 'effective' and c.direction = 'in'),
		'created_at', api.ts(r.created_at),
		'updated_at', api.ts(r.updated_at)) end
	from event e, participant p
	where e.id = r.event_id and p.id = r.participant_id;
end;
$$;

create function api.registration_feed_trigger() returns trigger
language plpgsql as $$
begin
	if tg_op = 'INSERT' then
		perform api.registration_feed_row(new, 'create');
	elsif tg_op = 'UPDATE' then
		perform api.registration_feed_row(new, case when
		    new.status = 'cancelled' and old.status <> 'cancelled'
		    then 'cancel' else 'update' end);
	else
		insert into registration_feed (op, registration_id, event_id,
		    participant_id)
		values ('delete', old.id, old.event_id, old.participant_id);
	end if;
	return null;
end;
$$;

create trigger registration_feed_aiud after insert or update or delete
    on registration for each row
    execute function api.registration_feed_trigger();

-- An effective entry scan is a check-in; an annulled one an update.
create function api.checkin_feed_trigger() returns trigger
language plpgsql as $$
declare
	r	registration;
begin
	if new.registration_id is null or new.direction <> 'in' then
		return null;
	end if;
	if tg_op = 'INSERT' and new.state = 'effective' then
		select * into r from registration where id = new.registration_id;
		perform api.registration_feed_row(r, 'check_in');
	elsif tg_op = 'UPDATE' and new.state is distinct from old.state and
	    (new.state = 'effective' or old.state = 'effective') then
		select * into r from registration where id = new.registration_id;
		perform api.registration_feed_row(r, case when
		    new.state = 'effective' then 'check_in' else 'update' end);
	end if;
	return null;
end;
$$;

create trigger checkin_feed_aiu after insert or update on checkin
    for each row execute function api.checkin_feed_trigger();

-- Stamps positions on the rows that are final (see above); call before
-- reading. Returns how many it stamped.
create function api.registration_feed_stamp(p_keep_days int) returns int
language plpgsql as $$
declare
	horizon	xid8 := pg_snapshot_xmin(pg_current_snapshot());
	base	bigint;
	n	int;
begin
	perform pg_advisory_xact_lock(hashtext('registration_feed_stamp'));
	select coalesce(max(pos), 0) into base from registration_feed;
	with todo as (
		select seq, row_number() over (order by seq) as rn
		from registration_feed
		where pos is null and xid < horizon
	)
	update registration_feed f set pos = base + todo.rn
	from todo where f.seq = todo.seq;
	get diagnostics n = row_count;
	if n > 0 then
		insert into registration_feed_day (day, first_pos)
		values ((now() at time zone 'Asia/Bangkok')::date, base + 1)
		on conflict (day) do nothing;
	end if;
	perform api.registration_feed_prune(p_keep_days);
	return n;
end;
$$;

-- Drops the rows every active partner has read (the lowest cursor that a
-- client with the feed scope presented within the retention), and the
-- rows stamped more than p_keep_days days ago whoever has read them;
-- at most 10,000 a call (each read takes its share). The last position
-- stays, so positions never start again. Called under the stamp's lock.
create function api.registration_feed_prune(p_keep_days int) returns int
language plpgsql as $$
declare
	today	date := (now() at time zone 'Asia/Bangkok')::date;
	lo	bigint;
	top	bigint;
	safe	bigint;
	old	bigint;
	n	int;
begin
	select min(pos), max(pos) into lo, top from registration_feed;
	if lo is null or lo >= top then
		return 0;
	end if;
	select min(coalesce(c.feed_read_pos, 0)) into safe
	from partner_client c
	where c.active and 'feed:read' = any (c.scopes) and
	    c.feed_read_at > now() - make_interval(days => p_keep_days);
	select coalesce(min(d.first_pos) - 1, top) into old
	from registration_feed_day d
	where d.day > today - p_keep_days;
	delete from registration_feed
	where pos between lo and least(top - 1, lo + 9999,
	    greatest(coalesce(safe, 0), old));
	get diagnostics n = row_count;
	delete from registration_feed_day where day < today - p_keep_days;
	return n;
end;
$$;

-- The position a feed cursor names (an opaque base64url of "f:<pos>"),
-- or null when it is not one.
create function api.feed_cursor_pos(p_cursor text) returns bigint
language plpgsql immutable as $$
declare
	raw	text;
begin
	raw := api.b64url_decode(p_cursor);
	if raw !~ '^f:[0-9]{1,18}$' then
		return null;
	end if;
	return substr(raw, 3)::bigint;
exception when others then
	return null;
end;
$$;

-- A cursor whose next rows were pruned: the reader would miss them.
create function api.feed_cursor_gone(p_after bigint) returns boolean
language sql stable as $$
	select p_after > 0 and p_after + 1 < (select min(pos)
	    from registration_feed where pos is not null)
$$;

create function api.feed_cursor_expired() returns api.result
language sql immutable as $$
	select api.problem(410, 'cursor-expired',
	    'feed.changes_after_cursor_were')
$$;

-- A partner client presenting a cursor has read up to it (0: reading
-- from the start, it has read nothing that is left). Not the highest
-- ever: a client starting again holds back what it is about to read.
create function api.feed_note_read(actor jsonb, p_after bigint)
returns void
language sql as $$
	update partner_client c set feed_read_pos = p_after,
	    feed_read_at = now()
	where c.id = case when actor->>'kind' = 'client' then
		(actor->>'sub')::uuid else (select u.partner_client_id
		from app_user u where u.id = (actor->>'sub')::uuid and
		u.role = 'partner') end
$$;

-- One page of the feed after position p_after, as both steps answer it:
-- the items in the provinces provs (all when empty), each participant by
-- the caller's pseudonym (keyed by p_key), and the cursor to go on from.
create function api.feed_page_body(p_key bytea, p_limit int,
    p_after bigint, provs char(2)[]) returns jsonb
language plpgsql stable as $$
declare
	items	jsonb;
	last_pos bigint;
begin
	with page as (
		select f.* from registration_feed f
		where f.pos > p_after and f.pos is not null
		order by f.pos
		limit p_limit + 1
	), numbered as (
		select p.*, row_number() over (order by p.pos) as rn from page p
	)
	select coalesce(jsonb_agg(jsonb_build_object(
		'position', x.pos::text, 'op', x.op,
		'at', api.ts(x.at), 'registration_id', x.registration_id,
		'event_id', x.event_id,
		'participant', encode(hmac(convert_to(x.participant_id::text,
		    'UTF8'), p_key,
		    'sha256'), 'hex'),
		'registration', x.data) order by rn)
		filter (where rn <= p_limit and (cardinality(provs) = 0 or
		    (x.data->>'province_code')::bpchar = any (provs) or
		    (x.data is null and exists (select 1 from event e
			where e.id = x.event_id and
			    e.province_code = any (provs))))), '[]'),
	    max(x.pos) filter (where rn <= p_limit)
	into items, last_pos from numbered x;
	-- Always a cursor: the feed continues; an empty page keeps it.
	return jsonb_build_object('items', items, 'next_cursor',
	    api.b64url_encode('f:' || coalesce(last_pos, p_after)));
end;
$$;

-- GET /v1/feed/registrations. The cursor is the last position read (an
-- opaque base64url of "f:<pos>"); p_key: the caller's pseudonym key, so
-- each partner sees a stable participant id of its own.
create function api.feed_registrations(actor jsonb, p_key bytea,
    p_limit int, p_cursor text, p_rate int, p_route text, p_keep_days int)
returns api.result
language plpgsql as $$
declare
	g	record;
	res	api.result;
	p_after	bigint := 0;
	provs	char(2)[];
begin
	if not (coalesce(api.actor_role(actor), '') in ('admin', 'partner'))
	then
		return api.forbidden('audit.feed_admins_partners');
	end if;
	g := api.partner_gate(actor, 'feed:read', p_rate);
	if (g.err).status is not null then
		perform api.partner_audit_write(actor, p_route,
		    jsonb_build_object('cursor', p_cursor, 'limit', p_limit),
		    g.err, 0);
		return g.err;
	end if;
	provs := g.provinces;
	if p_cursor is not null then
		p_after := api.feed_cursor_pos(p_cursor);
		if p_after is null then
			return api.bad_cursor();
		end if;
	end if;
	perform api.feed_note_read(actor, p_after);
	perform api.registration_feed_stamp(p_keep_days);
	if api.feed_cursor_gone(p_after) then
		res := api.feed_cursor_expired();
		perform api.partner_audit_write(actor, p_route,
		    jsonb_build_object('cursor', p_cursor, 'limit', p_limit),
		    res, 0);
		return res;
	end if;
	res := api.ok(200, api.feed_page_body(p_key, p_limit, p_after,
	    provs));
	perform api.partner_audit_write(actor, p_route,
	    jsonb_build_object('cursor', p_cursor, 'limit', p_limit), res,
	    jsonb_array_length((res).body->'items'));
	return res;
end;
$$;

-- Step 2 of the feed: one page after the cursor, as
-- api.feed_registrations pages (015), without stamping. nrows: the items.
create function api.feed_page(scope jsonb, p_key bytea, p_limit int,
    p_cursor text, out res api.result, out nrows int)
language plpgsql stable as $$
declare
	p_after	bigint := 0;
	provs	char(2)[] := array(select jsonb_array_elements_text(
		    scope->'provinces'))::char(2)[];
begin
	nrows := 0;
	if p_cursor is not null then
		p_after := api.feed_cursor_pos(p_cursor);
		if p_after is null then
			res := api.bad_cursor();
			return;
		end if;
	end if;
	if api.feed_cursor_gone(p_after) then
		res := api.feed_cursor_expired();
		return;
	end if;
	res := api.ok(200, api.feed_page_body(p_key, p_limit, p_after,
	    provs));
	nrows := jsonb_array_length((res).body->'items');
end;
$$;

-- Partner data: managing partner clients, the rate limit and audit of
-- partner reads, attendance statistics with small-cell suppression, and
-- the registrations change feed.

-- ------------------------------------------------------------ clients

create function api.partner_client_json(c partner_client) returns jsonb
language sql immutable as $$
	select jsonb_build_object('id', c.id, 'client_id', c.client_id,
	    'name', c.name, 'scopes', to_jsonb(c.scopes),
	    'provinces', to_jsonb(c.provinces), 'active', c.active,
	    'created_at', api.ts(c.created_at),
	    'updated_at', api.ts(c.updated_at))
$$;

create function api.partner_clients_list(actor jsonb, p_limit int,
    p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	last_at	timestamptz;
	last_id	uuid;
	n	int;
begin
	if p_cursor is not null then
		select d.at, d.id into c_at, c_id
		from api.cursor_decode(p_cursor) d;
		if c_at is null then
			return api.bad_cursor();
		end if;
	end if;
	with page as (
		select c from partner_client c
		where p_cursor is null or (c.created_at, c.id) > (c_at, c_id)
		order by c.created_at, c.id
		limit p_limit + 1
	), numbered as (
		select c, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.partner_client_json(c) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((c).created_at order by rn) filter (where rn = p_limit))[1],
	    (array_agg((c).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', case when n > p_limit then
		api.cursor_encode(last_at, last_id) end));
end;
$$;

create function api.partner_client_get(actor jsonb, p_id uuid)
returns api.result
language sql stable as $$
	select coalesce((select api.ok(200, api.partner_client_json(c),
	    '"' || c.version || '"') from partner_client c where c.id = p_id),
	    api.not_found('partner client'))
$$;

-- PATCH: name, scopes, provinces, active; If-Match on the version.
create function api.partner_client_patch(actor jsonb, p_id uuid,
    p_version int, body jsonb) returns api.result
language plpgsql as $$
declare
	c	partner_client;
	provs	char(2)[];
	bad	text;
begin
	select * into c from partner_client where id = p_id for update;
	if not found then
		return api.not_found('partner client');
	end if;
	if c.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'Precondition failed', 'The client was changed since ' ||
		    'you read it; fetch it again.');
	end if;
	if body ? 'provinces' then
		select array_agg(p order by p) into provs
		from jsonb_array_elements_text(body->'provinces') p;
		select p into bad from unnest(coalesce(provs, '{}')) p
		where not exists (select 1 from province where code = p)
		limit 1;
		if bad is not null then
			return api.field_error('provinces', 'not_found',
			    'No province has the code ' || bad || '.');
		end if;
		c.provinces := coalesce(provs, '{}');
	end if;
	if body ? 'name' then
		c.name := body->>'name';
	end if;
	if body ? 'scopes' then
		c.scopes := array(select distinct
		    jsonb_array_elements_text(body->'scopes') order by 1);
	end if;
	if body ? 'active' then
		c.active := (body->>'active')::boolean;
	end if;
	update partner_client set name = c.name, scopes = c.scopes,
	    provinces = c.provinces, active = c.active,
	    version = version + 1, updated_at = now()
	where id = p_id returning * into c;
	return api.ok(200, api.partner_client_json(c), '"' || c.version || '"');
end;
$$;

-- POST /v1/partner-clients/{id}/secret: a new secret; the old one stops
-- working at once (tokens already issued run out with their lifetime,
-- unless the client is disabled).
create function api.partner_client_rotate(actor jsonb, p_id uuid,
    p_secret bytea) returns api.result
language plpgsql as $$
declare
	c	partner_client;
begin
	update partner_client set secret_sha256 = p_secret,
	    version = version + 1, updated_at = now()
	where id = p_id returning * into c;
	if not found then
		return api.not_found('partner client');
	end if;
	return api.ok(200, api.partner_client_json(c), '"' || c.version || '"');
end;
$$;

-- ------------------------------------------------------------ gate, audit

-- One row per partner read (a partner client, or a user with the partner
-- role): who, which route, the query, the status and how many rows it got.
-- Never personal data: the query holds filters and cursors only.
create table partner_audit (
	id		bigserial primary key,
	at		timestamptz not null default clock_timestamp(),
	actor_id	uuid not null,
	actor_kind	text not null check (actor_kind in ('client', 'user')),
	route		text not null check (length(route) <= 200),
	query		jsonb not null default '{}',
	status		int not null check (status between 100 and 599),
	rows		int not null default 0 check (rows >= 0)
);
create index partner_audit_at_idx on partner_audit(at, id);
create index partner_audit_actor_idx on partner_audit(actor_id, at, id);

-- Fixed one-minute windows per partner client, shared by all workers.
create table partner_rate (
	client		uuid primary key references partner_client(id),
	window_start	timestamptz not null,
	n		int not null
);

create function api.is_partner(actor jsonb) returns boolean
language sql immutable as $$
	select coalesce(actor->>'kind' = 'client' or
	    api.actor_role(actor) = 'partner', false)
$$;

-- Checks a caller against a scope before a partner read, in the same
-- statement as the read: a disabled client is refused at once (its
-- stateless tokens are checked against the table on every request), a
-- client without the scope gets 403, and a client over p_rate requests
-- in the current minute gets 429 with "retry_after" in the body (the C
-- layer turns it into Retry-After). Null when the read may go ahead.
-- provinces: the client's province restriction, '{}' for none.
create function api.partner_gate(actor jsonb, p_scope text, p_rate int,
    out err api.result, out provinces char(2)[])
language plpgsql as $$
declare
	c	partner_client;
	w	timestamptz := date_trunc('minute', now());
	cnt	int;
begin
	provinces := '{}';
	if actor->>'kind' is distinct from 'client' then
		return;
	end if;
	select * into c from partner_client
	where id = (actor->>'sub')::uuid;
	if not found or not c.active then
		err := api.problem(401, 'unauthorized', 'Unauthorized',
		    'This client is disabled.');
		return;
	end if;
	if not (p_scope = any (c.scopes)) then
		err := api.problem(403, 'forbidden',
		    'Forbidden', 'This client lacks the scope ' ||
		    p_scope || '.');
		return;
	end if;
	provinces := c.provinces;
	if p_rate > 0 then
		insert into partner_rate as r (client, window_start, n)
		values (c.id, w, 1)
		on conflict (client) do update set
		    n = case when r.window_start = w then r.n + 1 else 1 end,
		    window_start = w
		returning n into cnt;
		if cnt > p_rate then
			err := api.problem(429, 'too-many-requests',
			    'Too many requests', 'This client may make ' ||
			    p_rate || ' requests a minute.');
			err.body := err.body || jsonb_build_object(
			    'retry_after', greatest(1, ceil(extract(epoch from
			    w + interval '1 minute' - now())))::int);
		end if;
	end if;
end;
$$;

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

-- GET /v1/audit: newest first? No: oldest first, keyset on (at, id) like
-- every list; filters: client (partner_client id or user id), from, to.
create function api.audit_list(actor jsonb, p_actor uuid, p_from timestamptz,
    p_to timestamptz, p_limit int, p_cursor text) returns api.result
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
		return api.forbidden('Only admins read the audit log.');
	end if;
	if p_cursor is not null then
		-- The cursor's uuid carries the row id in its last 12 digits.
		select d.at, d.id into c_at, c_id
		from api.cursor_decode(p_cursor) d;
		if c_at is null then
			return api.bad_cursor();
		end if;
		c_seq := ('x' || lpad(right(replace(c_id::text, '-', ''), 12),
		    16, '0'))::bit(64)::bigint;
	end if;
	with page as (
		select a.* from partner_audit a
		where (p_actor is null or a.actor_id = p_actor) and
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
		'at', to_char(x.at at time zone 'Asia/Bangkok',
		    'YYYY-MM-DD"T"HH24:MI:SS.US"+07:00"'),
		'actor_id', x.actor_id, 'actor_kind', x.actor_kind,
		'route', x.route, 'query', x.query, 'status', x.status,
		'rows', x.rows) order by rn) filter (where rn <= p_limit), '[]'),
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

-- ------------------------------------------------------------ statistics

-- A people count that would describe fewer than 5 people is suppressed.
create function api.small_cell(n bigint) returns bigint
language sql immutable parallel safe as $$
	select case when n between 1 and 4 then null else n end
$$;

create function api.stats_cell(key jsonb, events bigint, regs bigint,
    came bigint, people bigint, s40 bigint) returns jsonb
language sql immutable parallel safe as $$
	select key || jsonb_build_object('events', events,
	    'registrations', api.small_cell(regs),
	    'checked_in', api.small_cell(came),
	    'unique_participants', api.small_cell(people),
	    'section40_members', api.small_cell(s40),
	    'suppressed', regs between 1 and 4 or came between 1 and 4 or
		people between 1 and 4 or s40 between 1 and 4)
$$;

-- Rows per (event, registration) for a statistics query: what the event
-- attendance page counts (registrations not cancelled; checked in =
-- an effective "in" scan). Events in draft or cancelled are left out.
create index if not exists checkin_stats_idx on checkin(event_id,
    registration_id) where state = 'effective' and direction = 'in';

-- The numbers of GET /v1/stats/attendance for a scope (an agency, a set
-- of provinces) and filters f: fiscal_year_be, province, from, to (days
-- of the event's start, Asia/Bangkok, to inclusive), group_by. Rows per
-- registration as the event attendance page counts them: registrations
-- not cancelled; checked in = an effective entry scan. Events in draft
-- or cancelled are left out.
create function api.stats_compute(p_agency uuid, p_provs char(2)[], f jsonb,
    out body jsonb, out nrows int)
language plpgsql stable as $$
declare
	grp	text := coalesce(f->>'group_by', 'province');
	fy	int := (f->>'fiscal_year_be')::int;
	d_from	date := (f->>'from')::date;
	d_to	date := (f->>'to')::date;
	prov	char(2) := f->>'province';
	items	jsonb;
	totals	jsonb;
begin
	with ev as (
		select e.id, e.province_code, e.district_code,
		    to_char(e.starts_at at time zone 'Asia/Bangkok',
			'YYYY-MM') as month
		from event e
		where e.status in ('published', 'closed') and
		    (fy is null or e.fiscal_year_be = fy) and
		    (prov is null or e.province_code = prov::bpchar) and
		    (cardinality(p_provs) = 0 or e.province_code = any (p_provs)) and
		    (p_agency is null or e.agency_id = p_agency) and
		    (d_from is null or e.starts_at >=
			(d_from::timestamp at time zone 'Asia/Bangkok')) and
		    (d_to is null or e.starts_at <
			((d_to + 1)::timestamp at time zone 'Asia/Bangkok'))
	), came as (
		select distinct c.registration_id
		from checkin c join ev on ev.id = c.event_id
		where c.state = 'effective' and c.direction = 'in'
	), facts as (
		select ev.id as event_id, r.participant_id,
		    came.registration_id is not null as came, p.section40,
		    case grp
			when 'province' then ev.province_code::text
			when 'district' then ev.district_code::text
			when 'month' then ev.month
			when 'event' then ev.id::text
			else r.target_group end as k
		from ev
		left join registration r on r.event_id = ev.id and
		    r.status <> 'cancelled'
		left join participant p on p.id = r.participant_id
		left join came on came.registration_id = r.id
		where grp <> 'target_group' or r.participant_id is not null
	), cells as (
		select k, count(distinct event_id) as events,
		    count(participant_id) as regs,
		    count(*) filter (where came) as came,
		    count(distinct participant_id) as people,
		    count(distinct participant_id) filter (where section40)
			as s40
		from facts
		group by k
	)
	select coalesce((select jsonb_agg(api.stats_cell(case grp
		when 'province' then jsonb_build_object('province_code', k,
		    'province_name', (select name_th from province
			where code = k::bpchar))
		when 'district' then jsonb_build_object('district_code', k,
		    'district_name', (select name_th from district
			where code = k::bpchar))
		when 'month' then jsonb_build_object('month', k)
		when 'event' then jsonb_build_object('event_id', k,
		    'title', (select title from event where id = k::uuid))
		else jsonb_build_object('target_group', k)
		end, events, regs, came, people, s40) order by k nulls last)
		from cells), '[]'),
	    (select count(*) from cells),
	    (select api.stats_cell('{}', (select count(*) from ev),
		count(participant_id), count(*) filter (where came),
		count(distinct participant_id),
		count(distinct participant_id) filter (where section40))
		from facts)
	into items, nrows, totals;

	body := jsonb_build_object('group_by', grp,
	    'filters', jsonb_strip_nulls(jsonb_build_object(
		'fiscal_year_be', fy, 'province', prov,
		'from', d_from, 'to', d_to,
		'provinces', case when cardinality(p_provs) > 0 then
		    to_jsonb(p_provs) end)),
	    'generated_at', api.ts(now()),
	    'min_cell', 5,
	    'items', items, 'totals', totals);
end;
$$;

-- Computed answers, kept for p_ttl seconds per scope and filters: a
-- year's statistics take seconds to count and partners poll them. A
-- stale answer is recomputed by one request at a time (an advisory
-- lock); the others get the previous one meanwhile. generated_at says
-- when the numbers were counted.
create table stats_cache (
	key		text primary key,
	body		jsonb not null,
	nrows		int not null,
	computed_at	timestamptz not null
);

-- GET /v1/stats/attendance. Organisers see their own agency's events;
-- province-restricted partner clients see their provinces only (a
-- province outside them is 403, none given means all of theirs).
create function api.stats_attendance(actor jsonb, f jsonb, p_rate int,
    p_route text, p_ttl int default 0) returns api.result
language plpgsql as $$
declare
	g	record;
	res	api.result;
	arole	text := coalesce(api.actor_role(actor), '');
	agency	uuid;
	provs	char(2)[];
	prov	char(2) := f->>'province';
	k	text;
	c	stats_cache;
	body	jsonb;
	nrows	int;
begin
	if not (arole in ('admin', 'organizer', 'partner')) then
		return api.forbidden('Statistics are for admins, organisers ' ||
		    'and partners.');
	end if;
	g := api.partner_gate(actor, 'stats:read', p_rate);
	if (g.err).status is not null then
		perform api.partner_audit_write(actor, p_route, f, g.err, 0);
		return g.err;
	end if;
	provs := g.provinces;
	if arole = 'organizer' then
		agency := api.actor_agency(actor);
	end if;
	if prov is not null and cardinality(provs) > 0 and
	    not (prov = any (provs)) then
		res := api.forbidden('This client may read provinces ' ||
		    array_to_string(provs, ', ') || ' only.');
		perform api.partner_audit_write(actor, p_route, f, res, 0);
		return res;
	end if;

	if p_ttl > 0 then
		k := md5(jsonb_build_object('a', agency, 'p', provs,
		    'f', f)::text);
		select * into c from stats_cache where key = k;
		if c.key is not null and (c.computed_at > now() -
		    make_interval(secs => p_ttl) or
		    not pg_try_advisory_xact_lock(hashtext('stats:' || k))) then
			body := c.body;
			nrows := c.nrows;
		end if;
	end if;
	if body is null then
		select s.body, s.nrows into body, nrows
		from api.stats_compute(agency, provs, f) s;
		if p_ttl > 0 then
			insert into stats_cache as x (key, body, nrows,
			    computed_at)
			values (k, body, nrows, now())
			on conflict (key) do update set body = excluded.body,
			    nrows = excluded.nrows,
			    computed_at = excluded.computed_at;
			delete from stats_cache
			where computed_at < now() - interval '1 day';
		end if;
	end if;

	res := api.ok(200, body);
	perform api.partner_audit_write(actor, p_route, f, res, nrows);
	return res;
end;
$$;

-- ------------------------------------------------------------ change feed

-- The registrations change feed. Triggers append one row per change to
-- registration_feed with a bigserial and the writing transaction's id.
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
-- comes before one its transaction could have waited for. Rows of transactions
-- still running wait for the next read.
create table registration_feed (
	seq		bigserial primary key,
	xid		xid8 not null default pg_current_xact_id(),
	pos		bigint unique,
	at		timestamptz not null default clock_timestamp(),
	op		text not null check (op in ('create', 'update',
			    'check_in', 'cancel', 'delete')),
	registration_id	uuid not null,
	event_id	uuid not null,
	participant_id	uuid not null,
	-- A masked snapshot: never a name, national id or phone.
	data		jsonb
);
create index registration_feed_unstamped_idx on registration_feed(seq)
    where pos is null;

create function registration_feed_row(r registration, p_op text)
returns void
language sql as $$
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
		'checked_in', exists (select 1 from checkin c
		    where c.registration_id = r.id and
			c.state = 'effective' and c.direction = 'in'),
		'created_at', api.ts(r.created_at),
		'updated_at', api.ts(r.updated_at)) end
	from event e, participant p
	where e.id = r.event_id and p.id = r.participant_id
$$;

create function registration_feed_trigger() returns trigger
language plpgsql as $$
begin
	if tg_op = 'INSERT' then
		perform registration_feed_row(new, 'create');
	elsif tg_op = 'UPDATE' then
		perform registration_feed_row(new, case when
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
    on registration for each row execute function registration_feed_trigger();

-- An effective entry scan is a check-in; an annulled one an update.
create function checkin_feed_trigger() returns trigger
language plpgsql as $$
declare
	r	registration;
begin
	if new.registration_id is null or new.direction <> 'in' then
		return null;
	end if;
	if tg_op = 'INSERT' and new.state = 'effective' then
		select * into r from registration where id = new.registration_id;
		perform registration_feed_row(r, 'check_in');
	elsif tg_op = 'UPDATE' and new.state is distinct from old.state and
	    (new.state = 'effective' or old.state = 'effective') then
		select * into r from registration where id = new.registration_id;
		perform registration_feed_row(r, case when
		    new.state = 'effective' then 'check_in' else 'update' end);
	end if;
	return null;
end;
$$;

create trigger checkin_feed_aiu after insert or update on checkin
    for each row execute function checkin_feed_trigger();

-- Stamps positions on the rows that are final (see above); call before
-- reading. Returns how many it stamped.
create function registration_feed_stamp() returns int
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
	return n;
end;
$$;

-- GET /v1/feed/registrations. The cursor is the last position read (an
-- opaque base64url of "f:<pos>"); p_key: the caller's pseudonym key, so
-- each partner sees a stable participant id of its own.
create function api.feed_registrations(actor jsonb, p_key bytea,
    p_limit int, p_cursor text, p_rate int, p_route text)
returns api.result
language plpgsql as $$
declare
	g	record;
	res	api.result;
	p_after	bigint := 0;
	items	jsonb;
	n	int;
	last_pos bigint;
	raw	text;
	provs	char(2)[];
begin
	if not (coalesce(api.actor_role(actor), '') in ('admin', 'partner'))
	then
		return api.forbidden('The feed is for admins and partners.');
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
		begin
			raw := convert_from(decode(translate(p_cursor, '-_',
			    '+/') || repeat('=', (4 - length(p_cursor) % 4) %
			    4), 'base64'), 'UTF8');
		exception when others then
			raw := null;
		end;
		if raw is null or raw !~ '^f:[0-9]{1,18}$' then
			return api.bad_cursor();
		end if;
		p_after := substr(raw, 3)::bigint;
	end if;
	perform registration_feed_stamp();
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
	    count(*) filter (where rn <= p_limit),
	    max(x.pos) filter (where rn <= p_limit)
	into items, n, last_pos from numbered x;
	-- Always a cursor: the feed continues; an empty page keeps it.
	res := api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', rtrim(translate(encode(convert_to('f:' ||
		coalesce(last_pos, p_after), 'UTF8'), 'base64'), '+/', '-_'), '=')));
	perform api.partner_audit_write(actor, p_route,
	    jsonb_build_object('cursor', p_cursor, 'limit', p_limit), res,
	    jsonb_array_length(items));
	return res;
end;
$$;

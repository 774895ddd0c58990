-- Statistics for partners and staff (api/stats.c): GET
-- /v1/stats/attendance and its CSV, counted by api.stats_compute and kept
-- a while in stats_cache (api.stats_attendance, api.stats_refresh).
--
-- Disclosure control: consistent random rounding to base 5 (the method of
-- Statistics New Zealand's census tables and of the UK ONS tables).
-- Suppressing counts of 1 to 4 was not enough: a hidden cell came back by
-- subtraction, a two-day total minus a one-day total, a total minus its
-- visible parts (238 - 236 = 2).
--
-- Every people count is rounded to a multiple of 5: n = 5q + r (r > 0)
-- becomes 5q + 5 with probability r/5, else 5q. It is unbiased, off by at
-- most 4, and 0 stays 0. The draw is not fresh each time: it is the
-- cell's key, the sum of its records' keys mod 2^31 (the key of each
-- record is a random number kept with it, participant.stats_key, as in
-- the cell-key method of the Australian Bureau of Statistics). So the
-- same set of records rounds the same way in every query, whatever the
-- filters or grouping that gathered it: asking again, or the same cell
-- another way, gives nothing new to average. Two cells that differ by
-- one person have independent draws (the person's key is uniform and
-- secret), and every published figure, difference and sum is a multiple
-- of 5: the 1 to 4 people between two overlapping queries, or between a
-- total and its parts, cannot be told. Totals are rounded the same way
-- as cells of their own (from all their records), not summed from
-- rounded rows, so they may differ from the sum of the rows by a
-- multiple of 5. Event counts are not rounded: events are public.
--
-- The records of a count are participants: a registration counts with
-- its person's key (a person registered twice counts twice), so a row
-- whose registrations, check-ins and people are the same people rounds
-- them alike.

-- The numbers of GET /v1/stats/attendance for a scope (an agency, a set
-- of provinces) and filters f: fiscal_year_be, province, from, to (days
-- of the event's start, Asia/Bangkok, to inclusive), group_by. Rows per
-- registration as the event attendance page counts them: registrations
-- not cancelled; checked in = an effective entry scan. Events in draft
-- or cancelled are left out. People counts are rounded (api.stats_round).
create function api.stats_compute(p_agency uuid,
    p_provs char(2)[], f jsonb, out body jsonb, out nrows int)
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
		    (cardinality(p_provs) = 0 or
			e.province_code = any (p_provs)) and
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
		select ev.id as event_id, r.participant_id, p.stats_key as pk,
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
		    coalesce(sum(pk), 0) as regs_key,
		    count(*) filter (where came) as came,
		    coalesce(sum(pk) filter (where came), 0) as came_key
		from facts
		group by k
	), people as (
		-- Each person once per cell.
		select k, participant_id, min(pk) as pk,
		    bool_or(section40) as s40
		from facts
		where participant_id is not null
		group by k, participant_id
	), pcells as (
		select k, count(*) as people, sum(pk) as people_key,
		    count(*) filter (where s40) as s40,
		    coalesce(sum(pk) filter (where s40), 0) as s40_key
		from people
		group by k
	), everyone as (
		select participant_id, min(pk) as pk,
		    bool_or(section40) as s40
		from facts
		where participant_id is not null
		group by participant_id
	)
	select coalesce((select jsonb_agg(api.stats_rounded_cell(case grp
		when 'province' then jsonb_build_object('province_code', c.k,
		    'province_name', (select name_th from province
			where code = c.k::bpchar))
		when 'district' then jsonb_build_object('district_code', c.k,
		    'district_name', (select name_th from district
			where code = c.k::bpchar))
		when 'month' then jsonb_build_object('month', c.k)
		when 'event' then jsonb_build_object('event_id', c.k,
		    'title', (select title from event where id = c.k::uuid))
		else jsonb_build_object('target_group', c.k)
		end, c.events, c.regs, c.regs_key, c.came, c.came_key,
		coalesce(pc.people, 0), coalesce(pc.people_key, 0),
		coalesce(pc.s40, 0), coalesce(pc.s40_key, 0))
		order by c.k nulls last)
		from cells c
		left join pcells pc on pc.k is not distinct from c.k), '[]'),
	    (select count(*) from cells),
	    (select api.stats_rounded_cell('{}', (select count(*) from ev),
		count(participant_id), coalesce(sum(pk), 0),
		count(*) filter (where came),
		coalesce(sum(pk) filter (where came), 0),
		(select count(*) from everyone),
		(select coalesce(sum(pk), 0) from everyone),
		(select count(*) from everyone where s40),
		(select coalesce(sum(pk), 0) from everyone where s40))
		from facts)
	into items, nrows, totals;

	body := jsonb_build_object('group_by', grp,
	    'filters', jsonb_strip_nulls(jsonb_build_object(
		'fiscal_year_be', fy, 'province', prov,
		'from', d_from, 'to', d_to,
		'provinces', case when cardinality(p_provs) > 0 then
		    to_jsonb(p_provs) end)),
	    'generated_at', api.ts(now()),
	    'disclosure_control', jsonb_build_object(
		'method', 'consistent_random_rounding', 'base', 5),
	    'items', items, 'totals', totals);
end;
$$;

-- GET /v1/stats/attendance. Organisers see their own agency's events;
-- province-restricted partner clients see their provinces only (a
-- province outside them is 403, none given means all of theirs).
-- Readers: fresh (computed within p_ttl seconds) or at most twice that
-- (a refresh is on its way), or stale while another session counts it.
create function api.stats_attendance(actor jsonb, f jsonb,
    p_rate int, p_route text, p_ttl int default 0) returns api.result
language plpgsql as $$
<<fn>>
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
		return api.forbidden('audit.statistics_are_admins_organisers');
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
	res := api.partner_province_error(provs, prov);
	if (res).status is not null then
		perform api.partner_audit_write(actor, p_route, f, res, 0);
		return res;
	end if;

	if p_ttl > 0 then
		k := md5(jsonb_build_object('a', agency, 'p', provs,
		    'f', f)::text);
		select * into c from stats_cache where key = k;
		if c.key is not null and (c.computed_at > now() -
		    make_interval(secs => 2 * p_ttl) or
		    not pg_try_advisory_xact_lock(hashtext('stats:' || k))) then
			body := c.body;
			nrows := c.nrows;
			-- Keeps it on the refresher's list (a write per 10 s).
			if c.read_at < now() - interval '10 seconds' or
			    c.filters is null then
				update stats_cache set read_at = now(),
				    agency = fn.agency,
				    provinces = provs, filters = f
				where key = k;
			end if;
		end if;
	end if;
	if body is null then
		select s.body, s.nrows into body, nrows
		from api.stats_compute(agency, provs, f) s;
		if p_ttl > 0 then
			insert into stats_cache as x (key, body, nrows,
			    computed_at, agency, provinces, filters, read_at)
			values (k, body, nrows, now(), agency, provs, f, now())
			on conflict (key) do update set body = excluded.body,
			    nrows = excluded.nrows,
			    computed_at = excluded.computed_at,
			    agency = excluded.agency,
			    provinces = excluded.provinces,
			    filters = excluded.filters,
			    read_at = excluded.read_at;
			delete from stats_cache
			where read_at < now() - interval '1 day';
		end if;
	end if;

	res := api.ok(200, body);
	perform api.partner_audit_write(actor, p_route, f, res, nrows);
	return res;
end;
$$;

-- Counts again the stalest answer older than p_ttl seconds that was
-- read in the last 10 minutes, unless another session is counting it.
-- Returns 1 when it refreshed one, else 0. Called by the workers.
create function api.stats_refresh(p_ttl int) returns int
language plpgsql as $$
declare
	c	stats_cache;
	v_body	jsonb;
	v_nrows	int;
begin
	if p_ttl <= 0 then
		return 0;
	end if;
	for c in select * from stats_cache
	    where filters is not null and
		computed_at < now() - make_interval(secs => p_ttl) and
		read_at > now() - interval '10 minutes'
	    order by computed_at
	    limit 4
	loop
		if pg_try_advisory_xact_lock(hashtext('stats:' || c.key)) then
			select s.body, s.nrows into v_body, v_nrows
			from api.stats_compute(c.agency, c.provinces,
			    c.filters) s;
			update stats_cache set body = v_body, nrows = v_nrows,
			    computed_at = now()
			where key = c.key;
			return 1;
		end if;
	end loop;
	return 0;
end;
$$;

-- n rounded to base 5 by the draw key (a sum of record keys).
create function api.stats_round(n bigint, key bigint) returns bigint
language sql immutable parallel safe as $$
	select case when n % 5 = 0 then n
	    when (key % 2147483648) * 5 < (n % 5) * 2147483648 then
		n - n % 5 + 5
	    else n - n % 5 end
$$;

create function api.stats_rounded_cell(key jsonb, events bigint,
    regs bigint, regs_key bigint, came bigint, came_key bigint,
    people bigint, people_key bigint, s40 bigint, s40_key bigint)
returns jsonb
language sql immutable parallel safe as $$
	select key || jsonb_build_object('events', events,
	    'registrations', api.stats_round(regs, regs_key),
	    'checked_in', api.stats_round(came, came_key),
	    'unique_participants', api.stats_round(people, people_key),
	    'section40_members', api.stats_round(s40, s40_key))
$$;

-- Step 2 of the statistics: the scope from step 1, the filters.
create function api.stats_read(scope jsonb, f jsonb, out body jsonb,
    out nrows int)
language sql stable as $$
	select s.body, s.nrows
	from api.stats_compute((scope->>'agency')::uuid,
	    array(select jsonb_array_elements_text(scope->'provinces'))::char(2)[],
	    f) s
$$;

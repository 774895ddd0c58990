-- Statistics answers are refreshed in the background. Counting a year
-- of 770,000 registrations takes about 3.5 s here; with stats_cache alone
-- the first reader after each NGAN_STATS_TTL paid that. Now each worker
-- asks api.stats_refresh() every second (api/stats.c), which counts
-- again, one entry a call, an answer that has gone stale and that someone
-- read in the last 10 minutes; readers are answered from the cache while
-- that runs. Only a key nobody has asked for recently is counted while
-- its reader waits.
alter table stats_cache
    add column agency uuid,
    add column provinces char(2)[] not null default '{}',
    add column filters jsonb,
    add column read_at timestamptz not null default now();
comment on column stats_cache.filters is
    'What api.stats_compute() is given again on refresh; null for answers kept before 018 (not refreshed).';

create index stats_cache_refresh_idx on stats_cache (computed_at)
    where filters is not null;

-- Readers: fresh (computed within p_ttl seconds) or at most twice that
-- (a refresh is on its way), or stale while another session counts it.
create or replace function api.stats_attendance(actor jsonb, f jsonb,
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

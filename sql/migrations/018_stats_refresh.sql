-- Statistics answers are refreshed in the background. Counting a year
-- of 770,000 registrations takes about 3.5 s here; with stats_cache alone
-- the first reader after each NGAN_STATS_TTL paid that. Now each worker
-- asks api.stats_refresh() every second (api/stats.c), which counts
-- again, one entry a call, an answer that has gone stale and that someone
-- read in the last 10 minutes; readers are answered from the cache while
-- that runs. Only a key nobody has asked for recently is counted while
-- its reader waits.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- stats.sql.
alter table stats_cache
    add column agency uuid,
    add column provinces char(2)[] not null default '{}',
    add column filters jsonb,
    add column read_at timestamptz not null default now();
comment on column stats_cache.filters is
    'What api.stats_compute() is given again on refresh; null for answers kept before 018 (not refreshed).';

create index stats_cache_refresh_idx on stats_cache (computed_at)
    where filters is not null;

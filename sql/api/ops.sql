-- What the operations routes (api/ops.c: /metrics) read from the
-- database, beside what each worker counts itself.

-- For /metrics (api/ops.c), one row per channel: messages pending (due
-- or waiting for a retry), the age in seconds of the oldest of them (0
-- when none), and sends, failed attempts and dead letters since the
-- start (outbox_count). Nothing about a person.
create function api.outbox_metrics()
returns table (channel text, pending bigint, oldest_seconds double precision,
    sent bigint, failed bigint, dead bigint)
language sql stable as $$
	select c.channel, coalesce(q.n, 0),
	    coalesce(extract(epoch from now() - q.oldest)::float8, 0),
	    coalesce((select n.n from outbox_count n where n.channel =
		c.channel and n.outcome = 'sent'), 0),
	    coalesce((select n.n from outbox_count n where n.channel =
		c.channel and n.outcome = 'failed'), 0),
	    coalesce((select n.n from outbox_count n where n.channel =
		c.channel and n.outcome = 'dead'), 0)
	from unnest(array['email', 'line', 'sms', 'webhook']) c(channel)
	left join (select o.channel, count(*) n, min(o.created_at) oldest
	    from outbox o where o.status = 'pending' group by o.channel) q
	    on q.channel = c.channel
	order by c.channel
$$;

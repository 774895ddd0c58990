-- Issue 17, item 4: the change feed pruned past what every active partner
-- has read, or once older than NGAN_FEED_RETENTION_DAYS (the functions
-- are in sql/api/feed.sql).
--
-- A partner client's feed_read_pos is the position of the last cursor it
-- presented: everything up to there it has read and kept. feed_read_at
-- says when; a client that has not read within the retention holds
-- nothing back.
--
-- registration_feed_day: the first position stamped on each Bangkok day,
-- so the rows older than the retention are found without an index on
-- the time (which every check-in would then pay for).

alter table partner_client
    add column feed_read_pos bigint check (feed_read_pos >= 0),
    add column feed_read_at timestamptz;

create table registration_feed_day (
	day		date primary key,
	first_pos	bigint not null unique check (first_pos > 0)
);

insert into registration_feed_day (day, first_pos)
select (at at time zone 'Asia/Bangkok')::date, min(pos)
from registration_feed
where pos is not null
group by 1;

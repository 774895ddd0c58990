-- Issue 17, item 1: an event's counts kept with the event, so reading one
-- costs the same with 100,000 registrations as with none. The triggers
-- that keep them (sql/api/registrations.sql) add each change under the
-- event's row lock, which every seat change takes first: two changes to
-- one event's counts never race.

alter table event
    add column confirmed_count int not null default 0
	check (confirmed_count >= 0),
    add column waitlisted_count int not null default 0
	check (waitlisted_count >= 0);

update event e set confirmed_count = c.confirmed,
    waitlisted_count = c.waitlisted
from (select event_id,
	count(*) filter (where status = 'confirmed') as confirmed,
	count(*) filter (where status = 'waitlisted') as waitlisted
    from registration group by event_id) c
where c.event_id = e.id;

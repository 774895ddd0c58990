-- Issue 15, item 6: the waitlist position told is the one listed after.
--
-- A registration's place in line was its created_at, now(): the start of
-- its transaction, not the moment it took the event's lock. Two requests
-- that arrived together took the lock in one order and stood in line in
-- the other: the later one counted the rows stored before it and told a
-- number the earlier one (stored after, with an older created_at) then
-- pushed back by one, so one number was told twice and another never.
--
-- The line is now seq, from a sequence, taken as the row is inserted. Every
-- function that inserts a registration or moves a seat holds the event's
-- row lock (select ... for update) from before it inserts to its commit,
-- so within one event seq grows in the order the lock was taken, and the
-- rows counted ahead of a new one are all committed: the position a
-- request answers is the one every later read gives (until someone ahead
-- leaves the line). The sequence is not cached, so its values are handed
-- out in call order across sessions.

create sequence registration_seq as bigint;

alter table registration add column seq bigint;
-- Existing rows keep the order they were listed in. A database made
-- before sql/api/ still has its feed trigger (schema public) while the
-- migrations run: numbering the rows is no change to tell partners of.
alter table registration disable trigger user;
update registration r set seq = o.n
from (select id, row_number() over (order by created_at, id) as n
	from registration) o
where o.id = r.id;
alter table registration enable trigger user;
select setval('registration_seq', coalesce((select max(seq)
    from registration), 0) + 1, false);
alter table registration alter column seq
    set default nextval('registration_seq');
alter table registration alter column seq set not null;
alter sequence registration_seq owned by registration.seq;
alter table registration add constraint registration_event_seq_key
    unique (event_id, seq);
create index registration_waitlist_seq_idx on registration(event_id, seq)
    where status = 'waitlisted';
drop index registration_waitlist_idx;

-- Its functions (api.waitlist_position, api.registration_cancel,
-- api.registrations_list) are in sql/api/registrations.sql.

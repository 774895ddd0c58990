-- HTTP-facing functions for registrations: create (one, or many from a
-- CSV import), read, list, cancel with waitlist promotion, export.
--
-- Seats. A target group with a quota fills its own seats; the groups
-- without one share a pool of what the quotas leave of the capacity.
-- Everyone past that is waitlisted. Every function that hands out or
-- frees a seat first locks the event row (select ... for update), so
-- registrations of one event take turns and the counts cannot race.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- registrations.sql.

create index registration_confirmed_idx on registration(event_id,
    target_group) where status = 'confirmed';

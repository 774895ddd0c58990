-- Tickets and scanner assignment. A ticket is a token signed by the
-- server naming the registration, its event and a version: raising the
-- version (reissue) or cancelling the registration revokes older tokens.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- tickets.sql, scanners.sql.

alter table registration add column ticket_version int not null default 1
    check (ticket_version >= 1);

create table event_scanner (
	event_id	uuid not null references event(id) on delete cascade,
	user_id		uuid not null references app_user(id),
	assigned_by	uuid references app_user(id),
	assigned_at	timestamptz not null default now(),
	primary key (event_id, user_id)
);
create index event_scanner_user_idx on event_scanner(user_id);

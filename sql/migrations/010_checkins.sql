-- Check-in: every scan of a ticket at the door, online or uploaded from an
-- offline device, with its answer; the check-ins that count; the scan
-- log, duplicate groups, attendance and the scanner manifest.
--
-- A scan is one row of checkin, whatever its outcome (rejected ones too:
-- the log shows them), keyed by the device's nonce so a retry gets the
-- first answer back. The row that counts for a (registration, session,
-- direction) has state 'effective'; a unique partial index keeps it one,
-- so two devices scanning one ticket at the same instant get one 201.
-- Later scans of the same ticket are 'rejected' (answered at once) or
-- 'duplicate' (uploaded offline, or an online check-in displaced by an
-- earlier offline scan); an undone check-in is 'annulled'.
--
-- No foreign key to event, session or app_user: a foreign key check
-- locks the row it points at, and every scan of an event would lock the
-- same event (and scanner) row. Events and users are never deleted; a
-- session with scans cannot be (trigger below).
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- sessions.sql, checkins.sql.

alter table event
    add column min_sessions int check (min_sessions between 1 and 1000),
    add column min_minutes int check (min_minutes between 1 and 100000);

create table checkin (
	id		uuid primary key default gen_random_uuid(),
	event_id	uuid not null,
	registration_id	uuid references registration(id),
	session_id	uuid,
	direction	text not null check (direction in ('in', 'out')),
	state		text not null check (state in ('effective',
			    'duplicate', 'rejected', 'annulled')),
	result		text not null check (result ~ '^[a-z_]{1,40}$'),
	scanned_at	timestamptz not null,
	received_at	timestamptz not null default now(),
	device_id	text check (length(device_id) between 1 and 100),
	user_id		uuid,
	nonce		text not null unique
			    check (nonce ~ '^[A-Za-z0-9._:-]{8,100}$'),
	ticket_hash	bytea,
	ticket_version	int,
	offline		boolean not null default false,
	-- The first answer, sent again byte for byte to a retry.
	status		int not null check (status between 200 and 499),
	answer		jsonb not null,
	annulled_at	timestamptz,
	annulled_by	uuid,
	check ((state = 'annulled') = (annulled_at is not null)),
	check (state = 'rejected' or registration_id is not null)
);

create unique index checkin_effective_idx on checkin (registration_id,
    coalesce(session_id, '00000000-0000-0000-0000-000000000000'::uuid),
    direction) where state = 'effective';
-- The log, and the attendance report's tag: by event, in order of receipt.
create index checkin_log_idx on checkin (event_id, received_at, id);
-- Duplicate groups (rare): by event, then ticket.
create index checkin_duplicate_idx on checkin (event_id, registration_id)
    where state = 'duplicate';

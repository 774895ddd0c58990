-- Partner data: managing partner clients, the rate limit and audit of
-- partner reads, attendance statistics with small-cell suppression, and
-- the registrations change feed.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- partners.sql, audit.sql, stats.sql, feed.sql.

-- ------------------------------------------------------------ gate, audit

-- One row per partner read (a partner client, or a user with the partner
-- role): who, which route, the query, the status and how many rows it got.
-- Never personal data: the query holds filters and cursors only.
create table partner_audit (
	id		bigserial primary key,
	at		timestamptz not null default clock_timestamp(),
	actor_id	uuid not null,
	actor_kind	text not null check (actor_kind in ('client', 'user')),
	route		text not null check (length(route) <= 200),
	query		jsonb not null default '{}',
	status		int not null check (status between 100 and 599),
	rows		int not null default 0 check (rows >= 0)
);
create index partner_audit_at_idx on partner_audit(at, id);
create index partner_audit_actor_idx on partner_audit(actor_id, at, id);

-- Fixed one-minute windows per partner client, shared by all workers.
create table partner_rate (
	client		uuid primary key references partner_client(id),
	window_start	timestamptz not null,
	n		int not null
);

-- ------------------------------------------------------------ statistics

-- Rows per (event, registration) for a statistics query: what the event
-- attendance page counts (registrations not cancelled; checked in =
-- an effective "in" scan). Events in draft or cancelled are left out.
create index if not exists checkin_stats_idx on checkin(event_id,
    registration_id) where state = 'effective' and direction = 'in';

-- Computed answers, kept for p_ttl seconds per scope and filters: a
-- year's statistics take seconds to count and partners poll them. A
-- stale answer is recomputed by one request at a time (an advisory
-- lock); the others get the previous one meanwhile. generated_at says
-- when the numbers were counted.
create table stats_cache (
	key		text primary key,
	body		jsonb not null,
	nrows		int not null,
	computed_at	timestamptz not null
);

-- ------------------------------------------------------------ change feed

-- The registrations change feed. Triggers append one row per change to
-- registration_feed with a bigserial and the writing transaction's id.
-- Serial numbers are handed out when a row is written, not when its
-- transaction commits: a reader paging by seq alone could pass seq 7
-- (committed) while seq 6 is still in flight, and never see 6.
--
-- So readers assign the feed position (pos) themselves, under an
-- advisory lock, and only to rows whose transaction is older than every
-- transaction still running (xid < xmin of the current snapshot): such
-- a transaction has ended, so its rows are committed and final, and no
-- row with an xid below that horizon can ever appear later. Positions
-- grow with each stamping, so a row stamped later always lands after
-- every cursor handed out before: no gaps, no repeats, and a row never
-- comes before one its transaction could have waited for. Rows of transactions
-- still running wait for the next read.
create table registration_feed (
	seq		bigserial primary key,
	xid		xid8 not null default pg_current_xact_id(),
	pos		bigint unique,
	at		timestamptz not null default clock_timestamp(),
	op		text not null check (op in ('create', 'update',
			    'check_in', 'cancel', 'delete')),
	registration_id	uuid not null,
	event_id	uuid not null,
	participant_id	uuid not null,
	-- A masked snapshot: never a name, national id or phone.
	data		jsonb
);
create index registration_feed_unstamped_idx on registration_feed(seq)
    where pos is null;

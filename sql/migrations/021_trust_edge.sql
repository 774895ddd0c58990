-- Issue 14: a sign-in throttle nobody can turn against a chosen account
-- or against everyone.
--
-- Failures are counted per (username, client) and per client, the client
-- being a keyed hash of the address a request comes from (api/edge.c:
-- behind a trusted proxy, the address it names; IPv6 by /64), never the
-- address itself. The limits, over the last 15 minutes:
--   5 failures for one username from one client: that pair waits;
--   30 failures from one client: that client waits, whatever the name;
--   10 failures for one username from anywhere: clients that have not
--      signed in to the account in the last 90 days wait; the ones that
--      have (sign_in_device) do not, so the right password from a known
--      device always works.
-- A refused try is not counted, so waiting cannot be extended by trying.
-- login_failure and api.login_* (003) are no longer used.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- auth.sql.

create table sign_in_failure (
	username	text not null check (length(username) <= 200),
	client		text not null check (client ~ '^[0-9a-f]{32}$'),
	at		timestamptz not null default now()
);
create index sign_in_failure_user_idx on sign_in_failure (username, client, at);
create index sign_in_failure_client_idx on sign_in_failure (client, at);
create index sign_in_failure_at_idx on sign_in_failure (at);

-- Clients an account has signed in from.
create table sign_in_device (
	user_id		uuid not null references app_user(id) on delete cascade,
	client		text not null check (client ~ '^[0-9a-f]{32}$'),
	last_at		timestamptz not null default now(),
	primary key (user_id, client)
);

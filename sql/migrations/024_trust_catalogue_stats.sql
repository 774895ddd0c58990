-- Issue 14, items 4, 7, 8 and 11 (partner accounts): who writes the
-- catalogue, ticket links that end, statistics under consistent random
-- rounding, and partner user accounts held to their partner client's
-- scope, provinces and rate limit.
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- groups.sql, products.sql, tickets.sql, stats.sql, partners.sql.

-- ------------------------------------------------------------ statistics

-- Disclosure control: consistent random rounding to base 5, explained
-- in sql/api/stats.sql. Each person keeps a secret random record key;
-- a cell's draw is the sum of its records' keys.

alter table participant add column stats_key int not null
    default (('x' || encode(gen_random_bytes(4), 'hex'))::bit(32)::int &
	2147483647);
comment on column participant.stats_key is
    'Random record key for the statistics'' rounding (api.stats_round); never shown.';

-- Answers counted before the rounding must not be served again.
delete from stats_cache;

-- ------------------------------------------------------------ partner accounts

-- A partner user account (role partner, kind user) used to read the
-- statistics and the feed with no scope, no province limit and no rate
-- limit: more than any partner client. It stays, because a partner's
-- staff reading figures should each sign in as themselves (their own
-- password, their own audit trail, no shared client secret), but now it
-- acts for one partner client and is held to exactly what that client
-- may do: its scopes, its provinces, its active flag, and its rate limit,
-- counted in the client's own window (one budget per partner, however
-- many people read for it). An account linked to no client reads
-- nothing (403). Admins link accounts at
-- /v1/partner-clients/{id}/users/{user_id}.

alter table app_user add column partner_client_id uuid
    references partner_client(id);
create index app_user_partner_client_idx on app_user(partner_client_id)
    where partner_client_id is not null;

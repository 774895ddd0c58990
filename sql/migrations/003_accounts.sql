-- Agencies, staff accounts, refresh-token families, login throttling and
-- partner clients. Secrets are never stored: passwords as argon2id
-- strings, refresh tokens and client secrets as SHA-256 (they are 256-bit
-- random values, so a fast hash is enough).
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- auth.sql.

create table agency (
	id		uuid primary key default gen_random_uuid(),
	name		text not null check (length(name) between 1 and 300),
	kind		text not null check (kind in ('ministry_office',
			    'civil_society', 'partner_foundation',
			    'local_government', 'other')),
	province_code	char(2) references province(code),
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now()
);
create index agency_list_idx on agency(created_at, id);

create table app_user (
	id		uuid primary key default gen_random_uuid(),
	username	text not null unique
			    check (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
	display_name	text not null
			    check (length(display_name) between 1 and 200),
	role		text not null check (role in ('admin', 'organizer',
			    'scanner', 'partner')),
	agency_id	uuid references agency(id),
	password_hash	text not null check (password_hash like '$argon2id$%'),
	active		boolean not null default true,
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	check (role not in ('organizer', 'scanner') or agency_id is not null)
);
create index app_user_list_idx on app_user(created_at, id);
create index app_user_agency_idx on app_user(agency_id);

-- One login and the chain of refresh tokens rotated from it.
create table auth_session (
	id		uuid primary key default gen_random_uuid(),
	user_id		uuid not null references app_user(id),
	created_at	timestamptz not null default now(),
	revoked_at	timestamptz,
	revoked_reason	text
);
create index auth_session_user_idx on auth_session(user_id);

create table refresh_token (
	token_sha256	bytea primary key check (length(token_sha256) = 32),
	session_id	uuid not null references auth_session(id),
	issued_at	timestamptz not null default now(),
	expires_at	timestamptz not null,
	used_at		timestamptz
);
create index refresh_token_session_idx on refresh_token(session_id);

create table login_failure (
	key		text not null,
	at		timestamptz not null default now()
);
create index login_failure_key_idx on login_failure(key, at);

create table partner_client (
	id		uuid primary key default gen_random_uuid(),
	client_id	text not null unique
			    check (client_id ~ '^pc_[0-9a-f]{24}$'),
	secret_sha256	bytea not null check (length(secret_sha256) = 32),
	name		text not null check (length(name) between 1 and 200),
	scopes		text[] not null check (scopes <@
			    array['stats:read', 'feed:read']::text[] and
			    cardinality(scopes) between 1 and 2),
	provinces	char(2)[] not null default '{}',
	active		boolean not null default true,
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now()
);

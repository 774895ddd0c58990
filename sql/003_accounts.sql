-- Agencies, staff accounts, refresh-token families, login throttling and
-- partner clients. Secrets are never stored: passwords as argon2id
-- strings, refresh tokens and client secrets as SHA-256 (they are 256-bit
-- random values, so a fast hash is enough).

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

-- Login throttling: 5 failures per username or 30 per address in 15
-- minutes. Returns the seconds to wait, 0 when a try is allowed.
create function api.login_wait(p_username text, p_addr text) returns int
language sql stable as $$
	select coalesce(max(ceil(extract(epoch from
	    w.oldest + interval '15 minutes' - now())))::int, 0)
	from (
		select min(at) as oldest, count(*) as n, 5 as lim
		from login_failure
		where key = 'u:' || p_username and
		    at > now() - interval '15 minutes'
		union all
		select min(at), count(*), 30
		from login_failure
		where key = 'a:' || p_addr and
		    at > now() - interval '15 minutes'
	) w
	where w.n >= w.lim
$$;

create function api.login_lookup(p_username text, p_addr text,
    out wait_seconds int, out user_id uuid, out password_hash text,
    out role text, out agency_id uuid, out active boolean)
language sql stable as $$
	select api.login_wait(p_username, p_addr), u.id, u.password_hash,
	    u.role, u.agency_id, u.active
	from (select 1) one
	left join app_user u on u.username = p_username
$$;

create function api.login_failed(p_username text, p_addr text) returns void
language sql as $$
	delete from login_failure where at < now() - interval '1 day';
	insert into login_failure (key) values ('u:' || p_username),
	    ('a:' || p_addr);
$$;

-- A successful password login: a new session with its first refresh token.
create function api.session_open(p_user uuid, p_username text,
    p_refresh bytea, p_ttl int) returns uuid
language plpgsql as $$
declare
	sid	uuid;
begin
	delete from login_failure where key = 'u:' || p_username;
	insert into auth_session (user_id) values (p_user) returning id
	    into sid;
	insert into refresh_token (token_sha256, session_id, expires_at)
	values (p_refresh, sid, now() + make_interval(secs => p_ttl));
	return sid;
end;
$$;

-- Rotates a refresh token. A token presented a second time means it was
-- stolen or replayed: the whole session is revoked (RFC 6819 5.2.2.3).
create function api.refresh_rotate(p_old bytea, p_new bytea, p_ttl int,
    out outcome text, out user_id uuid, out role text, out agency_id uuid,
    out session_id uuid)
language plpgsql as $$
declare
	t	refresh_token;
	s	auth_session;
	u	app_user;
begin
	select * into t from refresh_token where token_sha256 = p_old
	    for update;
	if not found then
		outcome := 'invalid';
		return;
	end if;
	select * into s from auth_session where id = t.session_id for update;
	if t.used_at is not null then
		update auth_session set revoked_at = coalesce(revoked_at, now()),
		    revoked_reason = coalesce(revoked_reason, 'reuse')
		where id = s.id;
		outcome := 'reuse';
		return;
	end if;
	select * into u from app_user where id = s.user_id;
	if s.revoked_at is not null or t.expires_at <= now() or
	    not u.active then
		outcome := 'invalid';
		return;
	end if;
	update refresh_token set used_at = now() where token_sha256 = p_old;
	insert into refresh_token (token_sha256, session_id, expires_at)
	values (p_new, s.id, now() + make_interval(secs => p_ttl));
	outcome := 'ok';
	user_id := u.id;
	role := u.role;
	agency_id := u.agency_id;
	session_id := s.id;
end;
$$;

-- RFC 7009: revoking is quiet about tokens it does not know.
create function api.revoke_refresh(p_token bytea) returns void
language sql as $$
	update auth_session set revoked_at = now(), revoked_reason = 'revoked'
	where revoked_at is null and id =
	    (select session_id from refresh_token where token_sha256 = p_token)
$$;

create function api.revoke_session(p_session uuid) returns void
language sql as $$
	update auth_session set revoked_at = now(), revoked_reason = 'revoked'
	where revoked_at is null and id = p_session
$$;

create function api.client_lookup(p_client_id text, p_secret bytea,
    out id uuid, out scopes text[], out provinces char(2)[])
language sql stable as $$
	select c.id, c.scopes, c.provinces from partner_client c
	where c.client_id = p_client_id and c.secret_sha256 = p_secret and
	    c.active
$$;

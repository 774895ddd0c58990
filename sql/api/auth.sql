-- Sign-in, refresh and revocation (api/auth.c): sessions, refresh tokens,
-- partner client lookup, and the sign-in throttle. The C layer verifies
-- passwords and signs tokens; these keep the state.

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

-- Seconds until a try is heard (0: now): for each limit reached, until
-- the failure that reached it leaves the window.
create function api.sign_in_wait(p_username text, p_client text,
    p_known boolean) returns int
language sql stable as $$
	select coalesce(max(ceil(extract(epoch from
	    f.at + interval '15 minutes' - now())))::int, 0)
	from (
		(select at from sign_in_failure
		where username = p_username and client = p_client and
		    at > now() - interval '15 minutes'
		order by at desc offset 4 limit 1)
		union all
		(select at from sign_in_failure
		where client = p_client and at > now() - interval '15 minutes'
		order by at desc offset 29 limit 1)
		union all
		(select at from sign_in_failure
		where username = p_username and not p_known and
		    at > now() - interval '15 minutes'
		order by at desc offset 9 limit 1)
	) f
$$;

create function api.sign_in_lookup(p_username text, p_client text,
    out wait_seconds int, out user_id uuid, out password_hash text,
    out role text, out agency_id uuid, out active boolean)
language sql stable as $$
	select api.sign_in_wait(p_username, p_client, exists (select 1
		from sign_in_device d where d.user_id = u.id and
		d.client = p_client and
		d.last_at > now() - interval '90 days')),
	    u.id, u.password_hash, u.role, u.agency_id, u.active
	from (select 1) one
	left join app_user u on u.username = p_username
$$;

create function api.sign_in_failed(p_username text, p_client text)
returns void
language sql as $$
	delete from sign_in_failure where at < now() - interval '1 day';
	insert into sign_in_failure (username, client)
	values (left(p_username, 200), p_client);
$$;

-- With api.session_open in the same statement: the pair's failures go,
-- the client becomes a known device of the account.
create function api.sign_in_succeeded(p_user uuid, p_username text,
    p_client text) returns void
language sql as $$
	delete from sign_in_failure
	where username = p_username and client = p_client;
	insert into sign_in_device (user_id, client) values (p_user, p_client)
	on conflict (user_id, client) do update set last_at = now();
	delete from sign_in_device
	where user_id = p_user and last_at < now() - interval '90 days';
$$;

-- client_credentials (RFC 6749 4.4): authenticates the client and opens
-- its session in one statement. p_scopes null asks for every scope the
-- client has; a scope it lacks is invalid_scope and opens nothing.
create function api.client_token_open(p_client_id text, p_secret bytea,
    p_scopes text[], out outcome text, out id uuid, out scope text,
    out session_id uuid)
language plpgsql as $$
declare
	c	partner_client;
begin
	select * into c from partner_client pc
	where pc.client_id = p_client_id and pc.secret_sha256 = p_secret and
	    pc.active;
	if not found then
		outcome := 'invalid_client';
		return;
	end if;
	if p_scopes is not null and not (p_scopes <@ c.scopes) then
		outcome := 'invalid_scope';
		return;
	end if;
	insert into auth_session (partner_client_id) values (c.id)
	returning auth_session.id into session_id;
	outcome := 'ok';
	id := c.id;
	scope := array_to_string(array(select s from unnest(c.scopes) s
	    where p_scopes is null or s = any (p_scopes)), ' ');
end;
$$;

-- RFC 7009 2.1: the token is found by its session (an access token's
-- sid, verified in C) or its hash (a refresh token). p_client_id null:
-- no client authenticated (the apps, public clients), which may revoke
-- users' tokens only; a partner client authenticates and revokes only
-- its own. Outcomes: invalid_client (wrong credentials), unknown (no
-- such token: RFC 7009 answers 200 all the same), not_yours, revoked.
create function api.revoke_token(p_client_id text, p_secret bytea,
    p_session uuid, p_refresh bytea) returns text
language plpgsql as $$
declare
	c	uuid;
	s	auth_session;
begin
	if p_client_id is not null then
		select pc.id into c from partner_client pc
		where pc.client_id = p_client_id and
		    pc.secret_sha256 = p_secret and pc.active;
		if not found then
			return 'invalid_client';
		end if;
	end if;
	if p_session is not null then
		select * into s from auth_session a where a.id = p_session;
	elsif p_refresh is not null then
		select a.* into s from auth_session a
		join refresh_token t on t.session_id = a.id
		where t.token_sha256 = p_refresh;
	end if;
	if s.id is null then
		return 'unknown';
	end if;
	if s.partner_client_id is distinct from c then
		return 'not_yours';
	end if;
	update auth_session set revoked_at = now(), revoked_reason = 'revoked'
	where auth_session.id = s.id and revoked_at is null;
	return 'revoked';
end;
$$;

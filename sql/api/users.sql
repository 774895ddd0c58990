-- /v1/me and /v1/users (api/users.c). The C layer has checked the token,
-- the role where a role alone decides, and the shape of the body; these
-- functions check what needs the data (agency scope, existence,
-- uniqueness, versions).

-- Stable (it uses api.ts), so that it is inlined into its callers' plans.
create function api.user_json(u app_user) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', u.id, 'username', u.username,
	    'display_name', u.display_name, 'role', u.role,
	    'agency_id', u.agency_id, 'active', u.active,
	    'created_at', api.ts(u.created_at),
	    'updated_at', api.ts(u.updated_at))
$$;

-- GET /v1/me: the caller's account, or for a partner client the client,
-- with the token's scope (which may be narrower than the client's). It
-- checks the session itself (a revoked token is refused here: /v1/me
-- binds no api.live_actor).
create function api.me(actor jsonb) returns api.result
language plpgsql stable as $$
declare
	u	app_user;
	c	partner_client;
begin
	if actor->>'kind' = 'client' then
		select * into c from partner_client
		where id = (actor->>'sub')::uuid and active;
		if not found then
			return api.problem(401, 'unauthorized',
			    'partners.client_disabled');
		end if;
		if exists (select from auth_session
		    where id = (actor->>'sid')::uuid and
			revoked_at is not null) then
			return api.problem(401, 'unauthorized',
			    'users.token_been_revoked');
		end if;
		return api.ok(200, jsonb_build_object('id', c.id,
		    'name', c.name, 'role', 'partner', 'kind', 'client',
		    'scope', coalesce(actor->>'scope',
			array_to_string(c.scopes, ' ')),
		    'provinces', to_jsonb(c.provinces)));
	end if;
	select * into u from app_user where id = (actor->>'sub')::uuid;
	if not found or not u.active or exists (select 1 from auth_session
	    where id = (actor->>'sid')::uuid and revoked_at is not null) then
		return api.problem(401, 'unauthorized',
		    'users.session_ended_sign_again');
	end if;
	return api.ok(200, jsonb_build_object('id', u.id,
	    'username', u.username, 'display_name', u.display_name,
	    'role', u.role, 'agency_id', u.agency_id, 'scope', u.role,
	    'kind', 'user'));
end;
$$;

create function api.users_list(actor jsonb, p_role text, p_agency uuid,
    p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	last_at	timestamptz;
	last_id	uuid;
	n	int;
	scope	uuid;
begin
	if api.actor_role(actor) = 'organizer' then
		scope := api.actor_agency(actor);
	elsif api.actor_role(actor) <> 'admin' then
		return api.forbidden('users.admins_organisers_list_users');
	end if;
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	with page as (
		select u from app_user u
		where (p_role is null or u.role = p_role) and
		    (p_agency is null or u.agency_id = p_agency) and
		    (scope is null or u.agency_id = scope) and
		    (p_cursor is null or (u.created_at, u.id) > (c_at, c_id))
		order by u.created_at, u.id
		limit p_limit + 1
	), numbered as (
		select u, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.user_json(u) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((u).created_at order by rn) filter (where rn = p_limit))[1],
	    (array_agg((u).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

create function api.user_get(actor jsonb, p_id uuid) returns api.result
language plpgsql stable as $$
declare
	u	app_user;
begin
	select * into u from app_user where id = p_id;
	-- coalesce: a NULL agency must deny, not slip through IF.
	if not found or not coalesce(api.actor_role(actor) = 'admin' or
	    (actor->>'sub')::uuid = u.id or
	    (api.actor_role(actor) = 'organizer' and
	    u.agency_id = api.actor_agency(actor)), false) then
		return api.not_found('not_found.user');
	end if;
	return api.ok(200, api.user_json(u), '"' || u.version || '"');
end;
$$;

create function api.user_create(actor jsonb, body jsonb, p_hash text)
returns api.result
language plpgsql as $$
declare
	u	app_user;
	agency_id uuid := nullif(body->>'agency_id', '')::uuid;
begin
	if api.actor_role(actor) = 'organizer' and
	    (body->>'role' <> 'scanner' or
	    agency_id is distinct from api.actor_agency(actor)) then
		return api.forbidden('users.organisers_create_scanner_accounts');
	end if;
	if body->>'role' in ('organizer', 'scanner') and agency_id is null then
		return api.field_error('agency_id', 'required',
		    'users.organisers_scanners_belong_agency');
	end if;
	if agency_id is not null and not exists (select 1 from agency
	    where id = agency_id) then
		return api.field_error('agency_id', 'not_found',
		    'field.agency_unknown');
	end if;
	if exists (select 1 from app_user where username = body->>'username')
	then
		return api.problem(409, 'conflict', 'users.username_taken');
	end if;
	insert into app_user (username, display_name, role, agency_id,
	    password_hash)
	values (body->>'username', body->>'display_name', body->>'role',
	    agency_id, p_hash)
	returning * into u;
	return api.ok(201, api.user_json(u), '"' || u.version || '"',
	    '/v1/users/' || u.id);
exception when unique_violation then
	return api.problem(409, 'conflict', 'users.username_taken');
end;
$$;

-- PATCH with If-Match: p_version is the ETag's number.
create function api.user_patch(actor jsonb, p_id uuid, p_version int,
    body jsonb, p_hash text) returns api.result
language plpgsql as $$
declare
	u	app_user;
	n	app_user;
begin
	select * into u from app_user where id = p_id for update;
	if not found then
		return api.not_found('not_found.user');
	end if;
	if u.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'users.user_was_changed_since');
	end if;
	n := u;
	if body ? 'display_name' then
		n.display_name := body->>'display_name';
	end if;
	if body ? 'role' then
		n.role := body->>'role';
	end if;
	if body ? 'agency_id' then
		n.agency_id := nullif(body->>'agency_id', '')::uuid;
	end if;
	if body ? 'active' then
		n.active := (body->>'active')::boolean;
	end if;
	if p_hash is not null then
		n.password_hash := p_hash;
	end if;
	if n.role in ('organizer', 'scanner') and n.agency_id is null then
		return api.field_error('agency_id', 'required',
		    'users.organisers_scanners_belong_agency');
	end if;
	if n.agency_id is not null and not exists (select 1 from agency
	    where id = n.agency_id) then
		return api.field_error('agency_id', 'not_found',
		    'field.agency_unknown');
	end if;
	update app_user set display_name = n.display_name, role = n.role,
	    agency_id = n.agency_id, active = n.active,
	    password_hash = n.password_hash, version = version + 1,
	    updated_at = now()
	where id = p_id returning * into n;
	-- A new password or a disabled account ends every open session.
	if p_hash is not null or not n.active then
		update auth_session set revoked_at = now(),
		    revoked_reason = 'account changed'
		where user_id = p_id and revoked_at is null;
	end if;
	return api.ok(200, api.user_json(n), '"' || n.version || '"');
end;
$$;

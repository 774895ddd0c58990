-- /v1/partner-clients and their user accounts (api/partners.c), and the
-- gate of every partner read (scope, provinces, rate).

-- A 422 naming the first code in p_provs that is no province, or null.
create function api.partner_provinces_error(p_provs char(2)[])
returns api.result
language sql stable as $$
	select api.field_error('provinces', 'not_found',
	    'partners.province_unknown', jsonb_build_object('bad', p))
	from unnest(coalesce(p_provs, '{}')) p
	where not exists (select 1 from province where code = p)
	limit 1
$$;

-- A province-restricted partner (p_provs not empty) asking for another
-- province p_prov: the 403, else null.
create function api.partner_province_error(p_provs char(2)[],
    p_prov char(2)) returns api.result
language sql immutable as $$
	select case when p_prov is not null and cardinality(p_provs) > 0 and
	    not (p_prov = any (p_provs)) then
		api.forbidden('partners.provinces_only',
		    jsonb_build_object('provinces',
		    array_to_string(p_provs, ', ')))
	    end
$$;

create function api.partner_client_create(actor jsonb, body jsonb,
    p_client_id text, p_secret bytea) returns api.result
language plpgsql as $$
declare
	c	partner_client;
	provs	char(2)[];
	err	api.result;
begin
	select array_agg(p) into provs
	from jsonb_array_elements_text(coalesce(body->'provinces', '[]')) p;
	err := api.partner_provinces_error(provs);
	if (err).status is not null then
		return err;
	end if;
	insert into partner_client (client_id, secret_sha256, name, scopes,
	    provinces)
	values (p_client_id, p_secret, body->>'name',
	    array(select distinct jsonb_array_elements_text(body->'scopes')
		order by 1),
	    coalesce(provs, '{}'))
	returning * into c;
	return api.ok(201, jsonb_build_object('id', c.id,
	    'client_id', c.client_id, 'name', c.name,
	    'scopes', to_jsonb(c.scopes), 'provinces', to_jsonb(c.provinces),
	    'active', c.active, 'created_at', api.ts(c.created_at)),
	    '"' || c.version || '"', '/v1/partner-clients/' || c.id);
end;
$$;

-- Stable (it uses api.ts), so that it is inlined into its callers' plans.
create function api.partner_client_json(c partner_client) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', c.id, 'client_id', c.client_id,
	    'name', c.name, 'scopes', to_jsonb(c.scopes),
	    'provinces', to_jsonb(c.provinces), 'active', c.active,
	    'created_at', api.ts(c.created_at),
	    'updated_at', api.ts(c.updated_at))
$$;

create function api.partner_clients_list(actor jsonb, p_limit int,
    p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	last_at	timestamptz;
	last_id	uuid;
	n	int;
begin
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
	end if;
	with page as (
		select c from partner_client c
		where p_cursor is null or (c.created_at, c.id) > (c_at, c_id)
		order by c.created_at, c.id
		limit p_limit + 1
	), numbered as (
		select c, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.partner_client_json(c) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((c).created_at order by rn) filter (where rn = p_limit))[1],
	    (array_agg((c).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

create function api.partner_client_get(actor jsonb, p_id uuid)
returns api.result
language sql stable as $$
	select coalesce((select api.ok(200, api.partner_client_json(c),
	    '"' || c.version || '"') from partner_client c where c.id = p_id),
	    api.not_found('not_found.partner_client'))
$$;

-- PATCH: name, scopes, provinces, active; If-Match on the version.
create function api.partner_client_patch(actor jsonb, p_id uuid,
    p_version int, body jsonb) returns api.result
language plpgsql as $$
declare
	c	partner_client;
	provs	char(2)[];
	err	api.result;
begin
	select * into c from partner_client where id = p_id for update;
	if not found then
		return api.not_found('not_found.partner_client');
	end if;
	if c.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'partners.client_was_changed_since');
	end if;
	if body ? 'provinces' then
		select array_agg(p order by p) into provs
		from jsonb_array_elements_text(body->'provinces') p;
		err := api.partner_provinces_error(provs);
		if (err).status is not null then
			return err;
		end if;
		c.provinces := coalesce(provs, '{}');
	end if;
	if body ? 'name' then
		c.name := body->>'name';
	end if;
	if body ? 'scopes' then
		c.scopes := array(select distinct
		    jsonb_array_elements_text(body->'scopes') order by 1);
	end if;
	if body ? 'active' then
		c.active := (body->>'active')::boolean;
	end if;
	update partner_client set name = c.name, scopes = c.scopes,
	    provinces = c.provinces, active = c.active,
	    version = version + 1, updated_at = now()
	where id = p_id returning * into c;
	return api.ok(200, api.partner_client_json(c), '"' || c.version || '"');
end;
$$;

-- POST /v1/partner-clients/{id}/secret: a new secret; the old one stops
-- working at once (tokens already issued run out with their lifetime,
-- unless the client is disabled).
create function api.partner_client_rotate(actor jsonb, p_id uuid,
    p_secret bytea) returns api.result
language plpgsql as $$
declare
	c	partner_client;
begin
	update partner_client set secret_sha256 = p_secret,
	    version = version + 1, updated_at = now()
	where id = p_id returning * into c;
	if not found then
		return api.not_found('not_found.partner_client');
	end if;
	return api.ok(200, api.partner_client_json(c), '"' || c.version || '"');
end;
$$;

create function api.is_partner(actor jsonb) returns boolean
language sql immutable as $$
	select coalesce(actor->>'kind' = 'client' or
	    api.actor_role(actor) = 'partner', false)
$$;

-- Checks a caller against a scope before a partner read, in the same
-- statement as the read: a disabled client is refused at once (its
-- stateless tokens are checked against the table on every request), a
-- client without the scope gets 403, and a client over p_rate requests
-- in the current minute gets 429 with "retry_after" in the body (the C
-- layer turns it into Retry-After). Null when the read may go ahead.
-- provinces: the client's province restriction, '{}' for none. For a
-- partner account, the client it acts for answers for it.
create function api.partner_gate(actor jsonb, p_scope text,
    p_rate int, out err api.result, out provinces char(2)[])
language plpgsql as $$
declare
	c	partner_client;
	u	app_user;
	w	timestamptz := date_trunc('minute', now());
	cnt	int;
	who	text := 'This client';
begin
	provinces := '{}';
	if actor->>'kind' = 'client' then
		select * into c from partner_client
		where id = (actor->>'sub')::uuid;
		if not found or not c.active then
			err := api.problem(401, 'unauthorized',
			    'partners.client_disabled');
			return;
		end if;
	elsif api.actor_role(actor) = 'partner' then
		select * into u from app_user
		where id = (actor->>'sub')::uuid;
		if not found or not u.active then
			err := api.problem(401, 'unauthorized',
			    'partners.account_disabled');
			return;
		end if;
		if u.role <> 'partner' or u.partner_client_id is null then
			err := api.forbidden('partners.account_unlinked');
			return;
		end if;
		select * into c from partner_client
		where id = u.partner_client_id;
		if not c.active then
			err := api.forbidden('partners.partner_client_account_acts');
			return;
		end if;
		who := 'The partner client this account acts for';
	else
		return;
	end if;
	if not (p_scope = any (c.scopes)) then
		err := api.forbidden('partners.lacks_scope',
		    jsonb_build_object('who', who, 'scope', p_scope));
		return;
	end if;
	-- A client's token may hold fewer scopes than the client (the token
	-- request's scope): refused here, so the refusal is audited too.
	if actor->>'kind' = 'client' and not (p_scope = any
	    (string_to_array(coalesce(actor->>'scope', ''), ' '))) then
		err := api.forbidden('partners.token_was_granted_scope',
		    jsonb_build_object('scope', p_scope));
		return;
	end if;
	provinces := c.provinces;
	if p_rate > 0 then
		insert into partner_rate as r (client, window_start, n)
		values (c.id, w, 1)
		on conflict (client) do update set
		    n = case when r.window_start = w then r.n + 1 else 1 end,
		    window_start = w
		returning n into cnt;
		if cnt > p_rate then
			err := api.problem(429, 'too-many-requests',
			    'partners.make_requests_minute',
			    jsonb_build_object('who', who, 'rate', p_rate));
			err.body := err.body || jsonb_build_object(
			    'retry_after', greatest(1, ceil(extract(epoch from
			    w + interval '1 minute' - now())))::int);
		end if;
	end if;
end;
$$;

-- Only a partner account acts for a client: another role drops the link
-- (a role change through PATCH /v1/users unlinks, it does not fail).
create function api.app_user_partner_link() returns trigger
language plpgsql as $$
begin
	if new.role <> 'partner' then
		new.partner_client_id := null;
	end if;
	return new;
end;
$$;

create trigger app_user_partner_link before insert or update on app_user
    for each row execute function api.app_user_partner_link();

-- GET /v1/partner-clients/{id}/users: the accounts that act for it.
create function api.partner_client_users(actor jsonb, p_client uuid)
returns api.result
language plpgsql stable as $$
begin
	if not exists (select 1 from partner_client where id = p_client) then
		return api.not_found('not_found.partner_client');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.user_json(u) order by u.created_at, u.id)
	    from app_user u where u.partner_client_id = p_client), '[]')));
end;
$$;

-- PUT: 201 when newly linked, 200 when it already was; an account acts
-- for one client (409 while it acts for another).
create function api.partner_client_user_link(actor jsonb, p_client uuid,
    p_user uuid) returns api.result
language plpgsql as $$
declare
	u	app_user;
begin
	if not exists (select 1 from partner_client where id = p_client) then
		return api.not_found('not_found.partner_client');
	end if;
	select * into u from app_user where id = p_user for update;
	if not found or u.role <> 'partner' then
		return api.problem(422, 'validation',
		    'partners.not_partner_account',
		    null,
		    jsonb_build_array(jsonb_build_object('field', 'user_id',
		    'code', 'not_found', 'message',
		    'partners.no_partner_account')));
	end if;
	if u.partner_client_id = p_client then
		return api.ok(200, api.user_json(u));
	end if;
	if u.partner_client_id is not null then
		return api.problem(409, 'conflict',
		    'partners.account_acts_another_partner');
	end if;
	update app_user set partner_client_id = p_client where id = p_user
	returning * into u;
	return api.ok(201, api.user_json(u));
end;
$$;

create function api.partner_client_user_unlink(actor jsonb, p_client uuid,
    p_user uuid) returns api.result
language plpgsql as $$
begin
	update app_user set partner_client_id = null
	where id = p_user and partner_client_id = p_client;
	if not found then
		return api.not_found('not_found.account_acting_for_this_partner_client');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

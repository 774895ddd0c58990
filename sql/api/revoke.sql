-- Revocation at once (api/revoke.c, api/db.c). A statement that gets the
-- caller's claims as its first parameter binds them as api.live_actor,
-- whose check looks up the session, the user and the partner client:
-- parameters are bound with a snapshot taken when the statement arrives,
-- so a revocation committed before the request came in is seen, and the
-- statement fails (SQLSTATE NG401, answered 401) before its function
-- runs. Each worker also keeps the sessions revoked in the last day
-- (api.revoked_sessions), kept fresh by the NOTIFY below.

-- The check of api.live_actor: the session behind the token (a user's
-- or a partner client's) is open and its account or client active.
create function api.actor_live(actor jsonb) returns boolean
language plpgsql stable strict as $$
begin
	if actor->>'kind' = 'client' then
		perform from partner_client c
		where c.id = (actor->>'sub')::uuid and c.active and
		    not exists (select from auth_session s
			where s.id = (actor->>'sid')::uuid and
			    s.revoked_at is not null);
	else
		perform from app_user u
		where u.id = (actor->>'sub')::uuid and u.active and
		    not exists (select from auth_session s
			where s.id = (actor->>'sid')::uuid and
			    s.revoked_at is not null);
	end if;
	if not found then
		raise exception 'the session has ended or the account is disabled'
		    using errcode = 'NG401';
	end if;
	return true;
end;
$$;

-- Only ever a parameter's type: no column has it.
create domain api.live_actor as jsonb check (api.actor_live(value));

create function api.revoked_sessions(p_seconds int, out id uuid,
    out age_seconds int)
returns setof record
language sql stable as $$
	select s.id, extract(epoch from now() - s.revoked_at)::int
	from auth_session s
	where s.revoked_at > now() - make_interval(secs => p_seconds)
$$;

-- Sent when the revoking transaction commits, to every worker listening.
create function api.session_revoked_notify() returns trigger
language plpgsql as $$
begin
	perform pg_notify('ngan_revoke', new.id::text);
	return null;
end;
$$;

create trigger auth_session_revoked after update of revoked_at
    on auth_session for each row
    when (old.revoked_at is null and new.revoked_at is not null)
    execute function api.session_revoked_notify();

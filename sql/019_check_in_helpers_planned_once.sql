-- SQL-language helpers that PostgreSQL could not inline were parsed and
-- planned again in every transaction that called them from plpgsql (the
-- expression state that keeps a SQL function's plan lives for one
-- transaction). A check-in spent about a third of its database time so:
-- pg_stat_user_functions (track_functions = all) over 1,000 check-ins
-- counted api.checkin_allowed at 0.19 ms a call, api.checkin_message at
-- 0.14 ms and api.ts at 0.02 ms (three a check-in), against 1.1 ms for the
-- whole of api.checkin.
--
-- api.ts and the helpers built on it were declared immutable around
-- to_char(), which is stable: an immutable SQL function whose body is
-- not immutable is never inlined. Declared stable, as what they call is,
-- they are inlined into the caller's plan, which plpgsql keeps. Nothing
-- indexes or stores them.
alter function api.ts(timestamptz) stable;
alter function api.checkin_message(text, text, timestamptz) stable;
alter function api.user_json(app_user) stable;
alter function api.session_json(event_session) stable;
alter function api.partner_client_json(partner_client) stable;

-- A subquery keeps a SQL function from being inlined at all: as plpgsql
-- its plan is made once per connection. Same answer as in 010.
create or replace function api.checkin_allowed(actor jsonb, e event)
returns boolean
language plpgsql stable as $$
begin
	return coalesce(api.event_staff(actor, e) or
	    (api.actor_role(actor) = 'scanner' and exists (select 1
	    from event_scanner s where s.event_id = e.id and
	    s.user_id = (actor->>'sub')::uuid)), false);
end;
$$;

-- Schema api, made again from the files below: every function, trigger
-- function, trigger and type of the server, each defined once, in the
-- file of its resource (api/<resource>.c calls it). Edit a function where
-- it is; scripts/migrate.sh runs this file, in one transaction, under the
-- migration lock and after the migrations, whenever the checksum of
-- sql/api/ differs from the one in api_checksum (psql variable sha). So
-- nothing a file no longer defines survives, and a load that fails leaves
-- the schema as it was. Servers running meanwhile prepare their
-- statements again (api/db.c).
--
-- No table, default or constraint may use anything in schema api (the
-- drop would take it along); triggers on tables are made here, with their
-- functions. Function bodies are checked once all are made (below), so
-- files and functions may come in any order; types, domains and triggers
-- come after what they use.

-- The tables whose triggers are dropped and made again, locked first and
-- all at once: waiting for one while holding another could deadlock with
-- a request. A reload that cannot have them all within the lock timeout
-- (shorter than PostgreSQL's deadlock_timeout, 1 s) gives up, and
-- scripts/migrate.sh tries again; once it has them, requests that need
-- those tables wait until it commits (under a second).
set local lock_timeout = '200ms';
do $$
declare
	tables	text;
begin
	select string_agg(distinct t.tgrelid::regclass::text, ', ')
	into tables
	from pg_trigger t
	where not t.tgisinternal;
	if tables is not null then
		execute 'lock table ' || tables || ' in access exclusive mode';
	end if;
end;
$$;

-- Grants on the schema (to a server role other than the owner, say) are
-- given again to the new one.
create temporary table api_schema_acl on commit drop as
	select nspacl from pg_namespace where nspname = 'api';

-- Functions that migrations made in schema public before sql/api/ was
-- (with their triggers): they live in schema api now.
drop function if exists public.event_quota_check() cascade;
drop function if exists public.event_session_within() cascade;
drop function if exists public.checkin_session_keep() cascade;
drop function if exists public.registration_feed_trigger() cascade;
drop function if exists public.checkin_feed_trigger() cascade;
drop function if exists public.registration_feed_row(registration, text);
drop function if exists public.registration_feed_stamp();
drop function if exists public.app_user_partner_link() cascade;

-- What uses schema api from outside (a column default, a check, an
-- index, a view) would go with it, silently: stop and name it instead.
-- Triggers are made again below.
do $$
declare
	what	text;
begin
	select string_agg(pg_describe_object(d.classid, d.objid, d.objsubid),
	    ', ')
	into what
	from pg_depend d
	where d.refclassid in ('pg_proc'::regclass, 'pg_type'::regclass) and
	    d.deptype not in ('i', 'e') and
	    d.classid <> 'pg_trigger'::regclass and
	    (pg_identify_object(d.refclassid, d.refobjid, 0)).schema = 'api' and
	    (pg_identify_object(d.classid, d.objid, d.objsubid)).schema
		is distinct from 'api';
	if what is not null then
		raise exception 'schema api is code, made again by this file: '
		    'nothing outside it may use it (%)', what;
	end if;
end;
$$;

drop schema if exists api cascade;
create schema api;

set local check_function_bodies = off;

\ir util.sql
\ir auth.sql
\ir revoke.sql
\ir users.sql
\ir agencies.sql
\ir partners.sql
\ir audit.sql
\ir events.sql
\ir sessions.sql
\ir participants.sql
\ir registrations.sql
\ir tickets.sql
\ir scanners.sql
\ir checkins.sql
\ir certificates.sql
\ir jobs.sql
\ir self.sql
\ir privacy.sql
\ir outbox.sql
\ir ops.sql
\ir reminders.sql
\ir webhooks.sql
\ir groups.sql
\ir products.sql
\ir feed.sql
\ir stats.sql

-- Every body checked now that everything exists: a SQL function that
-- names a function or column no file makes stops the load here, not at
-- its first call. (plpgsql is checked for syntax only, as always.)
set local check_function_bodies = on;
do $$
declare
	f	oid;
begin
	for f in select p.oid from pg_proc p
	    where p.pronamespace = 'api'::regnamespace loop
		execute pg_get_functiondef(f);
	end loop;
end;
$$;

do $$
declare
	g	record;
begin
	for g in select a.grantee, a.privilege_type, a.is_grantable
	    from api_schema_acl s, aclexplode(s.nspacl) a
	    where a.grantee <> a.grantor loop
		execute format('grant %s on schema api to %s%s',
		    g.privilege_type, case g.grantee when 0 then 'public'
		    else g.grantee::regrole::text end,
		    case when g.is_grantable then ' with grant option'
		    else '' end);
	end loop;
end;
$$;

insert into api_checksum (sha256) values (:'sha')
on conflict (one) do update set sha256 = excluded.sha256, loaded_at = now();

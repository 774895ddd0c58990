-- The feed's row writer, as plpgsql. As a SQL function that inserts it
-- could not be inlined, so PostgreSQL parsed and planned its INSERT on
-- every call: once per check-in and once per registration change, a
-- third of the database's time on a check-in (pgbench on the check-in
-- statement: about 1,050 tps with it, 1,560 as plpgsql, 1,590 with no
-- feed at all). plpgsql keeps the plan per connection. The rows written
-- are the same; a check-in's row says checked_in without looking: the
-- scan that fired the trigger is an effective entry.
create or replace function registration_feed_row(r registration, p_op text)
returns void
language plpgsql as $$
begin
	insert into registration_feed (op, registration_id, event_id,
	    participant_id, data)
	select p_op, r.id, r.event_id, r.participant_id,
	    case when p_op <> 'delete' then jsonb_build_object(
		'status', r.status, 'target_group', r.target_group,
		'source', r.source, 'version', r.version,
		'province_code', e.province_code,
		'district_code', e.district_code,
		'fiscal_year_be', e.fiscal_year_be,
		'participant_province_code', p.province_code,
		'section40', p.section40,
		'checked_in', p_op = 'check_in' or exists (select 1
		    from checkin c where c.registration_id = r.id and
			c.state = 'effective' and c.direction = 'in'),
		'created_at', api.ts(r.created_at),
		'updated_at', api.ts(r.updated_at)) end
	from event e, participant p
	where e.id = r.event_id and p.id = r.participant_id;
end;
$$;

-- The day-before reminders (issue 19): run by api/reminders.c's timer,
-- written to the outbox (outbox.sql) for delivery.

-- The reminder the day before (issue 19): a message to each person
-- confirmed at a published or closed event that starts within a day
-- after p_now (and not before it), once per registration ever: the row
-- in reminder_sent is the registration's idempotency key (two runs at
-- once: the second waits on the first's row and writes nothing), and
-- the outbox's key 'reminder:<registration>' is the message's. At most
-- 1,000 a call; returns how many. p_now is a parameter so that a test
-- can move the clock.
create function api.reminder_run(p_now timestamptz) returns int
language plpgsql as $$
declare
	x	record;
	n	int := 0;
begin
	for x in select r.id, r.participant_id, e.title, e.starts_at,
	    e.venue_name
	    from event e join registration r on r.event_id = e.id
	    where e.starts_at > p_now and
		e.starts_at <= p_now + interval '1 day' and
		e.status in ('published', 'closed') and
		r.status = 'confirmed' and not exists (select 1
		from reminder_sent s where s.registration_id = r.id)
	    order by e.starts_at, r.id
	    limit 1000
	loop
		insert into reminder_sent (registration_id) values (x.id)
		on conflict (registration_id) do nothing;
		if found then
			perform api.outbox_enqueue('reminder',
			    x.participant_id, x.id, 'reminder:' || x.id,
			    jsonb_build_object('event_title', x.title,
			    'starts_at', to_char(x.starts_at at time zone
			    'Asia/Bangkok', 'YYYY-MM-DD HH24:MI'),
			    'venue', x.venue_name));
			n := n + 1;
		end if;
	end loop;
	return n;
end;
$$;

-- The reminder job (api/reminders.c asks every 10 s from every
-- worker): api.reminder_run at most every 5 minutes across
-- every worker and server, and again at once while a run still found a
-- full batch. How many it reminded, or null when it was not time.
create function api.reminder_tick() returns int
language plpgsql as $$
declare
	last	reminder_run;
	n	int;
begin
	if not pg_try_advisory_xact_lock(hashtext('ngan-reminders')) then
		return null;
	end if;
	select * into last from reminder_run;
	if last.ran_at is not null and last.ran_at > now() -
	    interval '5 minutes' and last.reminded < 1000 then
		return null;
	end if;
	n := api.reminder_run(now());
	insert into reminder_run (ran_at, reminded) values (now(), n)
	on conflict (id) do update set ran_at = excluded.ran_at,
	    reminded = excluded.reminded;
	return n;
end;
$$;

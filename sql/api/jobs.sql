-- Background jobs (migration 040): the ZIP of an event's certificates.
-- The routes start one and read it; ngan-certzip (tools/ngan-certzip.c)
-- claims it, reads its certificates a batch at a time, reports progress
-- and finishes it.

-- The advisory lock a job's builder holds, on its own connection, while
-- it builds: a builder that dies loses its connection and with it the
-- lock, so the next claim knows the job is nobody's.
create function api.job_lock_key(p_job uuid) returns int
language sql immutable as $$ select hashtext(p_job::text) $$;

create function api.job_json(j job) returns jsonb
language sql stable as $$
	select jsonb_build_object('id', j.id, 'kind', j.kind,
	    'event_id', j.event_id, 'state', j.state, 'total', j.total,
	    'done', j.done, 'error_count', j.error_count,
	    'errors', j.errors, 'failure', j.failure,
	    'attempts', j.attempts, 'created_at', api.ts(j.created_at),
	    'started_at', api.ts(j.started_at),
	    'finished_at', api.ts(j.finished_at),
	    'removed_at', api.ts(j.removed_at),
	    'zip_bytes', j.zip_bytes,
	    'zip_sha256', encode(j.zip_sha256, 'hex'),
	    'download_url', case when j.state = 'done' and
		j.removed_at is null then
		'/v1/jobs/' || j.id || '/certificates.zip' end)
$$;

-- The job p_job if actor is staff of its event; null otherwise.
create function api.job_for(actor jsonb, p_job uuid) returns job
language plpgsql stable as $$
declare
	j	job;
	e	event;
begin
	select * into j from job where id = p_job;
	if not found then
		return null;
	end if;
	select * into e from event where id = j.event_id;
	if not api.event_staff(actor, e) then
		return null;
	end if;
	return j;
end;
$$;

-- GET /v1/jobs/{id}: staff of the job's event.
create function api.job_get(actor jsonb, p_job uuid) returns api.result
language plpgsql stable as $$
declare
	j	job;
begin
	j := api.job_for(actor, p_job);
	if j.id is null then
		return api.not_found('not_found.job');
	end if;
	return api.ok(200, api.job_json(j));
end;
$$;

-- GET /v1/jobs/{id}/certificates.zip: C sends the file the job built;
-- 409 until it is built.
create function api.job_zip(actor jsonb, p_job uuid) returns api.result
language plpgsql stable as $$
declare
	j	job;
begin
	j := api.job_for(actor, p_job);
	if j.id is null then
		return api.not_found('not_found.job');
	end if;
	if j.state <> 'done' then
		return api.problem(409, 'job-not-done', 'jobs.not_done',
		    jsonb_build_object('state', j.state));
	end if;
	if j.removed_at is not null then
		return api.problem(410, 'gone', 'jobs.zip_gone');
	end if;
	return api.ok(200, jsonb_build_object('id', j.id,
	    'event_id', j.event_id, 'zip_bytes', j.zip_bytes));
end;
$$;

-- ngan-certzip: the oldest open job nobody builds, now the caller's
-- (its advisory lock taken, an attempt counted, progress reset), or
-- null. A job left running by a builder that died is started again;
-- after 3 starts it fails as 'interrupted'.
create function api.job_claim() returns jsonb
language plpgsql as $$
declare
	j	job;
begin
	for j in select * from job where state in ('queued', 'running')
	    order by created_at, id loop
		if not pg_try_advisory_lock(7402,
		    api.job_lock_key(j.id)) then
			continue;
		end if;
		-- Read again under the lock: another may have finished it.
		select * into j from job where id = j.id;
		if j.state not in ('queued', 'running') then
			perform pg_advisory_unlock(7402,
			    api.job_lock_key(j.id));
			continue;
		end if;
		if j.attempts >= 3 then
			update job set state = 'failed',
			    failure = 'interrupted', finished_at = now()
			where id = j.id;
			perform pg_advisory_unlock(7402,
			    api.job_lock_key(j.id));
			continue;
		end if;
		update job set state = 'running', attempts = attempts + 1,
		    done = 0, errors = '[]', error_count = 0,
		    started_at = now()
		where id = j.id returning * into j;
		return jsonb_build_object('id', j.id, 'total', j.total,
		    'attempts', j.attempts, 'verify_url', j.verify_url);
	end loop;
	return null;
end;
$$;

-- ngan-certzip: what the certificates p_from .. p_from + p_count - 1 of
-- job p_job print (as api.certificate_pdf_of gives it, the images by
-- their SHA-256 only: the builder asks for each image once).
create function api.job_certificates(p_job uuid, p_from int, p_count int)
returns jsonb
language sql stable as $$
	select coalesce(jsonb_agg(c.content || jsonb_build_object(
	    'id', c.id, 'token', c.token, 'short_code', c.short_code,
	    'revoked', c.revoked_at is not null,
	    'issued_at', api.ts(c.issued_at),
	    'issued_epoch', extract(epoch from c.issued_at)::bigint,
	    'issued_date', to_char(c.issued_at at time zone 'Asia/Bangkok',
		'YYYY-MM-DD')) order by x.n), '[]')
	from job j, unnest(j.certificate_ids[p_from + 1:p_from + p_count])
	    with ordinality x(cid, n), certificate c
	where j.id = p_job and c.id = x.cid
$$;

-- ngan-certzip: how far it is. p_errors the first 20 errors.
create function api.job_progress(p_job uuid, p_done int, p_errors jsonb,
    p_error_count int) returns void
language sql as $$
	update job set done = least(p_done, total), errors = p_errors,
	    error_count = p_error_count
	where id = p_job and state = 'running'
$$;

-- ngan-certzip: the job built (p_bytes of SHA-256 p_sha256, hex) or
-- failed (p_failure); its lock let go.
create function api.job_finish(p_job uuid, p_bytes bigint,
    p_sha256 text, p_failure text) returns void
language plpgsql as $$
begin
	if p_failure is null then
		update job set state = 'done', done = total,
		    zip_bytes = p_bytes, zip_sha256 = decode(p_sha256, 'hex'),
		    finished_at = now()
		where id = p_job and state = 'running';
	else
		update job set state = 'failed', failure = p_failure,
		    finished_at = now()
		where id = p_job and state = 'running';
	end if;
	perform pg_advisory_unlock(7402, api.job_lock_key(p_job));
end;
$$;

-- ngan-certzip: ZIPs built more than p_hours ago and still kept, to
-- remove (a few at a time).
create function api.jobs_expired(p_hours int) returns setof uuid
language sql stable as $$
	select id from job
	where state = 'done' and removed_at is null and
	    finished_at < now() - make_interval(hours => p_hours)
	order by finished_at limit 100
$$;

-- ngan-certzip: the ZIP of p_job removed from the disk.
create function api.job_removed(p_job uuid) returns void
language sql as $$
	update job set removed_at = now()
	where id = p_job and state = 'done' and removed_at is null
$$;

-- Background jobs (issue 20, item 3): a ZIP of an event's certificates,
-- built by ngan-certzip (tools/ngan-certzip.c), a process of its own, as
-- a Kore worker must not draw 2,000 PDFs. The job names the certificates
-- it packs when it is made (certificate_ids, in the ZIP's order), so what
-- it builds does not move while it runs, and the same list gives the same
-- bytes. The ZIP is a file under NGAN_CERT_ZIP_DIR named by the job's id,
-- kept NGAN_CERT_ZIP_KEEP_HOURS.
create table job (
	id		uuid primary key,
	kind		text not null check (kind in ('certificate_zip')),
	event_id	uuid not null references event(id),
	requested_by	uuid references app_user(id),
	state		text not null default 'queued' check (state in
			    ('queued', 'running', 'done', 'failed')),
	certificate_ids	uuid[] not null check (cardinality(certificate_ids)
			    between 1 and 100000),
	total		int not null check (total =
			    cardinality(certificate_ids)),
	done		int not null default 0 check (done between 0 and total),
	-- Certificates that could not be drawn: [{short_code, reason}],
	-- the first 20 (error_count counts them all).
	errors		jsonb not null default '[]' check (jsonb_typeof(errors)
			    = 'array' and jsonb_array_length(errors) <= 20),
	error_count	int not null default 0 check (error_count >= 0),
	-- Why a failed job failed: a message key of api/i18n.tsv.
	failure		text check (length(failure) <= 200),
	-- Starts: a process that died mid-job left it running; the next
	-- claim starts it again, and fails it after 3.
	attempts	int not null default 0 check (attempts between 0 and 3),
	-- Where the PDFs' QR codes send people (the server's public URL):
	-- the worker has no listener to derive it from.
	verify_url	text not null check (length(verify_url)
			    between 10 and 600),
	zip_bytes	bigint check (zip_bytes > 0),
	zip_sha256	bytea check (length(zip_sha256) = 32),
	-- The ZIP holds names: removed NGAN_CERT_ZIP_KEEP_HOURS after it
	-- was built (ngan-certzip), the job kept as a record.
	removed_at	timestamptz check (removed_at is null or state = 'done'),
	created_at	timestamptz not null default now(),
	started_at	timestamptz,
	finished_at	timestamptz,
	check ((state = 'done') = (zip_bytes is not null and
	    zip_sha256 is not null)),
	check ((state = 'failed') = (failure is not null)),
	check ((state in ('done', 'failed')) = (finished_at is not null))
);
create index job_event_idx on job (event_id, created_at);
-- What the builder looks for: few rows at a time.
create index job_open_idx on job (created_at)
    where state in ('queued', 'running');
create index job_kept_idx on job (finished_at)
    where state = 'done' and removed_at is null;

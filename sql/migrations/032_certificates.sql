-- Certificates (issue 20): a certificate (เกียรติบัตร) for a person who
-- qualified at an event, as a PDF anyone can check is real. Functions in
-- sql/api/certificates.sql; the PDF is made in C (api/certificate_pdf.c).
--
-- What the certificate prints is fixed when it is issued (content), with
-- the signed token its QR code holds (ECDSA signatures differ each time
-- one is made): the PDF made again from the row is the same, byte for
-- byte. A name corrected later, or an event retitled, gives a new
-- certificate when one is asked for, and the old one is revoked
-- ('reissued'), so each registration has at most one in force.

create table certificate (
	id		uuid primary key,
	registration_id	uuid not null references registration(id),
	event_id	uuid not null references event(id),
	-- Twelve characters of Crockford's base32 (no I, L, O, U) in
	-- groups of four: typed by hand from the paper.
	short_code	text not null unique check (short_code ~
			    '^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'),
	token		text not null check (length(token) between 20 and 2000),
	-- Whole seconds: the PDF's creation date has no more.
	issued_at	timestamptz not null check (issued_at =
			    date_trunc('second', issued_at)),
	issued_by	uuid references app_user(id),
	revoked_at	timestamptz,
	revoked_reason	text check (revoked_reason in ('reissued',
			    'revoked')),
	name_printed	text not null check (length(name_printed)
			    between 1 and 500),
	-- Title, first name, the first letter of the last name: what the
	-- public verification shows.
	name_masked	text not null check (length(name_masked)
			    between 1 and 500),
	content		jsonb not null check (jsonb_typeof(content) = 'object'),
	check ((revoked_at is null) = (revoked_reason is null))
);
create unique index certificate_in_force_idx on certificate
    (registration_id) where revoked_at is null;
create index certificate_registration_idx on certificate
    (registration_id, issued_at);
create index certificate_event_idx on certificate (event_id);

-- GET /v1/certificates/verify is public: requests per client (a keyed
-- hash of its address, api/edge.c) in the current minute. Unlogged: a
-- crash forgets the counts, which is harmless.
create unlogged table certificate_verify_rate (
	client		text primary key check (length(client) <= 128),
	window_start	timestamptz not null,
	hits		int not null check (hits >= 0)
);

-- The logo and the presiding official's signature an event's certificates
-- print (PNG or JPEG, checked and cleaned by their bytes in C, as product
-- images are). Kept by their SHA-256 and never changed: a certificate's
-- content names the images it was issued with, so its PDF stays the same
-- bytes after the event's images are replaced.
create table certificate_image_blob (
	sha256		bytea primary key check (length(sha256) = 32),
	content_type	text not null check (content_type in ('image/png',
			    'image/jpeg')),
	width		int not null check (width between 1 and 1500),
	height		int not null check (height between 1 and 1500),
	data		bytea not null check (length(data) <= 1048576),
	created_at	timestamptz not null default now(),
	check (sha256 = sha256(data))
);

create table event_certificate_image (
	event_id	uuid not null references event(id),
	kind		text not null check (kind in ('logo', 'signature')),
	sha256		bytea not null references certificate_image_blob(sha256),
	updated_at	timestamptz not null default now(),
	primary key (event_id, kind)
);

-- Vocational groups (กลุ่มอาชีพ), their products, product images and the
-- products on sale at events (issue 5).
--
-- Who manages a group: admins; organisers whose agency has a province
-- manage the groups of that province; organisers of an agency without a
-- province (civil society, national offices) manage the groups their
-- agency supports. Everyone, anonymous included, reads groups and the
-- catalogue. A group's phone is sealed like a participant's (C seals and
-- opens it; the database keeps phone_enc and the last four digits): admins
-- and organisers see it in clear, everyone else masked.
--
-- Prices are integer satang (1 baht = 100 satang), never floating point.
-- A deleted product keeps its row (deleted_at): gone from the catalogue,
-- event stalls and image URLs; its managers can still GET it.

create table group_category (
	code		text primary key check (code ~ '^[a-z][a-z0-9_]{1,39}$'),
	name_th		text not null,
	name_en		text not null
);

insert into group_category (code, name_th, name_en) values
    ('textiles', 'ผ้าและสิ่งทอ', 'Textiles'),
    ('handicraft', 'หัตถกรรมและจักสาน', 'Handicraft'),
    ('food', 'อาหารและเครื่องดื่ม', 'Food'),
    ('agriculture', 'เกษตรกรรม', 'Agriculture'),
    ('household', 'ของใช้ในครัวเรือน', 'Household goods'),
    ('other', 'อื่น ๆ', 'Other');

create table vocational_group (
	id		uuid primary key default gen_random_uuid(),
	name		text not null check (length(name) between 1 and 300),
	category	text not null references group_category(code),
	description	text check (length(description) <= 5000),
	province_code	char(2) not null references province(code),
	district_code	char(4),
	subdistrict_code char(6),
	contact_name	text check (length(contact_name) between 1 and 200),
	phone_enc	bytea,
	phone_last4	char(4) check (phone_last4 ~ '^[0-9]{4}$'),
	members_count	int check (members_count between 0 and 100000),
	agency_id	uuid references agency(id),
	is_community_enterprise boolean not null default false,
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	check ((phone_enc is null) = (phone_last4 is null)),
	check (subdistrict_code is null or district_code is not null),
	foreign key (district_code, province_code)
	    references district(code, province_code),
	foreign key (subdistrict_code, district_code)
	    references subdistrict(code, district_code)
);
create index vocational_group_list_idx on vocational_group(created_at, id);
create index vocational_group_province_idx on vocational_group(province_code);
create index vocational_group_search_idx on vocational_group
    using gin (name gin_trgm_ops);

create table product (
	id		uuid primary key default gen_random_uuid(),
	group_id	uuid not null references vocational_group(id),
	name		text not null check (length(name) between 1 and 300),
	description	text check (length(description) <= 5000),
	price_satang	bigint not null
			    check (price_satang between 0 and 10000000000),
	currency	char(3) not null default 'THB' check (currency = 'THB'),
	unit		text not null check (length(unit) between 1 and 30),
	availability	text not null default 'in_stock' check (availability
			    in ('in_stock', 'made_to_order', 'out_of_stock')),
	tags		text[] not null default '{}'
			    check (cardinality(tags) <= 10),
	version		int not null default 1,
	created_at	timestamptz not null default now(),
	updated_at	timestamptz not null default now(),
	deleted_at	timestamptz
);
create index product_group_idx on product(group_id, created_at, id);
create index product_newest_idx on product(created_at desc, id desc)
    where deleted_at is null;
create index product_price_idx on product(price_satang, id)
    where deleted_at is null;
-- Thai has no spaces between words: substring search by trigrams.
create index product_search_idx on product
    using gin ((name || ' ' || coalesce(description, '')) gin_trgm_ops);

-- The bytes live in the database so a backup keeps them. position is
-- 1..8, dense; PATCH .../images reorders.
create table product_image (
	product_id	uuid not null references product(id),
	position	smallint not null check (position between 1 and 8),
	content_type	text not null check (content_type in ('image/jpeg',
			    'image/png', 'image/webp')),
	width		int not null check (width > 0),
	height		int not null check (height > 0),
	sha256		bytea not null check (length(sha256) = 32),
	data		bytea not null
			    check (length(data) between 1 and 5242880),
	created_at	timestamptz not null default now(),
	primary key (product_id, position) deferrable initially immediate
);
-- JPEG, PNG and WebP are compressed already.
alter table product_image alter column data set storage external;

create table event_product (
	event_id	uuid not null references event(id) on delete cascade,
	product_id	uuid not null references product(id),
	added_at	timestamptz not null default now(),
	primary key (event_id, product_id)
);
create index event_product_product_idx on event_product(product_id);

-- Helpers.

create function api.like_pattern(p_q text) returns text
language sql immutable as $$
	select '%' || replace(replace(replace(p_q, '\', '\\'), '%', '\%'),
	    '_', '\_') || '%'
$$;

-- Admins; organisers of the group's province, or of the agency that
-- supports it when their agency has no province.
create function api.group_staff(actor jsonb, g vocational_group)
returns boolean
language sql stable as $$
	select coalesce(api.actor_role(actor) = 'admin' or
	    (api.actor_role(actor) = 'organizer' and exists (select 1
	    from agency a where a.id = api.actor_agency(actor) and
	    (a.province_code = g.province_code or (a.province_code is null
	    and g.agency_id = a.id)))), false)
$$;

-- Admins and organisers see phones in clear (C opens "_phone_enc").
create function api.group_json(actor jsonb, g vocational_group)
returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'id', g.id, 'name', g.name, 'category', g.category,
	    'category_name', (select name_th from group_category
		where code = g.category),
	    'description', g.description) ||
	    api.place_names(g.province_code, g.district_code,
	    g.subdistrict_code) ||
	    jsonb_build_object(
	    'contact', jsonb_build_object('name', g.contact_name,
		'phone', null,
		'phone_masked', api.phone_mask(g.phone_last4)) ||
		case when coalesce(api.actor_role(actor) in ('admin',
		    'organizer'), false) and g.phone_enc is not null then
		    jsonb_build_object('_phone_enc',
		    encode(g.phone_enc, 'hex'))
		else '{}' end,
	    'members_count', g.members_count,
	    'agency_id', g.agency_id,
	    'agency_name', (select name from agency where id = g.agency_id),
	    'is_community_enterprise', g.is_community_enterprise,
	    'products_count', (select count(*) from product p
		where p.group_id = g.id and p.deleted_at is null),
	    'can_manage', api.group_staff(actor, g),
	    'created_at', api.ts(g.created_at),
	    'updated_at', api.ts(g.updated_at))
$$;

create function api.group_etag(g vocational_group) returns text
language sql immutable as $$ select '"' || g.version || '"' $$;

create function api.image_json(i product_image) returns jsonb
language sql immutable as $$
	select jsonb_build_object('n', i.position,
	    'url', '/v1/products/' || i.product_id || '/images/' ||
		i.position || '?v=' || left(encode(i.sha256, 'hex'), 16),
	    'content_type', i.content_type, 'width', i.width,
	    'height', i.height, 'bytes', length(i.data),
	    'etag', '"' || encode(i.sha256, 'hex') || '"')
$$;

create function api.product_json(p product, g vocational_group)
returns jsonb
language sql stable as $$
	select jsonb_build_object(
	    'id', p.id, 'group_id', p.group_id,
	    'group', jsonb_build_object('id', g.id, 'name', g.name,
		'category', g.category,
		'province_code', g.province_code,
		'province_name', (select name_th from province
		    where code = g.province_code),
		'is_community_enterprise', g.is_community_enterprise),
	    'name', p.name, 'description', p.description,
	    'price_satang', p.price_satang, 'currency', p.currency,
	    'unit', p.unit, 'availability', p.availability,
	    'tags', to_jsonb(p.tags),
	    'images', coalesce((select jsonb_agg(api.image_json(i)
		order by i.position) from product_image i
		where i.product_id = p.id), '[]'),
	    'created_at', api.ts(p.created_at),
	    'updated_at', api.ts(p.updated_at),
	    'deleted_at', api.ts(p.deleted_at))
$$;

create function api.product_etag(p product) returns text
language sql immutable as $$ select '"' || p.version || '"' $$;

-- Keyset cursors for the catalogue: base64url of "<sort>:<key>:<uuid>",
-- the key being microseconds since the epoch (newest) or satang.
create function api.product_cursor_encode(p_sort text, p_key bigint,
    p_id uuid) returns text
language sql immutable as $$
	select rtrim(translate(encode(convert_to(p_sort || ':' || p_key ||
	    ':' || p_id, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

create function api.product_cursor_decode(p_cursor text, p_sort text,
    out key bigint, out id uuid)
language plpgsql immutable as $$
declare
	raw	text;
	b64	text;
begin
	if p_cursor is null or length(p_cursor) > 200 or
	    p_cursor !~ '^[A-Za-z0-9_-]+$' then
		return;
	end if;
	b64 := translate(p_cursor, '-_', '+/');
	b64 := b64 || repeat('=', (4 - length(b64) % 4) % 4);
	raw := convert_from(decode(b64, 'base64'), 'UTF8');
	if raw !~ '^[a-z_]+:-?[0-9]{1,19}:[0-9a-f-]{36}$' or
	    split_part(raw, ':', 1) <> p_sort then
		return;
	end if;
	key := split_part(raw, ':', 2)::bigint;
	id := split_part(raw, ':', 3)::uuid;
exception when others then
	key := null;
	id := null;
end;
$$;

create function api.micros(t timestamptz) returns bigint
language sql immutable as $$
	select (extract(epoch from t) * 1000000)::bigint
$$;

create function api.from_micros(n bigint) returns timestamptz
language sql immutable as $$
	select 'epoch'::timestamptz + n * interval '1 microsecond'
$$;

-- Groups.

create function api.group_categories() returns api.result
language sql stable as $$
	select api.ok(200, jsonb_build_object('items',
	    coalesce(jsonb_agg(jsonb_build_object('code', code,
	    'name_th', name_th, 'name_en', name_en) order by code), '[]')))
	from group_category
$$;

create function api.groups_list(actor jsonb, f jsonb, p_limit int,
    p_cursor text) returns api.result
language plpgsql stable as $$
declare
	c_at	timestamptz;
	c_id	uuid;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_id	uuid;
	v_q	text := f->>'q';
begin
	if p_cursor is not null then
		select d.at, d.id into c_at, c_id
		from api.cursor_decode(p_cursor) d;
		if c_at is null then
			return api.bad_cursor();
		end if;
	end if;
	with page as (
		select g from vocational_group g
		where (f->>'category' is null or g.category = f->>'category')
		    and (f->>'province' is null or
		    g.province_code = (f->>'province')::bpchar) and
		    (f->>'agency' is null or
		    g.agency_id = (f->>'agency')::uuid) and
		    (v_q is null or g.name ilike api.like_pattern(v_q)) and
		    (p_cursor is null or (g.created_at, g.id) > (c_at, c_id))
		order by g.created_at, g.id
		limit p_limit + 1
	), numbered as (
		select g, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.group_json(actor, g) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((g).created_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((g).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_id from numbered;
	return api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', case when n > p_limit then
		api.cursor_encode(last_at, last_id) end));
end;
$$;

create function api.group_get(actor jsonb, p_id uuid) returns api.result
language plpgsql stable as $$
declare
	g	vocational_group;
begin
	select * into g from vocational_group where id = p_id;
	if not found then
		return api.not_found('group');
	end if;
	return api.ok(200, api.group_json(actor, g), api.group_etag(g));
end;
$$;

-- The body's fields over row g. contact: {name, phone_enc, phone_last4}
-- (C has sealed the phone), or null to clear it.
create function api.group_merge(g vocational_group, b jsonb)
returns vocational_group
language plpgsql immutable as $$
begin
	if b ? 'name' then g.name := b->>'name'; end if;
	if b ? 'category' then g.category := b->>'category'; end if;
	if b ? 'description' then g.description := b->>'description'; end if;
	if b ? 'province_code' then
		g.province_code := b->>'province_code';
		g.district_code := b->>'district_code';
		g.subdistrict_code := b->>'subdistrict_code';
	else
		if b ? 'district_code' then
			g.district_code := b->>'district_code';
		end if;
		if b ? 'subdistrict_code' then
			g.subdistrict_code := b->>'subdistrict_code';
		end if;
	end if;
	if b ? 'contact' then
		g.contact_name := b->'contact'->>'name';
		g.phone_enc := decode(b->'contact'->>'phone_enc', 'hex');
		g.phone_last4 := b->'contact'->>'phone_last4';
	end if;
	if b ? 'members_count' then
		g.members_count := (b->>'members_count')::int;
	end if;
	if b ? 'agency_id' then g.agency_id := (b->>'agency_id')::uuid; end if;
	if b ? 'is_community_enterprise' then
		g.is_community_enterprise :=
		    (b->>'is_community_enterprise')::boolean;
	end if;
	return g;
end;
$$;

create function api.group_check(actor jsonb, n vocational_group)
returns api.result
language plpgsql stable as $$
declare
	err	api.result;
begin
	if not exists (select 1 from group_category
	    where code = n.category) then
		return api.field_error('category', 'not_found',
		    'No group category has this code.');
	end if;
	err := api.place_error('', n.province_code, n.district_code,
	    n.subdistrict_code);
	if (err).status is not null then
		return err;
	end if;
	if n.agency_id is not null and not exists (select 1 from agency
	    where id = n.agency_id) then
		return api.field_error('agency_id', 'not_found',
		    'No agency has this id.');
	end if;
	if not api.group_staff(actor, n) then
		return api.forbidden('Organisers manage the groups of their ' ||
		    'agency''s province (or, for an agency without one, ' ||
		    'the groups it supports).');
	end if;
	return null;
end;
$$;

create function api.group_create(actor jsonb, b jsonb) returns api.result
language plpgsql as $$
declare
	n	vocational_group;
	err	api.result;
begin
	n := api.group_merge(null::vocational_group, b);
	n.id := gen_random_uuid();
	if not b ? 'agency_id' and api.actor_role(actor) = 'organizer' then
		n.agency_id := api.actor_agency(actor);
	end if;
	n.is_community_enterprise := coalesce(n.is_community_enterprise,
	    false);
	err := api.group_check(actor, n);
	if (err).status is not null then
		return err;
	end if;
	insert into vocational_group (id, name, category, description,
	    province_code, district_code, subdistrict_code, contact_name,
	    phone_enc, phone_last4, members_count, agency_id,
	    is_community_enterprise)
	values (n.id, n.name, n.category, n.description, n.province_code,
	    n.district_code, n.subdistrict_code, n.contact_name, n.phone_enc,
	    n.phone_last4, n.members_count, n.agency_id,
	    n.is_community_enterprise)
	returning * into n;
	return api.ok(201, api.group_json(actor, n), api.group_etag(n),
	    '/v1/groups/' || n.id);
end;
$$;

create function api.group_patch(actor jsonb, p_id uuid, p_version int,
    b jsonb) returns api.result
language plpgsql as $$
declare
	g	vocational_group;
	n	vocational_group;
	err	api.result;
begin
	select * into g from vocational_group where id = p_id for update;
	if not found then
		return api.not_found('group');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency changes this group.');
	end if;
	if g.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'Precondition failed', 'The group was changed since you ' ||
		    'read it; fetch it again.');
	end if;
	n := api.group_merge(g, b);
	err := api.group_check(actor, n);
	if (err).status is not null then
		return err;
	end if;
	update vocational_group set name = n.name, category = n.category,
	    description = n.description, province_code = n.province_code,
	    district_code = n.district_code,
	    subdistrict_code = n.subdistrict_code,
	    contact_name = n.contact_name, phone_enc = n.phone_enc,
	    phone_last4 = n.phone_last4, members_count = n.members_count,
	    agency_id = n.agency_id,
	    is_community_enterprise = n.is_community_enterprise,
	    version = version + 1, updated_at = now()
	where id = p_id returning * into n;
	return api.ok(200, api.group_json(actor, n), api.group_etag(n));
end;
$$;

-- Products.

-- A product the caller may see: not deleted, or deleted and managed by
-- the caller. Sets g to its group.
create function api.product_find(actor jsonb, p_id uuid, out p product,
    out g vocational_group)
language plpgsql stable as $$
begin
	select * into p from product where id = p_id;
	if not found then
		p := null;
		return;
	end if;
	select * into g from vocational_group where id = p.group_id;
	if p.deleted_at is not null and not api.group_staff(actor, g) then
		p := null;
		g := null;
	end if;
end;
$$;

create function api.group_products(actor jsonb, p_group uuid)
returns api.result
language plpgsql stable as $$
declare
	g	vocational_group;
begin
	select * into g from vocational_group where id = p_group;
	if not found then
		return api.not_found('group');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.product_json(p, g) order by p.created_at, p.id)
	    from product p where p.group_id = g.id and
	    p.deleted_at is null), '[]')));
end;
$$;

create function api.product_merge(p product, b jsonb) returns product
language plpgsql immutable as $$
begin
	if b ? 'name' then p.name := b->>'name'; end if;
	if b ? 'description' then p.description := b->>'description'; end if;
	if b ? 'price_satang' then
		p.price_satang := (b->>'price_satang')::bigint;
	end if;
	if b ? 'unit' then p.unit := b->>'unit'; end if;
	if b ? 'availability' then p.availability := b->>'availability'; end if;
	if b ? 'tags' then
		p.tags := array(select distinct x from
		    jsonb_array_elements_text(b->'tags') x order by x);
	end if;
	return p;
end;
$$;

create function api.product_create(actor jsonb, p_group uuid, b jsonb)
returns api.result
language plpgsql as $$
declare
	g	vocational_group;
	p	product;
begin
	select * into g from vocational_group where id = p_group;
	if not found then
		return api.not_found('group');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency lists its products.');
	end if;
	p := api.product_merge(null::product, b);
	insert into product (group_id, name, description, price_satang, unit,
	    availability, tags)
	values (g.id, p.name, p.description, p.price_satang, p.unit,
	    coalesce(p.availability, 'in_stock'), coalesce(p.tags, '{}'))
	returning * into p;
	return api.ok(201, api.product_json(p, g), api.product_etag(p),
	    '/v1/products/' || p.id);
end;
$$;

create function api.product_get(actor jsonb, p_id uuid) returns api.result
language plpgsql stable as $$
declare
	f	record;
begin
	f := api.product_find(actor, p_id);
	if (f.p).id is null then
		return api.not_found('product');
	end if;
	return api.ok(200, api.product_json(f.p, f.g), api.product_etag(f.p));
end;
$$;

create function api.product_patch(actor jsonb, p_id uuid, p_version int,
    b jsonb) returns api.result
language plpgsql as $$
declare
	p	product;
	g	vocational_group;
begin
	select * into p from product where id = p_id for update;
	if found then
		select * into g from vocational_group where id = p.group_id;
	end if;
	if not found or (p.deleted_at is not null and
	    not api.group_staff(actor, g)) then
		return api.not_found('product');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency changes its products.');
	end if;
	if p.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'Precondition failed', 'The product was changed since ' ||
		    'you read it; fetch it again.');
	end if;
	if p.deleted_at is not null then
		return api.problem(409, 'conflict', 'Conflict',
		    'A deleted product cannot change.');
	end if;
	p := api.product_merge(p, b);
	update product set name = p.name, description = p.description,
	    price_satang = p.price_satang, unit = p.unit,
	    availability = p.availability, tags = p.tags,
	    version = version + 1, updated_at = now()
	where id = p_id returning * into p;
	return api.ok(200, api.product_json(p, g), api.product_etag(p));
end;
$$;

-- Hides the product; the row, its images and event links stay.
create function api.product_delete(actor jsonb, p_id uuid) returns api.result
language plpgsql as $$
declare
	p	product;
	g	vocational_group;
begin
	select * into p from product where id = p_id for update;
	if found then
		select * into g from vocational_group where id = p.group_id;
	end if;
	if not found or (p.deleted_at is not null and
	    not api.group_staff(actor, g)) then
		return api.not_found('product');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency removes its products.');
	end if;
	update product set deleted_at = coalesce(deleted_at, now()),
	    version = version + case when deleted_at is null then 1 else 0 end,
	    updated_at = case when deleted_at is null then now()
		else updated_at end
	where id = p_id;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- The public catalogue. f: q, category, province, group, event,
-- min_price_satang, max_price_satang (inclusive), sort.
create function api.products_list(actor jsonb, f jsonb, p_limit int,
    p_cursor text) returns api.result
language plpgsql stable as $$
declare
	v_sort	text := coalesce(f->>'sort', 'newest');
	v_q	text := f->>'q';
	v_min	bigint := (f->>'min_price_satang')::bigint;
	v_max	bigint := (f->>'max_price_satang')::bigint;
	c_key	bigint;
	c_id	uuid;
	c_at	timestamptz;
	items	jsonb;
	n	int;
	last_at	timestamptz;
	last_pr	bigint;
	last_id	uuid;
begin
	if p_cursor is not null then
		select d.key, d.id into c_key, c_id
		from api.product_cursor_decode(p_cursor, v_sort) d;
		if c_id is null then
			return api.bad_cursor();
		end if;
		c_at := api.from_micros(c_key);
	end if;
	with page as (
		select p, g from product p
		join vocational_group g on g.id = p.group_id
		where p.deleted_at is null and
		    (v_q is null or
		    (p.name || ' ' || coalesce(p.description, '')) ilike
		    api.like_pattern(v_q) or
		    g.name ilike api.like_pattern(v_q)) and
		    (f->>'category' is null or g.category = f->>'category') and
		    (f->>'province' is null or
		    g.province_code = (f->>'province')::bpchar) and
		    (f->>'group' is null or g.id = (f->>'group')::uuid) and
		    (f->>'event' is null or exists (select 1 from
		    event_product ep where ep.product_id = p.id and
		    ep.event_id = (f->>'event')::uuid)) and
		    (v_min is null or p.price_satang >= v_min) and
		    (v_max is null or p.price_satang <= v_max) and
		    (p_cursor is null or
		    (v_sort = 'newest' and (p.created_at, p.id) <
			(c_at, c_id)) or
		    (v_sort = 'price_asc' and (p.price_satang, p.id) >
			(c_key, c_id)) or
		    (v_sort = 'price_desc' and (p.price_satang, p.id) <
			(c_key, c_id)))
		order by
		    case when v_sort = 'price_asc' then p.price_satang end,
		    case when v_sort = 'price_asc' then p.id end,
		    case when v_sort = 'price_desc' then p.price_satang
			end desc,
		    case when v_sort = 'price_desc' then p.id end desc,
		    case when v_sort = 'newest' then p.created_at end desc,
		    case when v_sort = 'newest' then p.id end desc
		limit p_limit + 1
	), numbered as (
		select p, g, row_number() over () as rn from page
	)
	select coalesce(jsonb_agg(api.product_json(p, g) order by rn)
		filter (where rn <= p_limit), '[]'),
	    count(*),
	    (array_agg((p).created_at order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((p).price_satang order by rn)
		filter (where rn = p_limit))[1],
	    (array_agg((p).id order by rn) filter (where rn = p_limit))[1]
	into items, n, last_at, last_pr, last_id from numbered;
	return api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', case when n > p_limit then
		api.product_cursor_encode(v_sort, case when v_sort = 'newest'
		then api.micros(last_at) else last_pr end, last_id) end));
end;
$$;

-- Images.

-- p_hex: the bytes as hex; C has read the type and size from them.
create function api.product_image_add(actor jsonb, p_id uuid, p_hex text,
    p_type text, p_width int, p_height int) returns api.result
language plpgsql as $$
declare
	p	product;
	g	vocational_group;
	i	product_image;
	k	int;
begin
	select * into p from product where id = p_id for update;
	if found then
		select * into g from vocational_group where id = p.group_id;
	end if;
	if not found or (p.deleted_at is not null and
	    not api.group_staff(actor, g)) then
		return api.not_found('product');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency adds its images.');
	end if;
	if p.deleted_at is not null then
		return api.problem(409, 'conflict', 'Conflict',
		    'A deleted product takes no images.');
	end if;
	select count(*) into k from product_image where product_id = p_id;
	if k >= 8 then
		return api.problem(409, 'conflict', 'Conflict',
		    'A product has at most 8 images; delete one first.');
	end if;
	insert into product_image (product_id, position, content_type, width,
	    height, sha256, data)
	values (p_id, k + 1, p_type, p_width, p_height,
	    sha256(decode(p_hex, 'hex')), decode(p_hex, 'hex'))
	returning * into i;
	update product set version = version + 1, updated_at = now()
	where id = p_id;
	return api.ok(201, api.image_json(i), '"' || encode(i.sha256, 'hex') ||
	    '"', '/v1/products/' || p_id || '/images/' || i.position);
end;
$$;

-- p_order: the current positions in their new order (a permutation).
create function api.product_images_order(actor jsonb, p_id uuid,
    p_order jsonb) returns api.result
language plpgsql as $$
declare
	p	product;
	g	vocational_group;
	k	int;
begin
	select * into p from product where id = p_id for update;
	if found then
		select * into g from vocational_group where id = p.group_id;
	end if;
	if not found or p.deleted_at is not null then
		return api.not_found('product');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency orders its images.');
	end if;
	select count(*) into k from product_image where product_id = p_id;
	if jsonb_array_length(p_order) <> k or (select count(distinct x) <> k
	    or bool_or(x::int not between 1 and k) from
	    jsonb_array_elements_text(p_order) x) then
		return api.field_error('order', 'mismatch',
		    'Give every image number (1 to ' || k || ') once, in ' ||
		    'the new order.');
	end if;
	set constraints product_image_pkey deferred;
	update product_image i set position = o.rn
	from (select x::int as old, row_number() over () as rn
	    from jsonb_array_elements_text(p_order) x) o
	where i.product_id = p_id and i.position = o.old;
	set constraints product_image_pkey immediate;
	update product set version = version + 1, updated_at = now()
	where id = p_id;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.image_json(i) order by i.position)
	    from product_image i where i.product_id = p_id), '[]')));
end;
$$;

create function api.product_image_delete(actor jsonb, p_id uuid, p_n int)
returns api.result
language plpgsql as $$
declare
	p	product;
	g	vocational_group;
begin
	select * into p from product where id = p_id for update;
	if found then
		select * into g from vocational_group where id = p.group_id;
	end if;
	if not found or p.deleted_at is not null then
		return api.not_found('product');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('Only the group''s province office or ' ||
		    'supporting agency removes its images.');
	end if;
	delete from product_image where product_id = p_id and position = p_n;
	if not found then
		return api.not_found('image');
	end if;
	set constraints product_image_pkey deferred;
	update product_image set position = position - 1
	where product_id = p_id and position > p_n;
	set constraints product_image_pkey immediate;
	update product set version = version + 1, updated_at = now()
	where id = p_id;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- The bytes of a visible product's image; with p_inm (If-None-Match)
-- naming its ETag, 304 and no bytes.
create function api.product_image_get(p_id uuid, p_n int, p_inm text,
    out status int, out content_type text, out etag text, out data bytea)
language plpgsql stable as $$
declare
	i	product_image;
begin
	select pi.* into i from product_image pi
	join product p on p.id = pi.product_id
	where pi.product_id = p_id and pi.position = p_n and
	    p.deleted_at is null;
	if not found then
		status := 404;
		return;
	end if;
	content_type := i.content_type;
	etag := '"' || encode(i.sha256, 'hex') || '"';
	if p_inm is not null and (p_inm = '*' or etag = any(
	    regexp_split_to_array(replace(p_inm, 'W/', ''), '\s*,\s*'))) then
		status := 304;
		return;
	end if;
	status := 200;
	data := i.data;
end;
$$;

-- Products at events.

create function api.event_products(actor jsonb, p_event uuid)
returns api.result
language plpgsql stable as $$
declare
	e	event;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	return api.ok(200, jsonb_build_object('items', coalesce((select
	    jsonb_agg(api.product_json(p, g) order by g.name, p.name, p.id)
	    from event_product ep join product p on p.id = ep.product_id
	    join vocational_group g on g.id = p.group_id
	    where ep.event_id = p_event and p.deleted_at is null), '[]')));
end;
$$;

create function api.event_product_put(actor jsonb, p_event uuid,
    p_product uuid) returns api.result
language plpgsql as $$
declare
	e	event;
begin
	select * into e from event where id = p_event for update;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not api.event_staff(actor, e) then
		return api.forbidden('Only the organising agency sets out ' ||
		    'the stalls of its event.');
	end if;
	if not exists (select 1 from product where id = p_product and
	    deleted_at is null) then
		return api.not_found('product');
	end if;
	if e.status = 'cancelled' then
		return api.problem(409, 'conflict', 'Conflict',
		    'A cancelled event cannot change.');
	end if;
	insert into event_product (event_id, product_id)
	values (p_event, p_product) on conflict do nothing;
	return api.ok(204, 'null'::jsonb);
end;
$$;

create function api.event_product_delete(actor jsonb, p_event uuid,
    p_product uuid) returns api.result
language plpgsql as $$
declare
	e	event;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('event');
	end if;
	if not api.event_staff(actor, e) then
		return api.forbidden('Only the organising agency sets out ' ||
		    'the stalls of its event.');
	end if;
	delete from event_product where event_id = p_event and
	    product_id = p_product;
	if not found then
		return api.not_found('product');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

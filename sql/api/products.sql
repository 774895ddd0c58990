-- Products, their images and their stalls at events (api/products.c).

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
	    'images', api.product_images_json(p.id),
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
	select api.b64url_encode(p_sort || ':' || p_key || ':' || p_id)
$$;

create function api.product_cursor_decode(p_cursor text, p_sort text,
    out key bigint, out id uuid)
language plpgsql immutable as $$
declare
	raw	text := api.cursor_text(p_cursor);
begin
	if raw is null or raw !~ '^[a-z_]+:-?[0-9]{1,19}:[0-9a-f-]{36}$' or
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

-- Locks a product for a change by its group's staff. err is the answer
-- when the caller may not change it: 404 when the product is not there,
-- or is deleted and p_deleted_ok is false or the caller not its group's
-- staff (who alone see a deleted product); 403 p_forbidden for anyone
-- else who is not its group's staff.
create function api.product_lock(actor jsonb, p_id uuid,
    p_deleted_ok boolean, p_forbidden text, out p product,
    out g vocational_group, out err api.result)
language plpgsql as $$
begin
	select * into p from product where id = p_id for update;
	if found then
		select * into g from vocational_group where id = p.group_id;
	end if;
	if not found or (p.deleted_at is not null and
	    (not p_deleted_ok or not api.group_staff(actor, g))) then
		err := api.not_found('not_found.product');
	elsif not api.group_staff(actor, g) then
		err := api.forbidden(p_forbidden);
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
		return api.not_found('not_found.group');
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

create function api.product_create(actor jsonb, p_group uuid,
    b jsonb) returns api.result
language plpgsql as $$
declare
	g	vocational_group;
	p	product;
begin
	select * into g from vocational_group where id = p_group;
	if not found then
		return api.not_found('not_found.group');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('products.list_group_only');
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
		return api.not_found('not_found.product');
	end if;
	return api.ok(200, api.product_json(f.p, f.g), api.product_etag(f.p));
end;
$$;

create function api.product_patch(actor jsonb, p_id uuid,
    p_version int, b jsonb) returns api.result
language plpgsql as $$
declare
	l	record;
	p	product;
	g	vocational_group;
begin
	l := api.product_lock(actor, p_id, true,
	    'products.change_group_only');
	if (l.err).status is not null then
		return l.err;
	end if;
	p := l.p;
	g := l.g;
	if p.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'products.product_was_changed_since');
	end if;
	if p.deleted_at is not null then
		return api.problem(409, 'conflict',
		    'products.deleted_product_cannot_change');
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
create function api.product_delete(actor jsonb, p_id uuid)
returns api.result
language plpgsql as $$
declare
	l	record;
begin
	l := api.product_lock(actor, p_id, true,
	    'products.remove_group_only');
	if (l.err).status is not null then
		return l.err;
	end if;
	update product set deleted_at = coalesce(deleted_at, now()),
	    version = version + case when deleted_at is null then 1 else 0 end,
	    updated_at = case when deleted_at is null then now()
		else updated_at end
	where id = p_id;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- GET /v1/products. Filters (C has checked their form): q, category,
-- province, group, event, min_price_satang, max_price_satang, sort
-- (newest, price_asc, price_desc). A q matches inside the product's name
-- or description or its group's name, case-insensitively.
create function api.products_list(actor jsonb, f jsonb,
    p_limit int, p_cursor text) returns api.result
language plpgsql stable as $$
declare
	v_sort	text := coalesce(f->>'sort', 'newest');
	v_pat	text;
	c_key	bigint;
	c_id	uuid;
	v_order	text;
	v_after	text;
	items	jsonb;
	n	int;
	last_k	bigint;
	last_id	uuid;
begin
	if v_sort = 'newest' then
		v_order := 'p.created_at desc, p.id desc';
		v_after := '(p.created_at, p.id) < (api.from_micros($9), $10)';
	elsif v_sort = 'price_asc' then
		v_order := 'p.price_satang, p.id';
		v_after := '(p.price_satang, p.id) > ($9, $10)';
	elsif v_sort = 'price_desc' then
		v_order := 'p.price_satang desc, p.id desc';
		v_after := '(p.price_satang, p.id) < ($9, $10)';
	else
		return api.field_error('sort', 'enum',
		    'products.newest_priceasc_pricedesc');
	end if;
	if p_cursor is not null then
		select d.key, d.id into c_key, c_id
		from api.product_cursor_decode(p_cursor, v_sort) d;
		if c_id is null then
			return api.bad_cursor();
		end if;
	end if;
	if f->>'q' is not null then
		v_pat := api.like_pattern(lower(f->>'q'));
	end if;

	-- With q, the matches come first, from the two trigram indexes (the
	-- planner cannot estimate how few they are for Thai text), and the
	-- other filters and the order apply to those; without q, the order's
	-- index is walked.
	execute format($sql$
	with page as (
		select p, g, row_number() over (order by %1$s) as rn
		from %3$s join vocational_group g on g.id = p.group_id
		where p.deleted_at is null and
		    ($2::text is null or g.category = $2) and
		    ($3::bpchar is null or g.province_code = $3) and
		    ($4::uuid is null or p.group_id = $4) and
		    ($5::uuid is null or exists (select 1 from event_product ep
			where ep.product_id = p.id and ep.event_id = $5)) and
		    ($6::bigint is null or p.price_satang >= $6) and
		    ($7::bigint is null or p.price_satang <= $7) and
		    ($10::uuid is null or %2$s)
		order by %1$s
		limit $8 + 1
	)
	select coalesce(jsonb_agg(api.product_json(p, g) order by rn)
		filter (where rn <= $8), '[]'),
	    count(*),
	    (array_agg(case when $11 = 'newest' then
		api.micros((p).created_at) else (p).price_satang end)
		filter (where rn = $8))[1],
	    (array_agg((p).id) filter (where rn = $8))[1]
	from page
	$sql$, v_order, v_after, case when v_pat is null then 'product p'
	    else '(select x.id from product x where x.search like $1
		union
		select x.id from product x join vocational_group y
		    on y.id = x.group_id where y.search like $1) m
		join product p on p.id = m.id' end)
	into items, n, last_k, last_id
	using v_pat, f->>'category', f->>'province', (f->>'group')::uuid,
	    (f->>'event')::uuid, (f->>'min_price_satang')::bigint,
	    (f->>'max_price_satang')::bigint, p_limit, c_key, c_id, v_sort;

	return api.ok(200, jsonb_build_object('items', items,
	    'next_cursor', case when n > p_limit then
		api.product_cursor_encode(v_sort, last_k, last_id) end));
end;
$$;

-- p_hex: the bytes as hex; C has read the type and size from them.
create function api.product_image_add(actor jsonb, p_id uuid,
    p_hex text, p_type text, p_width int, p_height int) returns api.result
language plpgsql as $$
declare
	l	record;
	p	product;
	i	product_image;
	k	int;
begin
	l := api.product_lock(actor, p_id, true,
	    'products.images_add_group_only');
	if (l.err).status is not null then
		return l.err;
	end if;
	p := l.p;
	if p.deleted_at is not null then
		return api.problem(409, 'conflict',
		    'products.deleted_product_takes_images');
	end if;
	select count(*) into k from product_image where product_id = p_id;
	if k >= 8 then
		return api.problem(409, 'conflict',
		    'products.product_most_8_images');
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
	l	record;
	k	int;
begin
	l := api.product_lock(actor, p_id, false,
	    'products.images_order_group_only');
	if (l.err).status is not null then
		return l.err;
	end if;
	select count(*) into k from product_image where product_id = p_id;
	if jsonb_array_length(p_order) <> k or (select count(distinct x) <> k
	    or bool_or(x::int not between 1 and k) from
	    jsonb_array_elements_text(p_order) x) then
		return api.field_error('order', 'mismatch',
		    'products.give_every_image_number',
		    jsonb_build_object('k', k));
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

create function api.product_image_delete(actor jsonb, p_id uuid,
    p_n int) returns api.result
language plpgsql as $$
declare
	l	record;
begin
	l := api.product_lock(actor, p_id, false,
	    'products.images_remove_group_only');
	if (l.err).status is not null then
		return l.err;
	end if;
	delete from product_image where product_id = p_id and position = p_n;
	if not found then
		return api.not_found('not_found.image');
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

create function api.event_products(actor jsonb, p_event uuid)
returns api.result
language plpgsql stable as $$
declare
	e	event;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
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
	p	product;
	g	vocational_group;
begin
	select * into e from event where id = p_event for update;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	if not api.stall_event_side(actor, e) then
		return api.forbidden('products.agencies_organise_coorganise_event');
	end if;
	select * into p from product where id = p_product and
	    deleted_at is null;
	if not found then
		return api.not_found('not_found.product');
	end if;
	select * into g from vocational_group where id = p.group_id;
	if not api.group_staff(actor, g) then
		return api.forbidden('products.groups_own_agency_puts');
	end if;
	if e.status = 'cancelled' then
		return api.problem(409, 'conflict',
		    'events.cancelled_event_cannot_change');
	end if;
	insert into event_product (event_id, product_id)
	values (p_event, p_product) on conflict do nothing;
	return api.ok(204, 'null'::jsonb);
end;
$$;

create function api.event_product_delete(actor jsonb,
    p_event uuid, p_product uuid) returns api.result
language plpgsql as $$
declare
	e	event;
	g	vocational_group;
begin
	select * into e from event where id = p_event;
	if not found or not api.event_visible(actor, e) then
		return api.not_found('not_found.event');
	end if;
	select g1.* into g from product p
	join vocational_group g1 on g1.id = p.group_id
	where p.id = p_product;
	if not api.event_staff(actor, e) and
	    not coalesce(api.group_staff(actor, g), false) then
		return api.forbidden('products.events_organising_agency_products');
	end if;
	delete from event_product where event_id = p_event and
	    product_id = p_product;
	if not found then
		return api.not_found('not_found.product');
	end if;
	return api.ok(204, 'null'::jsonb);
end;
$$;

-- A product's images as the API lists them, without reading their bytes
-- (octet_length of a stored bytea reads only its header).
create function api.product_images_json(p_id uuid) returns jsonb
language sql stable as $$
	select coalesce(jsonb_agg(jsonb_build_object('n', i.position,
	    'url', '/v1/products/' || i.product_id || '/images/' ||
		i.position || '?v=' || left(encode(i.sha256, 'hex'), 16),
	    'content_type', i.content_type, 'width', i.width,
	    'height', i.height, 'bytes', octet_length(i.data),
	    'etag', '"' || encode(i.sha256, 'hex') || '"')
	    order by i.position), '[]')
	from product_image i where i.product_id = p_id
$$;

-- A product goes on an event's stall when both sides agree, and one
-- caller speaks for both: an organiser of an agency that organises or
-- co-organises the event and owns the product's group (or an admin).
-- Either side takes it off alone: the event's organising agency (its
-- event, its stalls) or the product's owner (its product).
create function api.stall_event_side(actor jsonb, e event) returns boolean
language sql stable as $$
	select coalesce(api.event_staff(actor, e) or
	    (api.actor_role(actor) = 'organizer' and exists (select 1
	    from event_co_organizer c where c.event_id = e.id and
	    c.agency_id = api.actor_agency(actor))), false)
$$;

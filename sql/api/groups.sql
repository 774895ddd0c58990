-- Vocational groups (api/groups.c).

-- A group is written by the agency that owns it (agency_id) and by
-- admins, not by any organiser of the group's province (one agency could
-- then rename, take over or empty another's groups). A group with no
-- agency is written by admins only.
create function api.group_staff(actor jsonb, g vocational_group)
returns boolean
language sql immutable as $$
	select coalesce(api.actor_role(actor) = 'admin' or
	    (api.actor_role(actor) = 'organizer' and
	    g.agency_id = api.actor_agency(actor)), false)
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
	select d.at, d.id into c_at, c_id from api.cursor_decode(p_cursor) d;
	if p_cursor is not null and c_at is null then
		return api.bad_cursor();
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
	return api.keyset_page(items, n > p_limit, last_at, last_id);
end;
$$;

create function api.group_get(actor jsonb, p_id uuid) returns api.result
language plpgsql stable as $$
declare
	g	vocational_group;
begin
	select * into g from vocational_group where id = p_id;
	if not found then
		return api.not_found('not_found.group');
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

create function api.group_create(actor jsonb, b jsonb)
returns api.result
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
	err := api.group_write_error(actor, null::vocational_group, n);
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

create function api.group_patch(actor jsonb, p_id uuid,
    p_version int, b jsonb) returns api.result
language plpgsql as $$
declare
	g	vocational_group;
	n	vocational_group;
	err	api.result;
begin
	select * into g from vocational_group where id = p_id for update;
	if not found then
		return api.not_found('not_found.group');
	end if;
	if not api.group_staff(actor, g) then
		return api.forbidden('groups.groups_own_agency_admin');
	end if;
	if g.version <> p_version then
		return api.problem(412, 'precondition-failed',
		    'groups.group_was_changed_since');
	end if;
	n := api.group_merge(g, b);
	err := api.group_write_error(actor, g, n);
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

-- Checks a new group row n (o: the row it replaces, null on create):
-- codes and places first (422), then what the caller may do (403).
-- Organisers create groups for their own agency only, in their agency's
-- province when it has one; moving a group to another agency (or to
-- none) is for admins.
create function api.group_write_error(actor jsonb, o vocational_group,
    n vocational_group) returns api.result
language plpgsql stable as $$
declare
	err	api.result;
	prov	char(2);
begin
	if not exists (select 1 from group_category
	    where code = n.category) then
		return api.field_error('category', 'not_found',
		    'groups.category_unknown');
	end if;
	err := api.place_error('', n.province_code, n.district_code,
	    n.subdistrict_code);
	if (err).status is not null then
		return err;
	end if;
	if n.agency_id is not null and not exists (select 1 from agency
	    where id = n.agency_id) then
		return api.field_error('agency_id', 'not_found',
		    'field.agency_unknown');
	end if;
	if api.actor_role(actor) = 'admin' then
		return null;
	end if;
	if api.actor_role(actor) is distinct from 'organizer' then
		return api.forbidden('groups.admins_organisers_write_groups');
	end if;
	if o.id is not null and o.agency_id is distinct from n.agency_id then
		return api.forbidden('groups.moving_group_another_agency');
	end if;
	if n.agency_id is distinct from api.actor_agency(actor) then
		return api.forbidden('groups.organisers_create_groups_their');
	end if;
	select province_code into prov from agency
	where id = api.actor_agency(actor);
	if prov is not null and n.province_code <> prov and
	    (o.id is null or o.province_code <> n.province_code) then
		return api.forbidden('groups.your_agencys_groups_are');
	end if;
	return null;
end;
$$;

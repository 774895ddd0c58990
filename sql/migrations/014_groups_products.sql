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
--
-- Its functions, triggers and types are in sql/api/ now, each defined once:
-- util.sql, groups.sql, products.sql.

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

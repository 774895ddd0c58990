-- Demo agencies and accounts for `make run`. Idempotent: the password of
-- the demo accounts follows DEMO_PASSWORD (psql variable demo_hash).

insert into agency (id, name, kind, province_code) values
    ('a0000000-0000-4000-8000-000000000001',
     'สำนักงานแรงงานจังหวัดลำปาง', 'ministry_office', '52'),
    ('a0000000-0000-4000-8000-000000000002',
     'สำนักงานแรงงานจังหวัดพิจิตร', 'ministry_office', '66'),
    ('a0000000-0000-4000-8000-000000000003',
     'สำนักงานสวัสดิการและคุ้มครองแรงงานจังหวัดลำพูน', 'ministry_office',
     '51'),
    ('a0000000-0000-4000-8000-000000000004',
     'สำนักงานประกันสังคมจังหวัดสมุทรปราการ', 'ministry_office', '11'),
    ('a0000000-0000-4000-8000-000000000005',
     'สำนักงานแรงงานจังหวัดพะเยา', 'ministry_office', '56'),
    ('a0000000-0000-4000-8000-000000000006',
     'ศูนย์ประสานงานแรงงานนอกระบบ', 'civil_society', null),
    ('a0000000-0000-4000-8000-000000000007',
     'สำนักงานกองทุนสนับสนุนการสร้างเสริมสุขภาพ (สสส.)',
     'partner_foundation', '10')
on conflict (id) do nothing;

insert into app_user (id, username, display_name, role, agency_id,
    password_hash) values
    ('b0000000-0000-4000-8000-000000000001', 'admin',
     'ผู้ดูแลระบบ', 'admin', null, :'demo_hash'),
    ('b0000000-0000-4000-8000-000000000002', 'organizer',
     'เจ้าหน้าที่สำนักงานแรงงานจังหวัดลำปาง', 'organizer',
     'a0000000-0000-4000-8000-000000000001', :'demo_hash'),
    ('b0000000-0000-4000-8000-000000000003', 'scanner',
     'อาสาสมัครจุดลงทะเบียน', 'scanner',
     'a0000000-0000-4000-8000-000000000001', :'demo_hash'),
    ('b0000000-0000-4000-8000-000000000004', 'partner',
     'เจ้าหน้าที่ สสส.', 'partner',
     'a0000000-0000-4000-8000-000000000007', :'demo_hash')
on conflict (id) do update set password_hash = excluded.password_hash,
    active = true;

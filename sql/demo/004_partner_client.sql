-- The demo partner account (user "partner", ThaiHealth's staff) acts for a
-- demo partner client, as every partner account must (issue 14): it reads
-- what that client may (both scopes, every province) at that client's
-- rate. The client's secret is random and shown to nobody; an admin who
-- wants to try client_credentials rotates it (POST .../{id}/secret).
-- Idempotent.

insert into partner_client (id, client_id, secret_sha256, name, scopes)
values ('d0000000-0000-4000-8000-000000000001',
    'pc_000000000000000000000001', digest(gen_random_bytes(32), 'sha256'),
    'แดชบอร์ด สสส. (ตัวอย่าง)', array['feed:read', 'stats:read'])
on conflict (id) do nothing;

update app_user set partner_client_id = 'd0000000-0000-4000-8000-000000000001'
where id = 'b0000000-0000-4000-8000-000000000004' and role = 'partner' and
    partner_client_id is null;

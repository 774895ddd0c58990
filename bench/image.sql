-- pgbench baseline for GET /v1/products/{id}/images/1 (api/products.c):
-- a demo product's generated PNG, no If-None-Match.
SELECT status, content_type, etag, data FROM api.product_image_get('f1000000-0000-4000-8000-000000000011', '1', NULL);

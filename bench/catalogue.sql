-- pgbench baseline for GET /v1/products?q=ลายน้ำไหล&limit=20 without a
-- token: the statement the server prepares for it (api/products.c), with
-- the filters as C passes them.
SELECT status, body, etag, location FROM api.products_list(NULL, '{"q":"ลายน้ำไหล"}', 20, NULL);

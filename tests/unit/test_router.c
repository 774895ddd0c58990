/*
 * Unit tests of api/router.c: finding a route by its template, the
 * Allow header.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/router.c"

static int	h_dummy(struct http_request *, struct ngan_req *);
static void	test_router(void);

static int
h_dummy(struct http_request *req, struct ngan_req *r)
{
	(void)req;
	(void)r;
	return (0);
}

static const struct route test_routes[] = {
	{ "/healthz", { [0] = { h_dummy } } },
	{ "/v1/users", { [0] = { h_dummy }, [1] = { h_dummy } } },
	{ "/v1/users/{id}", { [0] = { h_dummy }, [6] = { h_dummy } } },
	{ "/v1/events/{id}/sessions/{sid}", { [6] = { h_dummy } } },
};

static void
test_router(void)
{
	char		params[ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1];
	const struct route *r;
	char		allow[64];
	int		known;

	r = route_find(test_routes, 4, "/healthz", params, &known);
	CHECK(r == &test_routes[0] && known);
	r = route_find(test_routes, 4, "/healthz/", params, &known);
	CHECK(r == NULL && !known);
	r = route_find(test_routes, 4, "/v1/users", params, &known);
	CHECK(r == &test_routes[1]);
	r = route_find(test_routes, 4,
	    "/v1/users/0A000000-0000-4000-8000-000000000001", params, &known);
	CHECK(r == &test_routes[2]);
	CHECK(!strcmp(params[0], "0a000000-0000-4000-8000-000000000001"));
	r = route_find(test_routes, 4, "/v1/users/123", params, &known);
	CHECK(r == NULL);
	r = route_find(test_routes, 4, "/v1/users/'; drop table x;--",
	    params, &known);
	CHECK(r == NULL);
	r = route_find(test_routes, 4, "/v1/events/a0000000-0000-4000-8000-"
	    "000000000001/sessions/b0000000-0000-4000-8000-000000000002",
	    params, &known);
	CHECK(r == &test_routes[3]);
	CHECK(!strcmp(params[1], "b0000000-0000-4000-8000-000000000002"));
	r = route_find(test_routes, 4, "", params, &known);
	CHECK(r == NULL);
	r = route_find(test_routes, 4, "//", params, &known);
	CHECK(r == NULL);
	CHECK(route_allow_header(&test_routes[2], allow, sizeof(allow)));
	CHECK(!strcmp(allow, "GET, HEAD, PATCH"));
	CHECK(!route_allow_header(&test_routes[2], allow, 4));
}

void
unit_router(void)
{
	test_router();
}

/*
 * What a route's row in the table (main.c, ngan_routes) asks of a
 * request before its handler runs: the caller's role, the query, If-Match
 * and the body. A plain route's row also names its SQL function and the
 * arguments; call_plain() is then its whole handler: the function is
 * called and its api.result row answered.
 */

#include <stdlib.h>
#include <string.h>

#include "ngan.h"

static const char	*call_statement(struct ngan_req *);
static char		*call_filters(struct ngan_req *,
			    const struct field_spec *);

/* A plain call's statement text, made once per worker (call_slot()). */
static char		**call_sql;

/*
 * The row's checks, in the order handlers always made them: role, query,
 * If-Match, body; then its Cache-Control. Answers the request itself
 * and returns KORE_RESULT_ERROR when one fails.
 */
int
call_checks(struct http_request *req, struct ngan_req *r)
{
	const struct route_call	*c = r->call;

	r->checked = 1;
	if ((c->flags & CALL_CACHE_FIRST) && c->cache != NULL)
		http_response_header(req, "cache-control", c->cache);
	if (c->roles != 0 && !auth_require(req, r, c->roles))
		return (KORE_RESULT_ERROR);
	if (c->query != NULL && !query_or_422(req, r, c->query))
		return (KORE_RESULT_ERROR);
	r->version = 0;
	if ((c->flags & CALL_IF_MATCH) &&
	    !if_match_version(req, r, &r->version))
		return (KORE_RESULT_ERROR);
	if ((c->flags & CALL_IF_MATCH_CHECK) && !if_match_check(req, r))
		return (KORE_RESULT_ERROR);
	if (c->body != NULL && !((c->flags & CALL_BODY_OPTIONAL) &&
	    req->http_body_length == 0) &&
	    !json_body_or_error(req, r, c->body))
		return (KORE_RESULT_ERROR);
	if (c->cache != NULL && !(c->flags & CALL_CACHE_FIRST))
		http_response_header(req, "cache-control", c->cache);

	return (KORE_RESULT_OK);
}

/* The handler of a route whose row names its SQL function. */
int
call_plain(struct http_request *req, struct ngan_req *r)
{
	const struct route_call	*c = r->call;
	const struct field_spec	*s;
	const char		*values[NGAN_PARAMS_MAX], *v;
	char			numbers[NGAN_PARAMS_MAX][24];
	char			*body, *filters;
	int			n, ret, a;

	if (r->state != STATE_QUERY)
		return (c->respond != NULL ? c->respond(req, r) :
		    db_respond(req, r));

	body = NULL;
	filters = NULL;
	for (n = 0; n < NGAN_PARAMS_MAX && c->args[n] != ARG_END; n++) {
		switch ((a = c->args[n])) {
		case ARG_ACTOR:
			values[n] = r->actor.json;
			break;
		case ARG_PATH0:
		case ARG_PATH1:
		case ARG_PATH2:
			values[n] = r->params[a - ARG_PATH0];
			break;
		case ARG_BODY:
			if (body == NULL && r->body != NULL)
				body = json_dumps(r->body, JSON_COMPACT);
			values[n] = body;
			break;
		case ARG_NULL:
			values[n] = NULL;
			break;
		case ARG_VERSION:
		case ARG_VERSION_SET:
			(void)snprintf(numbers[n], sizeof(numbers[n]), "%d",
			    r->version);
			values[n] = a == ARG_VERSION || r->version > 0 ?
			    numbers[n] : NULL;
			break;
		case ARG_IF_NONE_MATCH:
			/* Not for the GET that runs before an If-Match. */
			if (!http_request_header(req, "if-none-match", &v) ||
			    strlen(v) > 1024 || r->precond == PRECOND_CAPTURE)
				v = NULL;
			values[n] = v;
			break;
		case ARG_FILTERS:
			if (filters == NULL)
				filters = call_filters(r, c->query);
			values[n] = filters;
			break;
		default:
			/* A number as the server read it: "+7" is "7". */
			s = &c->query[a - ARG_QUERY];
			if ((v = query_value(r, s->name)) == NULL) {
				v = s->fallback;
			} else if (s->type == FIELD_INT) {
				(void)snprintf(numbers[n], sizeof(numbers[n]),
				    "%lld", strtoll(v, NULL, 10));
				v = numbers[n];
			}
			values[n] = v;
			break;
		}
	}

	if (c->flags & CALL_ACTOR_CHECKED)
		r->actor_checked = 1;
	if (c->flags & CALL_REPLICA)
		db_on_replica(r);
	ret = db_query_array(req, r, call_statement(r), n, values, NULL);
	free(body);
	free(filters);

	return (ret);
}

/* The request's route and method as one index, for per-route state. */
size_t
call_slot(const struct ngan_req *r)
{
	return ((size_t)(r->route - ngan_routes) * ROUTE_METHODS +
	    (size_t)(r->call - r->route->calls));
}

/* "SELECT status, body, etag, location FROM api.<function>($1, $2)" */
static const char *
call_statement(struct ngan_req *r)
{
	struct kore_buf		buf;
	size_t			slot;
	int			i;

	if (call_sql == NULL) {
		call_sql = calloc(ngan_routes_count * ROUTE_METHODS,
		    sizeof(*call_sql));
		if (call_sql == NULL)
			fatal("call_statement: out of memory");
	}
	slot = call_slot(r);
	if (call_sql[slot] != NULL)
		return (call_sql[slot]);

	kore_buf_init(&buf, 128);
	kore_buf_appendf(&buf, "SELECT status, body, etag, location FROM %s(",
	    r->call->function);
	for (i = 0; i < NGAN_PARAMS_MAX && r->call->args[i] != ARG_END; i++)
		kore_buf_appendf(&buf, "%s$%d", i > 0 ? ", " : "", i + 1);
	kore_buf_append(&buf, ")", 2);
	call_sql[slot] = kore_strdup((const char *)buf.data);
	kore_buf_cleanup(&buf);

	return (call_sql[slot]);
}

/* The FIELD_FILTER parameters present, as a JSON object's text. */
static char *
call_filters(struct ngan_req *r, const struct field_spec *specs)
{
	const struct field_spec	*s;
	const char		*v;
	json_t			*f;
	char			*text;

	f = json_object();
	for (s = specs; s->name != NULL; s++) {
		if ((s->flags & FIELD_FILTER) &&
		    (v = query_value(r, s->name)) != NULL)
			json_object_set_new(f, s->name, json_string(v));
	}
	text = json_dumps(f, JSON_COMPACT);
	json_decref(f);

	return (text);
}

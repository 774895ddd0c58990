/*
 * OAuth 2 as its RFCs write it, around the grants in auth.c: request
 * parameters form-encoded (RFC 6749 3.2, and JSON as before), client
 * authentication by HTTP Basic or in the body (2.3.1), errors as 5.2
 * JSON, the issuer (NGAN_PUBLIC_URL) and its metadata (RFC 8414).
 *
 * The parsers (oauth_form_parse, oauth_params_check, oauth_basic_parse,
 * oauth_scope_valid, oauth_public_url_check) are pure: unit tests and
 * tests/fuzz/fuzz-oauth.c call them without a server.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define PARAMS_MAX	32
#define PARAM_VALUE_MAX	4096

static int	form_decode(const char *, size_t, char **);

/*
 * A value as RFC 6749 takes it: UTF-8 without control characters (a
 * refresh token, a password, a Thai username...), at most 4096 bytes
 * (the longest token we issue is far shorter).
 */
static int
param_value_ok(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    p - s >= PARAM_VALUE_MAX)
			return (0);
	}

	return (1);
}

/* Percent-decodes len bytes of p into a new string; caller must free. */
static int
form_decode(const char *p, size_t len, char **out)
{
	char		*s;

	*out = NULL;
	if ((s = malloc(len + 1)) == NULL)
		return (0);
	memcpy(s, p, len);
	s[len] = '\0';
	if (strlen(s) != len || !url_decode(s) || !utf8_valid(s)) {
		free(s);
		return (0);
	}
	*out = s;

	return (1);
}

/*
 * application/x-www-form-urlencoded (RFC 6749 appendix B) into a new
 * JSON object of strings in *out (caller must json_decref). A parameter
 * sent without a value counts as omitted (3.2); one sent twice, a bad
 * escape, a NUL, invalid UTF-8 or a control character is an error and
 * *why says which.
 */
int
oauth_form_parse(const char *buf, size_t len, json_t **out, const char **why)
{
	const char	*p, *end, *amp, *eq;
	char		*name, *value;
	json_t		*obj;
	size_t		seg;
	int		n;

	*out = NULL;
	*why = NULL;
	obj = json_object();
	end = buf + len;
	n = 0;

	for (p = buf; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		seg = (size_t)(amp - p);
		if (seg == 0)
			continue;
		if (++n > PARAMS_MAX) {
			*why = "The body has too many parameters.";
			goto bad;
		}
		eq = memchr(p, '=', seg);
		if (!form_decode(p, eq != NULL ? (size_t)(eq - p) : seg,
		    &name)) {
			*why = "A parameter name is not well-formed "
			    "(escapes, UTF-8).";
			goto bad;
		}
		if (!form_decode(eq != NULL ? eq + 1 : amp, eq != NULL ?
		    (size_t)(amp - eq - 1) : 0, &value) ||
		    !param_value_ok(value)) {
			free(name);
			free(value);
			*why = "A parameter value is not well-formed "
			    "(escapes, UTF-8, control characters) or over "
			    "4096 bytes.";
			goto bad;
		}
		if (*name == '\0' || *value == '\0') {
			free(name);
			free(value);
			continue;
		}
		if (json_object_get(obj, name) != NULL) {
			free(name);
			free(value);
			*why = "A parameter is repeated.";
			goto bad;
		}
		json_object_set_new(obj, name, json_string(value));
		free(name);
		free(value);
		if (amp == end)
			break;
	}

	*out = obj;
	return (KORE_RESULT_OK);

bad:
	json_decref(obj);
	return (KORE_RESULT_ERROR);
}

/*
 * A JSON body holds the same parameters: an object of strings. Empty
 * ones (and an empty name, found by tests/fuzz/fuzz-oauth.c) count as
 * omitted and are dropped; anything but a string is an
 * error (*why says so).
 */
int
oauth_params_check(json_t *obj, const char **why)
{
	const char	*key;
	json_t		*value;
	void		*tmp;

	*why = NULL;
	if (!json_is_object(obj)) {
		*why = "The body must be a JSON object of strings.";
		return (KORE_RESULT_ERROR);
	}
	if (json_object_size(obj) > PARAMS_MAX) {
		*why = "The body has too many parameters.";
		return (KORE_RESULT_ERROR);
	}
	json_object_foreach_safe(obj, tmp, key, value) {
		if (!json_is_string(value)) {
			*why = "Every parameter must be a string.";
			return (KORE_RESULT_ERROR);
		}
		if (!param_value_ok(json_string_value(value))) {
			*why = "A parameter value holds a control character "
			    "or is over 4096 bytes.";
			return (KORE_RESULT_ERROR);
		}
		/* As in a form: no name or no value is no parameter. */
		if (*key == '\0' || *json_string_value(value) == '\0')
			json_object_del(obj, key);
	}

	return (KORE_RESULT_OK);
}

/*
 * "Authorization: Basic base64(id:secret)" where id and secret are each
 * form-encoded first (RFC 6749 2.3.1): a client id or secret holding ':'
 * or non-ASCII still splits right. 1 with both filled, 0 when the header
 * is malformed or either part too long for its buffer.
 */
int
oauth_basic_parse(const char *header, char *id, size_t idlen, char *secret,
    size_t slen)
{
	const char	*b64, *colon;
	u_int8_t	raw[1024];
	size_t		len, b64len;
	char		*a, *b;
	int		ok;

	if (strncasecmp(header, "Basic ", 6) != 0)
		return (0);
	for (b64 = header + 6; *b64 == ' '; b64++)
		;
	b64len = strlen(b64);
	while (b64len > 0 && b64[b64len - 1] == ' ')
		b64len--;
	if (b64len == 0 || b64len > 1360)
		return (0);
	if (sodium_base642bin(raw, sizeof(raw) - 1, b64, b64len, NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return (0);
	raw[len] = '\0';
	if (memchr(raw, '\0', len) != NULL ||
	    (colon = memchr(raw, ':', len)) == NULL)
		return (0);

	ok = 0;
	a = b = NULL;
	if (form_decode((const char *)raw, (size_t)(colon - (char *)raw),
	    &a) && form_decode(colon + 1, len - (size_t)(colon -
	    (char *)raw) - 1, &b) && *a != '\0' && param_value_ok(a) &&
	    param_value_ok(b) && strlen(a) < idlen && strlen(b) < slen) {
		memcpy(id, a, strlen(a) + 1);
		memcpy(secret, b, strlen(b) + 1);
		ok = 1;
	}
	sodium_memzero(raw, sizeof(raw));
	if (b != NULL)
		sodium_memzero(b, strlen(b));
	free(a);
	free(b);

	return (ok);
}

/*
 * RFC 6749 3.3: scope tokens of %x21 / %x23-5B / %x5D-7E split by single
 * spaces, at most max of them.
 */
int
oauth_scope_valid(const char *scope, int max)
{
	const char	*p;
	int		n;

	if (*scope == '\0' || *scope == ' ')
		return (0);
	for (n = 1, p = scope; *p != '\0'; p++) {
		if (*p == ' ') {
			if (p[1] == ' ' || p[1] == '\0' || ++n > max)
				return (0);
			continue;
		}
		if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\')
			return (0);
	}

	return (1);
}

/* Is host (as written in a URL, IPv6 in brackets) a loopback name? */
static int
host_loopback(const char *host, size_t len)
{
	if ((len == 9 && !strncasecmp(host, "localhost", 9)) ||
	    (len == 5 && !strncmp(host, "[::1]", 5)))
		return (1);

	return (len >= 7 && len <= 15 && !strncmp(host, "127.", 4) &&
	    strspn(host, "0123456789.") == len);
}

/*
 * NGAN_PUBLIC_URL: an origin, scheme://host[:port] with at most a
 * trailing '/', https (http for a loopback host only: RFC 8414 2 wants
 * https). The issuer is written to out without the slash. 0 and *why on
 * anything else (a path, query, fragment, user info, odd host or port).
 */
int
oauth_public_url_check(const char *url, char *out, size_t outlen,
    const char **why)
{
	const char	*host, *p, *port;
	size_t		hlen, len;
	long		n;
	int		https;

	*why = "must be an origin such as https://api.example.org "
	    "(https or http, a host, an optional port; no path, query or "
	    "fragment)";
	if ((host = addr_url_host(url, &https)) == NULL)
		return (0);

	if (*host == '[') {
		if ((p = strchr(host, ']')) == NULL || p == host + 1)
			return (0);
		hlen = (size_t)(p - host) + 1;
		if (strspn(host + 1, "0123456789abcdefABCDEF:.") !=
		    hlen - 2)
			return (0);
	} else {
		hlen = strspn(host, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (hlen == 0 || hlen > 253 || host[0] == '.' ||
		    host[0] == '-')
			return (0);
	}
	p = host + hlen;
	if (*p == ':') {
		port = ++p;
		len = strspn(port, "0123456789");
		if (len == 0 || len > 5)
			return (0);
		n = strtol(port, NULL, 10);
		if (n < 1 || n > 65535)
			return (0);
		p += len;
	}
	if (*p == '/')
		p++;
	if (*p != '\0')
		return (0);

	if (!https && !host_loopback(host, hlen)) {
		*why = "must use https (http only for localhost, 127.0.0.0/8 "
		    "or [::1]; RFC 8414)";
		return (0);
	}

	len = strlen(url);
	if (url[len - 1] == '/')
		len--;
	if (len >= outlen) {
		*why = "is too long";
		return (0);
	}
	memcpy(out, url, len);
	out[len] = '\0';
	*why = NULL;

	return (1);
}

#if !defined(NGAN_UNIT_TEST)
/* The issuer: set in the parent before the workers fork. */
static char		issuer[512];
static char		*metadata_json;
static const char	server_error[] = "{\"error\":\"server_error\"}";

/*
 * NGAN_PUBLIC_URL, checked once in the parent (a bad value stops the
 * server with a message, err); unset, http://ADDR:PORT of the first
 * listener (127.0.0.1 when it binds every address), right for a local
 * run and for nothing behind a proxy: deployments set it.
 */
int
oauth_issuer_init(char *err, size_t errlen)
{
	struct kore_server	*srv;
	struct listener		*l;
	const char		*v, *why, *host;
	char			derived[300];

	if (*(v = config_text(CONFIG_PUBLIC_URL)) == '\0') {
		if ((srv = kore_server_lookup("api")) == NULL ||
		    (l = LIST_FIRST(&srv->listeners)) == NULL ||
		    l->host == NULL || l->port == NULL) {
			(void)snprintf(err, errlen, "NGAN_PUBLIC_URL is not "
			    "set and the server has no listener to derive it "
			    "from");
			return (KORE_RESULT_ERROR);
		}
		host = l->host;
		if (!strcmp(host, "0.0.0.0") || !strcmp(host, "*"))
			host = "127.0.0.1";
		else if (!strcmp(host, "::"))
			host = "::1";
		(void)snprintf(derived, sizeof(derived), "http://%s%s%s:%s",
		    strchr(host, ':') != NULL ? "[" : "", host,
		    strchr(host, ':') != NULL ? "]" : "", l->port);
		v = derived;
	}

	if (!oauth_public_url_check(v, issuer, sizeof(issuer), &why)) {
		(void)snprintf(err, errlen, "NGAN_PUBLIC_URL (%.300s) %s", v,
		    why);
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

const char *
oauth_issuer(void)
{
	return (issuer);
}

/* RFC 8414 metadata, rendered once per worker. */
int
oauth_init(void)
{
	json_t		*m;
	char		token[600], revoke[600], jwks[600], docs[600];

	if (issuer[0] == '\0')
		return (KORE_RESULT_ERROR);
	(void)snprintf(token, sizeof(token), "%s/v1/auth/token", issuer);
	(void)snprintf(revoke, sizeof(revoke), "%s/v1/auth/revoke", issuer);
	(void)snprintf(jwks, sizeof(jwks), "%s/.well-known/jwks.json",
	    issuer);
	(void)snprintf(docs, sizeof(docs), "%s/docs", issuer);

	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[sss], s:[sss], s:[sss], "
	    "s:[ss], s:[]}",
	    "issuer", issuer,
	    "token_endpoint", token,
	    "revocation_endpoint", revoke,
	    "jwks_uri", jwks,
	    "service_documentation", docs,
	    "grant_types_supported", "password", "refresh_token",
	    "client_credentials",
	    "token_endpoint_auth_methods_supported", "client_secret_basic",
	    "client_secret_post", "none",
	    "revocation_endpoint_auth_methods_supported",
	    "client_secret_basic", "client_secret_post", "none",
	    "scopes_supported", "stats:read", "feed:read",
	    "response_types_supported");
	if (m == NULL)
		return (KORE_RESULT_ERROR);
	metadata_json = json_dumps(m, JSON_COMPACT);
	json_decref(m);

	return (metadata_json != NULL);
}

/* GET /.well-known/oauth-authorization-server */
int
oauth_metadata(struct http_request *req, struct ngan_req *r)
{
	http_response_header(req, "cache-control", "public, max-age=300");
	respond_text(req, 200, "application/json", metadata_json,
	    strlen(metadata_json));
	return (KORE_RESULT_OK);
}

/*
 * RFC 6749 5.2: {"error", "error_description"} as application/json,
 * never cached. invalid_client is 401 with the Basic challenge, the
 * scheme we take client credentials by.
 */
void
oauth_error(struct http_request *req, int status, const char *error,
    const char *description)
{
	json_t		*body;
	char		*text;

	if (!strcmp(error, "invalid_client")) {
		status = 401;
		http_response_header(req, "www-authenticate",
		    "Basic realm=\"ngan\", charset=\"UTF-8\"");
	}
	body = json_pack("{s:s, s:s}", "error", error, "error_description",
	    description);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	oauth_no_store(req);
	if (text == NULL) {
		respond_text(req, 500, "application/json", server_error,
		    sizeof(server_error) - 1);
		return;
	}
	respond_text(req, status, "application/json", text, strlen(text));
	free(text);
}

/* Cache-Control and Pragma of a token response (RFC 6749 5.1), once. */
void
oauth_no_store(struct http_request *req)
{
	http_response_header(req, "cache-control", "no-store");
	http_response_header(req, "pragma", "no-cache");
}

/*
 * Reads the request's parameters into r->body, a JSON object of strings,
 * from a form-encoded or JSON body. Answers 415, 413 or 400
 * invalid_request itself and returns KORE_RESULT_ERROR then.
 */
int
oauth_params_or_error(struct http_request *req, struct ngan_req *r)
{
	const char	*type, *why;
	char		*buf;
	ssize_t		ret;
	size_t		len, off;
	int		form;

	form = 0;
	if (http_request_header(req, "content-type", &type)) {
		if (!strncasecmp(type, "application/x-www-form-urlencoded",
		    33) && (type[33] == '\0' || type[33] == ';' ||
		    type[33] == ' '))
			form = 1;
		else if (!strncasecmp(type, "application/json", 16) &&
		    (type[16] == '\0' || type[16] == ';' || type[16] == ' '))
			form = 2;
	}
	if (form == 0) {
		oauth_error(req, 415, "invalid_request", "Send the parameters "
		    "as application/x-www-form-urlencoded (or "
		    "application/json).");
		return (KORE_RESULT_ERROR);
	}

	len = req->http_body_length;
	if (len > OAUTH_BODY_MAX) {
		oauth_error(req, 413, "invalid_request", "The body is over "
		    "16 KiB.");
		return (KORE_RESULT_ERROR);
	}
	buf = kore_malloc(len + 1);
	off = 0;
	while (off < len) {
		ret = http_body_read(req, buf + off, len - off);
		if (ret <= 0)
			break;
		off += (size_t)ret;
	}
	buf[off] = '\0';

	why = NULL;
	if (form == 1) {
		(void)oauth_form_parse(buf, off, &r->body, &why);
	} else {
		r->body = json_loadb(buf, off, JSON_REJECT_DUPLICATES, NULL);
		if (r->body == NULL)
			why = "The body is not valid JSON (or not UTF-8, or "
			    "repeats a member).";
		else
			(void)oauth_params_check(r->body, &why);
	}
	kore_free(buf);
	if (why != NULL) {
		oauth_error(req, 400, "invalid_request", why);
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/* A parameter's value, or NULL when it was not sent. */
const char *
oauth_param(struct ngan_req *r, const char *name)
{
	return (json_string_value(json_object_get(r->body, name)));
}

/*
 * The client's credentials (RFC 6749 2.3.1), after oauth_params_or_error:
 * Basic in the Authorization header or client_id and client_secret in
 * the parameters, never both. c->method is OAUTH_CLIENT_NONE when the
 * request names no client. Answers invalid_request or invalid_client
 * itself and returns KORE_RESULT_ERROR then.
 */
int
oauth_client_or_error(struct http_request *req, struct ngan_req *r,
    struct oauth_client *c)
{
	const char	*h, *id, *secret;

	memset(c, 0, sizeof(*c));
	id = oauth_param(r, "client_id");
	secret = oauth_param(r, "client_secret");

	if (http_request_header(req, "authorization", &h)) {
		if (!oauth_basic_parse(h, c->id, sizeof(c->id), c->secret,
		    sizeof(c->secret))) {
			oauth_error(req, 401, "invalid_client", "Client "
			    "authentication is HTTP Basic with the client id "
			    "and secret (RFC 6749 2.3.1), or client_id and "
			    "client_secret in the body.");
			return (KORE_RESULT_ERROR);
		}
		if (secret != NULL || (id != NULL && strcmp(id, c->id))) {
			oauth_error(req, 400, "invalid_request", "The client "
			    "authenticates one way: HTTP Basic or "
			    "client_secret in the body, not both.");
			return (KORE_RESULT_ERROR);
		}
		c->method = OAUTH_CLIENT_BASIC;
		return (KORE_RESULT_OK);
	}

	if (id == NULL && secret == NULL)
		return (KORE_RESULT_OK);
	if (id == NULL) {
		oauth_error(req, 400, "invalid_request", "client_secret "
		    "comes with client_id.");
		return (KORE_RESULT_ERROR);
	}
	if (strlen(id) >= sizeof(c->id) || (secret != NULL &&
	    strlen(secret) >= sizeof(c->secret))) {
		/* Longer than any client id or secret we issue. */
		oauth_error(req, 401, "invalid_client", "The client id or "
		    "secret is wrong, or the client is disabled.");
		return (KORE_RESULT_ERROR);
	}
	/* Partner clients are confidential: no client_id alone. */
	if (secret == NULL) {
		oauth_error(req, 401, "invalid_client", "This client "
		    "authenticates with its secret (HTTP Basic or "
		    "client_secret).");
		return (KORE_RESULT_ERROR);
	}
	kore_strlcpy(c->id, id, sizeof(c->id));
	kore_strlcpy(c->secret, secret, sizeof(c->secret));
	c->method = OAUTH_CLIENT_POST;

	return (KORE_RESULT_OK);
}
#endif

/*
 * Public reads kept rendered in each worker (issue 17, item 2): what an
 * anonymous caller gets from GET /v1/events/{id} and GET /v1/events, as
 * the database rendered it, served again without a query until the
 * database says an event changed.
 *
 * Triggers (sql/api/events.sql) NOTIFY ngan_public with the event's id in
 * the transaction of the change, so every worker of every server process
 * hears of it as the change commits: the event's answer and every list
 * go. A payload of "*" (an agency renamed) drops everything, and so does
 * each new listener connection (a notification sent while nobody
 * listened is lost). Before each answer from here the listener's socket
 * is read, so a change committed before the request came is known; while
 * the listener is down nothing is served from here.
 *
 * Bounded: CACHE_SLOTS answers (one per slot, a newer one replaces an
 * older in its slot), CACHE_BYTES_MAX bytes in all.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define CHANNEL		"ngan_public"
#define CACHE_SLOTS	256		/* a power of two */
#define CACHE_KEY_MAX	300
#define CACHE_BYTES_MAX	(4 * 1024 * 1024)

struct cache_entry {
	char		*key;		/* "e:<uuid>" or "l:<query>" */
	char		*body;
	char		*etag;		/* the database's, or NULL */
	size_t		len;
	u_int64_t	gen;		/* lists: list_gen when kept */
};

static void	cache_message(const char *, void *);
static int	cache_sync(PGconn *, void *);
static int	cache_key(struct http_request *, struct ngan_req *, int,
		    char *, size_t);
static size_t	cache_slot(const char *);
static void	cache_drop(struct cache_entry *);
static void	cache_drop_all(void);

static struct cache_entry	slots[CACHE_SLOTS];
static size_t			bytes;
static u_int64_t		list_gen = 1;
static u_int8_t			hash_key[crypto_shorthash_KEYBYTES];

void
cache_init(void)
{
	randombytes_buf(hash_key, sizeof(hash_key));
	notify_subscribe(CHANNEL, cache_message, cache_sync, NULL);
}

/*
 * Serves the kept answer for this request when there is one; 1 if it
 * did. kind: CACHE_EVENT or CACHE_EVENTS.
 */
int
cache_serve(struct http_request *req, struct ngan_req *r, int kind)
{
	struct cache_entry	*e;
	char			key[CACHE_KEY_MAX];

	if (!cache_key(req, r, kind, key, sizeof(key)))
		return (0);
	/* Reads what the database said before this request came. */
	if (!notify_ready())
		return (0);
	e = &slots[cache_slot(key)];
	if (e->key == NULL || strcmp(e->key, key) != 0 ||
	    (kind == CACHE_EVENTS && e->gen != list_gen))
		return (0);

	/* As db_respond() answers it (respond_send() makes the tag). */
	if (e->etag != NULL)
		http_response_header(req, "etag", e->etag);
	respond_text(req, 200, "application/json", e->body, e->len);
	return (1);
}

/* Keeps a 200 answer the database rendered for this request. */
void
cache_keep(struct http_request *req, struct ngan_req *r, int kind,
    const char *body, size_t len, const char *etag)
{
	struct cache_entry	*e;
	char			key[CACHE_KEY_MAX];

	if (!cache_key(req, r, kind, key, sizeof(key)) || !notify_ready())
		return;
	e = &slots[cache_slot(key)];
	cache_drop(e);
	if (bytes + len > CACHE_BYTES_MAX)
		return;
	e->key = kore_strdup(key);
	e->body = kore_malloc(len + 1);
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	e->etag = etag != NULL ? kore_strdup(etag) : NULL;
	e->len = len;
	e->gen = list_gen;
	bytes += len;
}

/*
 * The key of a request that may be kept: anonymous GET or HEAD, not a
 * conditional write's own read; one event by its id in lower case (the
 * form the triggers name), a list by its query.
 */
static int
cache_key(struct http_request *req, struct ngan_req *r, int kind,
    char *key, size_t len)
{
	const char	*id, *q;
	size_t		i;
	int		n;

	if (r->actor.authenticated || r->precond == PRECOND_CAPTURE ||
	    (req->method != HTTP_METHOD_GET &&
	    req->method != HTTP_METHOD_HEAD))
		return (0);

	if (kind == CACHE_EVENT) {
		id = r->params[0];
		if (id == NULL || strlen(id) != NGAN_UUID_LEN ||
		    (req->query_string != NULL && *req->query_string != '\0'))
			return (0);
		for (i = 0; i < NGAN_UUID_LEN; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (id[i] != '-')
					return (0);
			} else if (!((id[i] >= '0' && id[i] <= '9') ||
			    (id[i] >= 'a' && id[i] <= 'f')))
				return (0);
		}
		n = snprintf(key, len, "e:%s", id);
	} else {
		q = req->query_string != NULL ? req->query_string : "";
		n = snprintf(key, len, "l:%s", q);
	}

	return (n > 0 && (size_t)n < len);
}

static size_t
cache_slot(const char *key)
{
	u_int8_t	h[crypto_shorthash_BYTES];
	u_int64_t	v;

	crypto_shorthash(h, (const u_int8_t *)key, strlen(key), hash_key);
	memcpy(&v, h, sizeof(v));
	return ((size_t)(v & (CACHE_SLOTS - 1)));
}

static void
cache_drop(struct cache_entry *e)
{
	if (e->key == NULL)
		return;
	bytes -= e->len;
	kore_free(e->key);
	kore_free(e->body);
	if (e->etag != NULL)
		kore_free(e->etag);
	memset(e, 0, sizeof(*e));
}

static void
cache_drop_all(void)
{
	size_t		i;

	for (i = 0; i < CACHE_SLOTS; i++)
		cache_drop(&slots[i]);
	list_gen++;
}

/* An event changed (its id), or everything may have ("*"). */
static void
cache_message(const char *payload, void *arg)
{
	char		key[CACHE_KEY_MAX];
	size_t		slot;

	if (payload == NULL || strcmp(payload, "*") == 0 ||
	    strlen(payload) != NGAN_UUID_LEN) {
		cache_drop_all();
		return;
	}
	list_gen++;
	(void)snprintf(key, sizeof(key), "e:%s", payload);
	slot = cache_slot(key);
	if (slots[slot].key != NULL && strcmp(slots[slot].key, key) == 0)
		cache_drop(&slots[slot]);
}

/* A new listener connection: what was kept may have missed a change. */
static int
cache_sync(PGconn *conn, void *arg)
{
	cache_drop_all();
	return (KORE_RESULT_OK);
}

/*
 * The edge: connections before they are requests, and who a request
 * comes from.
 *
 * Every accepted connection passes ngan_connect() (conf/ngan.conf.in:
 * "bind ... ngan_connect"), which sets it up for HTTP as Kore would and
 * adds three things: a cap on the connections one address holds across
 * all workers (NGAN_CONN_PER_ADDR; trusted proxies are exempt, the front
 * limits its own clients), a read hook that takes an Accept-Language
 * Kore would refuse with a bare 400 out of the request head and closes
 * request bodies arriving more slowly than NGAN_BODY_MIN_RATE once
 * BODY_GRACE_MS have passed. Kore's own limits (http_header_timeout,
 * http_body_timeout) stay the outer bounds.
 *
 * A request's client is the socket peer, or, when the peer is one of
 * NGAN_TRUSTED_PROXIES, the address the proxy names (addr.c).
 */

#include <sys/mman.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ngan.h"

#define TRUSTED_DEFAULT		"127.0.0.0/8,::1"
#define CONN_PER_ADDR		32
#define CONN_SLOTS		16384	/* counters per worker, keyed hash */
#define CONN_ROWS		64	/* worker ids below this are counted */
#define BODY_MIN_RATE		1024	/* bytes a second, on average */
#define BODY_GRACE_MS		5000
#define METRICS_TOKEN_MIN	32
#define KEEPALIVE_SLACK_MS	4000	/* idle close, past the hint */

static int	peer_of(struct connection *, struct addr *);
static u_int32_t conn_slot(const struct addr *);
static u_int32_t conn_total(u_int32_t);
static void	conn_refuse(struct connection *);
static void	conn_closed(struct connection *);
static int	edge_read(struct connection *, size_t *);
static int	body_slow(struct connection *, struct http_request *);

static struct addr_list	trusted;
static int		conn_cap = CONN_PER_ADDR;
static int		body_min_rate = BODY_MIN_RATE;

/*
 * Open connections by address, one row per worker (each writes only its
 * own), shared by all: a worker sums the rows for an address's slot.
 * The slot is a keyed hash, so nobody can aim at another's counter; a
 * worker that starts (again, after a crash) clears its row.
 */
static u_int16_t	*conn_count;
static u_int8_t		conn_key[crypto_shorthash_KEYBYTES];

/* Sign-in throttle keys: a keyed hash of the address, never the text. */
static u_int8_t		client_key[crypto_generichash_KEYBYTES];
static int		client_key_ready;

/* NGAN_METRICS_TOKEN, as a hash to compare in constant time. */
static u_int8_t		metrics_hash[crypto_generichash_BYTES];
static int		metrics_token_set;

static const char	refusal_body[] = "{\"type\":\"urn:ngan:problem:"
    "service-unavailable\",\"title\":\"Service unavailable\",\"status\":503,"
    "\"detail\":\"This address holds too many connections; reuse one or "
    "try again later.\"}";
static const char	timeout_body[] = "{\"type\":\"urn:ngan:problem:"
    "request-timeout\",\"title\":\"Request timeout\",\"status\":408,"
    "\"detail\":\"The request body arrived too slowly.\"}";

/*
 * In the parent, before the workers fork: the settings (a bad one stops
 * the server) and the shared counters.
 */
int
edge_init(char *msg, size_t msglen)
{
	const char	*v;
	char		err[160];
	void		*p;

	v = config_text(CONFIG_TRUSTED_PROXIES);
	if (!addr_list_parse(v, &trusted, err, sizeof(err))) {
		(void)snprintf(msg, msglen, "NGAN_TRUSTED_PROXIES: %s; give "
		    "addresses or CIDR ranges by commas (%s), or none", err,
		    TRUSTED_DEFAULT);
		return (KORE_RESULT_ERROR);
	}
	conn_cap = config_int(CONFIG_CONN_PER_ADDR);
	body_min_rate = config_int(CONFIG_BODY_MIN_RATE);

	if (*(v = config_text(CONFIG_METRICS_TOKEN)) != '\0') {
		if (strlen(v) < METRICS_TOKEN_MIN) {
			(void)snprintf(msg, msglen, "NGAN_METRICS_TOKEN: %s",
			    config_takes(CONFIG_METRICS_TOKEN));
			return (KORE_RESULT_ERROR);
		}
		crypto_generichash(metrics_hash, sizeof(metrics_hash),
		    (const u_int8_t *)v, strlen(v), NULL, 0);
		metrics_token_set = 1;
	}

	p = mmap(NULL, sizeof(u_int16_t) * CONN_ROWS * CONN_SLOTS,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		(void)snprintf(msg, msglen, "cannot map the connection "
		    "counters: %s", errno_s);
		return (KORE_RESULT_ERROR);
	}
	conn_count = p;
	randombytes_buf(conn_key, sizeof(conn_key));

	return (KORE_RESULT_OK);
}

/*
 * Kore calls this in each worker as it starts. (No timer here: any Kore
 * timer lifts the 100 ms cap on a worker's wait while requests are in
 * hand, and requests handed on in db.c's queue would wait up to it.)
 */
void
kore_worker_configure(void)
{
	if (conn_count != NULL && worker->id < CONN_ROWS)
		memset(conn_count + worker->id * CONN_SLOTS, 0,
		    sizeof(u_int16_t) * CONN_SLOTS);
}

static int
peer_of(struct connection *c, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (c->family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->bytes, &c->addr.ipv4.sin_addr, 4);
	} else if (c->family == AF_INET6) {
		a->family = AF_INET6;
		memcpy(a->bytes, &c->addr.ipv6.sin6_addr, 16);
		addr_unmap(a);
	} else {
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/* IPv4 by address, IPv6 by /64, as the throttle counts them. */
static u_int32_t
conn_slot(const struct addr *a)
{
	u_int8_t	h[crypto_shorthash_BYTES];
	u_int32_t	v;

	crypto_shorthash(h, a->bytes, a->family == AF_INET ? 4 : 8, conn_key);
	memcpy(&v, h, sizeof(v));

	return (v % CONN_SLOTS);
}

static u_int32_t
conn_total(u_int32_t slot)
{
	u_int32_t	total, w;

	total = 0;
	for (w = 1; w < CONN_ROWS && w <= worker_count; w++)
		total += conn_count[w * CONN_SLOTS + slot];

	return (total);
}

/*
 * The listener's connect callback: what kore_connection_accept() does for
 * HTTP, then the cap. A refused connection gets a 503 problem and is
 * closed before anything is read from it.
 */
void
ngan_connect(struct connection *c)
{
	struct addr	peer;
	u_int32_t	slot;

	c->proto = CONN_PROTO_HTTP;
	/*
	 * Clients drop a connection idle for the Keep-Alive hint, less a
	 * second, on timers that may fire a second late: closing exactly at
	 * the hint races their next request on it.
	 */
	if (http_keepalive_time != 0) {
		c->idle_timer.length = http_keepalive_time * 1000 +
		    KEEPALIVE_SLACK_MS;
	}
	net_recv_queue(c, http_header_max, NETBUF_CALL_CB_ALWAYS,
	    http_header_recv);
	if (c->read == net_read)
		c->read = edge_read;

	if (conn_cap == 0 || conn_count == NULL || worker->id >= CONN_ROWS ||
	    !peer_of(c, &peer) || addr_in_list(&trusted, &peer))
		return;

	slot = conn_slot(&peer);
	if (conn_total(slot) >= (u_int32_t)conn_cap) {
		conn_refuse(c);
		return;
	}
	conn_count[worker->id * CONN_SLOTS + slot]++;
	c->disconnect = conn_closed;
}

static void
conn_refuse(struct connection *c)
{
	char		head[256];
	int		len;

	len = snprintf(head, sizeof(head), "HTTP/1.1 503 Service Unavailable"
	    "\r\nserver: ngan\r\ncontent-type: application/problem+json\r\n"
	    "retry-after: 10\r\ncache-control: no-store\r\nconnection: close"
	    "\r\ncontent-length: %zu\r\n\r\n", sizeof(refusal_body) - 1);
	/* A new socket's buffer takes this at once; if not, it is dropped. */
	if (len > 0 && (size_t)len < sizeof(head) &&
	    write(c->fd, head, (size_t)len) == len)
		(void)write(c->fd, refusal_body, sizeof(refusal_body) - 1);
	kore_connection_disconnect(c);
}

static void
conn_closed(struct connection *c)
{
	struct addr	peer;
	u_int16_t	*n;

	if (!peer_of(c, &peer))
		return;
	n = &conn_count[worker->id * CONN_SLOTS + conn_slot(&peer)];
	if (*n > 0)
		(*n)--;
}

/*
 * Reads as Kore does, then looks at what arrived. Once a request head is
 * complete, odd Accept-Language lines leave it before http_header_recv()
 * sees them: bytes taken out of what this read brought shrink *bytes;
 * beyond it, the buffer's offset moves back. While a body arrives, it
 * must keep up (body_slow()); if not, the error ends the connection.
 */
static int
edge_read(struct connection *c, size_t *bytes)
{
	struct netbuf	*nb;
	size_t		total, len, from, removed;

	if (!net_read(c, bytes))
		return (KORE_RESULT_ERROR);
	nb = c->rnb;
	if (!(c->evt.flags & KORE_EVENT_READ) || nb == NULL || *bytes == 0)
		return (KORE_RESULT_OK);

	if (nb->cb != http_header_recv) {
		if (nb->extra != NULL && body_slow(c, nb->extra))
			return (KORE_RESULT_ERROR);
		return (KORE_RESULT_OK);
	}

	/* Only a read that completes the head: look where it landed. */
	total = nb->s_off + *bytes;
	from = nb->s_off > 3 ? nb->s_off - 3 : 0;
	if (memmem(nb->buf + from, total - from, "\r\n\r\n", 4) == NULL)
		return (KORE_RESULT_OK);

	len = addr_header_filter(nb->buf, total);
	removed = total - len;
	if (removed <= *bytes) {
		*bytes -= removed;
	} else {
		nb->s_off -= removed - *bytes;
		*bytes = 0;
	}

	return (KORE_RESULT_OK);
}

/*
 * A body still arriving after the grace must have come at body_min_rate
 * on average since its first read here, or it gets 408 (queued and
 * flushed; the caller's error closes the connection). Kore sets
 * req->start only when it runs the request, after the body: until then
 * it holds the time of that first read. Checked on each read, so a
 * trickle is cut as it trickles; a body that stops altogether is Kore's
 * http_body_timeout's.
 */
static int
body_slow(struct connection *c, struct http_request *req)
{
	char		head[256];
	u_int64_t	now, got;
	int		len;

	if (body_min_rate == 0 || !(req->flags & HTTP_REQUEST_EXPECT_BODY) ||
	    (req->flags & HTTP_REQUEST_COMPLETE))
		return (0);
	now = kore_time_ms();
	if (req->start == 0 || req->start > now) {
		req->start = now;
		return (0);
	}
	if (now - req->start < BODY_GRACE_MS)
		return (0);
	got = req->http_body_length - req->content_length;
	if (got * 1000 >= (u_int64_t)body_min_rate * (now - req->start))
		return (0);

	len = snprintf(head, sizeof(head), "HTTP/1.1 408 Request Timeout\r\n"
	    "server: ngan\r\ncontent-type: application/problem+json\r\n"
	    "connection: close\r\ncontent-length: %zu\r\n\r\n",
	    sizeof(timeout_body) - 1);
	if (len > 0 && (size_t)len < sizeof(head)) {
		net_send_queue(c, head, (size_t)len);
		net_send_queue(c, timeout_body, sizeof(timeout_body) - 1);
		(void)net_send_flush(c);
	}

	return (1);
}

/*
 * The key a request's client is counted under for sign-in throttling:
 * a keyed hash of its address (addr_key) as 32 hex digits. The key is
 * derived from NGAN_PII_KEY, so every process on one database agrees
 * and the table holds no address in clear.
 */
int
edge_client_key(struct http_request *req, char *out, size_t len)
{
	struct addr	peer, client;
	const char	*xff, *xri;
	char		text[ADDR_KEY_LEN];
	u_int8_t	h[16];

	if (len < sizeof(h) * 2 + 1 || !peer_of(req->owner, &peer))
		return (KORE_RESULT_ERROR);
	if (!client_key_ready) {
		crypto_generichash(client_key, sizeof(client_key),
		    (const u_int8_t *)"ngan sign-in address", 20,
		    pii_worker_keys()->hmac, sizeof(pii_worker_keys()->hmac));
		client_key_ready = 1;
	}

	if (!http_request_header(req, "x-forwarded-for", &xff))
		xff = NULL;
	if (!http_request_header(req, "x-real-ip", &xri))
		xri = NULL;
	addr_client(&trusted, &peer, xff, xri, &client);
	addr_key(&client, text, sizeof(text));
	crypto_generichash(h, sizeof(h), (const u_int8_t *)text, strlen(text),
	    client_key, sizeof(client_key));
	hex_encode(h, sizeof(h), out);

	return (KORE_RESULT_OK);
}

/* Is this bearer token NGAN_METRICS_TOKEN? Constant time. */
int
edge_metrics_token(const char *token)
{
	u_int8_t	h[crypto_generichash_BYTES];

	if (!metrics_token_set)
		return (0);
	crypto_generichash(h, sizeof(h), (const u_int8_t *)token,
	    strlen(token), NULL, 0);

	return (sodium_memcmp(h, metrics_hash, sizeof(h)) == 0);
}

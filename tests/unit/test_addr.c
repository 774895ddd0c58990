/*
 * Unit tests of api/addr.c: client addresses, trusted proxy lists,
 * X-Forwarded-For and X-Real-IP, the Accept-Language header filter.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/addr.c"

static struct addr A(const char *);
static int	addr_same(struct addr, struct addr);
static int	filtered(const char *, const char *);
static void	test_addr_parse(void);
static void	test_addr_client(void);
static void	test_addr_header_filter(void);
static void	test_addr_webhook(void);

/* "a.b.c.d" or "x::y" as an addr, for the checks below. */
static struct addr
A(const char *s)
{
	struct addr	a;

	if (!addr_parse(s, strlen(s), &a))
		memset(&a, 0xee, sizeof(a));
	return (a);
}

static int
addr_same(struct addr a, struct addr b)
{
	return (a.family == b.family && !memcmp(a.bytes, b.bytes, 16));
}

static void
test_addr_parse(void)
{
	struct addr_list	l;
	struct addr		a;
	char			err[160], key[ADDR_KEY_LEN];

	CHECK(addr_parse("192.0.2.1", 9, &a) && a.family == AF_INET);
	CHECK(addr_parse("2001:db8::1", 11, &a) && a.family == AF_INET6);
	CHECK(addr_parse("::ffff:192.0.2.1", 16, &a) && a.family == AF_INET);
	CHECK(addr_same(A("::ffff:192.0.2.1"), A("192.0.2.1")));
	CHECK(!addr_parse("", 0, &a));
	CHECK(!addr_parse("300.1.1.1", 9, &a));
	CHECK(!addr_parse("192.0.2.1:80", 12, &a));
	CHECK(!addr_parse("fe80::1%eth0", 12, &a));
	CHECK(!addr_parse("[::1]", 5, &a));
	CHECK(!addr_parse("1.2.3.4 ", 8, &a));
	CHECK(!addr_parse("unknown", 7, &a));
	/* Only the length given counts. */
	CHECK(addr_parse("10.0.0.1,junk", 8, &a) &&
	    addr_same(a, A("10.0.0.1")));

	CHECK(addr_list_parse("127.0.0.0/8,::1", &l, err, sizeof(err)));
	CHECK(l.n == 2);
	CHECK(addr_in_list(&l, &(struct addr){ 0 }) == 0);
	a = A("127.1.2.3");
	CHECK(addr_in_list(&l, &a));
	a = A("128.0.0.1");
	CHECK(!addr_in_list(&l, &a));
	a = A("::1");
	CHECK(addr_in_list(&l, &a));
	a = A("::2");
	CHECK(!addr_in_list(&l, &a));
	CHECK(addr_list_parse(" 10.0.0.0/8 , 192.168.0.0/16,2001:db8::/32 ",
	    &l, err, sizeof(err)) && l.n == 3);
	a = A("10.255.255.255");
	CHECK(addr_in_list(&l, &a));
	a = A("192.169.0.1");
	CHECK(!addr_in_list(&l, &a));
	a = A("2001:db8:ffff::1");
	CHECK(addr_in_list(&l, &a));
	a = A("2001:db9::1");
	CHECK(!addr_in_list(&l, &a));
	/* Odd prefix lengths, host bits ignored, mapped ranges. */
	CHECK(addr_list_parse("192.0.2.77/25", &l, err, sizeof(err)));
	a = A("192.0.2.1");
	CHECK(addr_in_list(&l, &a));
	a = A("192.0.2.128");
	CHECK(!addr_in_list(&l, &a));
	CHECK(addr_list_parse("0.0.0.0/0", &l, err, sizeof(err)));
	a = A("203.0.113.9");
	CHECK(addr_in_list(&l, &a));
	a = A("::1");
	CHECK(!addr_in_list(&l, &a));
	CHECK(addr_list_parse("::ffff:10.0.0.0/104", &l, err, sizeof(err)));
	a = A("10.9.9.9");
	CHECK(addr_in_list(&l, &a));
	CHECK(addr_list_parse("none", &l, err, sizeof(err)) && l.n == 0);

	CHECK(!addr_list_parse("10.0.0.0/33", &l, err, sizeof(err)));
	CHECK(strstr(err, "10.0.0.0/33") != NULL);
	CHECK(!addr_list_parse("::/129", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("10.0.0.0/", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("10.0.0.0/-1", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("10.0.0.0/8x", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("10.0.0.0/0008", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("::ffff:10.0.0.0/8", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("10.0.0.1,", &l, err, sizeof(err)));
	CHECK(strstr(err, "empty") != NULL);
	CHECK(!addr_list_parse("", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("localhost", &l, err, sizeof(err)));
	CHECK(!addr_list_parse("10.0.0.0/8;10.0.0.1", &l, err, sizeof(err)));

	a = A("192.0.2.1");
	addr_key(&a, key, sizeof(key));
	CHECK(!strcmp(key, "192.0.2.1"));
	a = A("2001:db8:1:2:3:4:5:6");
	addr_key(&a, key, sizeof(key));
	CHECK(!strcmp(key, "2001:db8:1:2::/64"));
	a = A("::ffff:198.51.100.7");
	addr_key(&a, key, sizeof(key));
	CHECK(!strcmp(key, "198.51.100.7"));
}

static void
test_addr_client(void)
{
	struct addr_list	l;
	struct addr		peer, out;
	char			err[160];

	CHECK(addr_list_parse("127.0.0.0/8,::1,10.0.0.0/8", &l, err,
	    sizeof(err)));

	/* An untrusted peer is the client, whatever it claims. */
	peer = A("203.0.113.5");
	addr_client(&l, &peer, "198.51.100.1", "198.51.100.2", &out);
	CHECK(addr_same(out, peer));

	peer = A("127.0.0.1");
	addr_client(&l, &peer, NULL, NULL, &out);
	CHECK(addr_same(out, peer));
	addr_client(&l, &peer, NULL, "198.51.100.2", &out);
	CHECK(addr_same(out, A("198.51.100.2")));
	addr_client(&l, &peer, NULL, " 198.51.100.2 ", &out);
	CHECK(addr_same(out, A("198.51.100.2")));
	addr_client(&l, &peer, NULL, "garbage", &out);
	CHECK(addr_same(out, peer));
	addr_client(&l, &peer, NULL, "198.51.100.2, 198.51.100.3", &out);
	CHECK(addr_same(out, peer));

	/* X-Forwarded-For: the right-most untrusted entry wins. */
	addr_client(&l, &peer, "203.0.113.9, 198.51.100.4", "198.51.100.2",
	    &out);
	CHECK(addr_same(out, A("198.51.100.4")));
	addr_client(&l, &peer, "198.51.100.4, 10.1.1.1, 127.0.0.1", NULL,
	    &out);
	CHECK(addr_same(out, A("198.51.100.4")));
	addr_client(&l, &peer, "evil, 198.51.100.4", NULL, &out);
	CHECK(addr_same(out, A("198.51.100.4")));
	addr_client(&l, &peer, "2001:db8::7", NULL, &out);
	CHECK(addr_same(out, A("2001:db8::7")));
	/* Garbage before an untrusted entry: X-Real-IP, else the last
	 * trusted hop. */
	addr_client(&l, &peer, "garbage, 10.0.0.9", "198.51.100.2", &out);
	CHECK(addr_same(out, A("198.51.100.2")));
	addr_client(&l, &peer, "garbage, 10.0.0.9", NULL, &out);
	CHECK(addr_same(out, A("10.0.0.9")));
	/* All trusted: the left-most. */
	addr_client(&l, &peer, "10.0.0.2,10.0.0.3", NULL, &out);
	CHECK(addr_same(out, A("10.0.0.2")));
	addr_client(&l, &peer, "", NULL, &out);
	CHECK(addr_same(out, peer));
	addr_client(&l, &peer, ",,,", "198.51.100.2", &out);
	CHECK(addr_same(out, A("198.51.100.2")));
	addr_client(&l, &peer, "198.51.100.4,", NULL, &out);
	CHECK(addr_same(out, peer));
}

/* Runs the filter over s and compares with want. */
static int
filtered(const char *s, const char *want)
{
	u_int8_t	buf[2048];
	size_t		len, n;

	len = strlen(s);
	memcpy(buf, s, len);
	n = addr_header_filter(buf, len);
	return (n == strlen(want) && !memcmp(buf, want, n));
}

static void
test_addr_header_filter(void)
{
	char		big[1024];

	/* Clean or absent: untouched. */
	CHECK(filtered("GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: th, "
	    "en;q=0.8\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nAccept-Language:"
	    " th, en;q=0.8\r\n\r\n"));
	CHECK(filtered("GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	/* Not complete yet: untouched. */
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Language: \xe0\xb8\x97\r\n",
	    "GET / HTTP/1.1\r\nAccept-Language: \xe0\xb8\x97\r\n"));
	/* Odd: the line goes, what follows moves up. */
	CHECK(filtered("GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: \xe0\xb8"
	    "\x97\r\nX-A: 1\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n"
	    "\r\n"));
	CHECK(filtered("POST / HTTP/1.1\r\naccept-LANGUAGE: en\x01\r\n\r\n{}",
	    "POST / HTTP/1.1\r\n\r\n{}"));
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Language: en;\tq=1\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n"));
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Language:\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Language:    \r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n"));
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Language: th,\r\n en\r\n\tx"
	    "\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	/* Two of them, one odd; the last header line. */
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Language: en\r\n"
	    "Accept-Language: \x7f\r\n\r\n",
	    "GET / HTTP/1.1\r\nAccept-Language: en\r\n\r\n"));
	/* Only that header: others with odd bytes are Kore's to refuse. */
	CHECK(filtered("GET / HTTP/1.1\r\nX-Accept-Language: \xe0\r\n\r\n",
	    "GET / HTTP/1.1\r\nX-Accept-Language: \xe0\r\n\r\n"));
	CHECK(filtered("GET / HTTP/1.1\r\nAccept-Languages: \xe0\r\n\r\n",
	    "GET / HTTP/1.1\r\nAccept-Languages: \xe0\r\n\r\n"));
	CHECK(filtered("GET / HTTP/1.1\r\nAccept\rLanguage: \xe0\r\n\r\n",
	    "GET / HTTP/1.1\r\nAccept\rLanguage: \xe0\r\n\r\n"));
	/* On the request line it is no header. */
	CHECK(filtered("Accept-Language: \xe0\r\nHost: x\r\n\r\n",
	    "Accept-Language: \xe0\r\nHost: x\r\n\r\n"));
	/* Too long to be a language list. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nAccept-Language: ", 33);
	memcpy(big + 33 + 257, "\r\n\r\n", 5);
	CHECK(filtered(big, "GET / HTTP/1.1\r\n\r\n"));
	big[33 + 256] = '\0';
	memcpy(big + 33 + 256, "\r\n\r\n", 5);
	CHECK(filtered(big, big));
	/* Nothing but the head. */
	CHECK(filtered("\r\n\r\n", "\r\n\r\n"));
	CHECK(filtered("", ""));
}

void
unit_addr(void)
{
	test_addr_parse();
	test_addr_client();
	test_addr_header_filter();
	test_addr_webhook();
}

/* Webhook URLs (issue 19): https, public; loopback only when allowed. */
static void
test_addr_webhook(void)
{
	struct addr	a;

	CHECK(addr_webhook_url("https://hooks.example.org/ngan", 0) == NULL);
	CHECK(addr_webhook_url("https://8.8.8.8:8443/x?y=1", 0) == NULL);
	CHECK(addr_webhook_url("https://[2001:db8::1]/x", 0) == NULL);
	CHECK(addr_webhook_url("http://hooks.example.org/ngan", 0) != NULL);
	CHECK(addr_webhook_url("http://hooks.example.org/ngan", 1) != NULL);
	CHECK(addr_webhook_url("ftp://example.org/", 1) != NULL);
	/* Loopback: refused, unless development allows it. */
	CHECK(addr_webhook_url("https://127.0.0.1/x", 0) != NULL);
	CHECK(addr_webhook_url("https://localhost/x", 0) != NULL);
	CHECK(addr_webhook_url("https://a.localhost/x", 0) != NULL);
	CHECK(addr_webhook_url("https://[::1]:8443/x", 0) != NULL);
	CHECK(addr_webhook_url("http://127.0.0.1:9/x", 1) == NULL);
	CHECK(addr_webhook_url("http://[::1]:9/x", 1) == NULL);
	CHECK(addr_webhook_url("http://localhost:9/x", 1) == NULL);
	/* Private and reserved: refused always. */
	CHECK(addr_webhook_url("https://10.0.0.1/", 1) != NULL);
	CHECK(addr_webhook_url("https://172.31.255.255/", 1) != NULL);
	CHECK(addr_webhook_url("https://192.168.1.1/", 1) != NULL);
	CHECK(addr_webhook_url("https://169.254.169.254/", 1) != NULL);
	CHECK(addr_webhook_url("https://0.0.0.0/", 1) != NULL);
	CHECK(addr_webhook_url("https://[fe80::1]/", 1) != NULL);
	CHECK(addr_webhook_url("https://[::ffff:10.0.0.1]/", 1) != NULL);
	CHECK(addr_webhook_url("https://224.0.0.1/", 1) != NULL);
	/* Odd hosts and ports. */
	CHECK(addr_webhook_url("https:///x", 0) != NULL);
	CHECK(addr_webhook_url("https://u:p@example.org/", 0) != NULL);
	CHECK(addr_webhook_url("https://example.org:12a/", 0) != NULL);
	CHECK(addr_webhook_url("https://[::1/", 1) != NULL);
	a = A("100.64.1.1");
	CHECK(addr_public(&a, 1) != NULL);
	a = A("1.1.1.1");
	CHECK(addr_public(&a, 0) == NULL);
}

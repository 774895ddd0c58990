/*
 * Client addresses (api/addr.c) as proxies and clients send them: the
 * input is split at its first two newlines into X-Forwarded-For,
 * X-Real-IP and a request head for the Accept-Language filter. The
 * client found is the peer or an address from the headers; the filter
 * only ever shortens the head, leaves it complete, and filtering again
 * changes nothing.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static struct addr_list	trusted;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	err[160];

	if (!addr_list_parse("127.0.0.0/8,::1,10.0.0.0/8,2001:db8::/32",
	    &trusted, err, sizeof(err)))
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct addr_list	l;
	struct addr		peer, out, a;
	const u_int8_t		*nl1, *nl2;
	char			*xff, *xri, *spec, err[160], key[ADDR_KEY_LEN];
	u_int8_t		*head;
	size_t			hlen, n, m;

	nl1 = memchr(data, '\n', size);
	nl2 = nl1 != NULL ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 -
	    data)) : NULL;
	xff = strndup((const char *)data, nl1 != NULL ?
	    (size_t)(nl1 - data) : size);
	xri = strndup(nl1 != NULL ? (const char *)nl1 + 1 : "",
	    nl2 != NULL ? (size_t)(nl2 - nl1 - 1) : 0);
	if (xff == NULL || xri == NULL)
		abort();

	peer.family = AF_INET;
	memset(peer.bytes, 0, sizeof(peer.bytes));
	peer.bytes[0] = 127;
	peer.bytes[3] = 1;
	addr_client(&trusted, &peer, xff, xri, &out);
	if (out.family != AF_INET && out.family != AF_INET6)
		abort();
	if (out.family == AF_INET && memcmp(out.bytes + 4,
	    "\0\0\0\0\0\0\0\0\0\0\0\0", 12) != 0)
		abort();
	addr_key(&out, key, sizeof(key));
	if (key[0] == '\0' || !addr_parse(key, strcspn(key, "/"), &a))
		abort();

	/* The same bytes as a proxy list: parses or names what is wrong. */
	if ((spec = strndup((const char *)data, size)) == NULL)
		abort();
	if (!addr_list_parse(spec, &l, err, sizeof(err)) && err[0] == '\0')
		abort();
	free(spec);

	hlen = nl2 != NULL ? size - (size_t)(nl2 + 1 - data) : 0;
	if ((head = malloc(hlen + 1)) == NULL)
		abort();
	memcpy(head, nl2 != NULL ? nl2 + 1 : data, hlen);
	n = addr_header_filter(head, hlen);
	if (n > hlen)
		abort();
	if (n < hlen && memmem(head, n, "\r\n\r\n", 4) == NULL)
		abort();
	m = addr_header_filter(head, n);
	if (m != n)
		abort();

	free(head);
	free(xff);
	free(xri);
	return (0);
}

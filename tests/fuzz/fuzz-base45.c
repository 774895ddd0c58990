/*
 * Base45 and the compact ticket (api/base45.c, api/ticket_compact.c), as
 * a scanner's QR code hands them to POST /v1/checkins. Whatever decodes
 * is canonical: encoding it again gives the same text; any bytes encode
 * and decode back; a compact ticket that reads writes back the same.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct ticket_compact	t;
	u_int8_t		bytes[8192], back[8192];
	char			*text, again[BASE45_LEN(8192) + 1];
	size_t			n, m;

	if (size > 8192)
		return (0);
	if ((text = strndup((const char *)data, size)) == NULL)
		abort();

	/* Text first: decoded, it encodes to the same text. */
	if (base45_decode((const char *)data, size, bytes, sizeof(bytes),
	    &n)) {
		if (!base45_encode(bytes, n, again, sizeof(again)) ||
		    strlen(again) != size || memcmp(again, data, size) != 0)
			abort();
	}

	/* Bytes: encoded and decoded back. */
	if (!base45_encode(data, size, again, sizeof(again)) ||
	    strlen(again) != BASE45_LEN(size) ||
	    !base45_decode(again, strlen(again), back, sizeof(back), &m) ||
	    m != size || memcmp(back, data, size) != 0)
		abort();

	/* A compact ticket: read, it writes back as it came. */
	if (ticket_compact_decode(text, &t)) {
		if (!ticket_compact_encode(&t, again, sizeof(again)) ||
		    strcmp(again, text) != 0 || !ticket_compact_signed(&t))
			abort();
	}

	free(text);
	return (0);
}

/*
 * If-Match and If-None-Match lists as clients send them (api/etag.c).
 * The input is split at its first newline into the list and a tag. A
 * list that matches strongly matches weakly too; "*" matches anything;
 * a well-formed strong tag always matches itself, alone or after others
 * in a list; the version read from a list is -1, 0 or a version.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	const u_int8_t	*nl;
	char		*list, *tag, both[ETAG_LEN * 2 + 8];
	char		made[ETAG_LEN + 1];
	int		v;

	nl = memchr(data, '\n', size);
	list = strndup((const char *)data, nl != NULL ?
	    (size_t)(nl - data) : size);
	tag = strndup(nl != NULL ? (const char *)nl + 1 : "",
	    nl != NULL ? size - (size_t)(nl + 1 - data) : 0);
	if (list == NULL || tag == NULL)
		abort();

	if (etag_list_match(list, tag, 0) && !etag_list_match(list, tag, 1))
		abort();
	if (tag[0] != '\0' && !etag_list_match("*", tag, 0))
		abort();
	v = etag_list_version(list);
	if (v < -1)
		abort();

	etag_of(data, size, made);
	if (strlen(made) != ETAG_LEN || !etag_list_match(made, made, 0))
		abort();
	(void)snprintf(both, sizeof(both), "W/\"x\", %s", made);
	if (!etag_list_match(both, made, 0) || !etag_list_match(both, made, 1))
		abort();
	(void)snprintf(both, sizeof(both), "W/%s", made);
	if (etag_list_match(both, made, 0) || !etag_list_match(both, made, 1))
		abort();

	free(list);
	free(tag);
	return (0);
}

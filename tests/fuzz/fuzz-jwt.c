/*
 * Bearer tokens and tickets (api/auth.c, api/tickets.c, api/util.c): the
 * header check before libjwt, base64url, and the claims of tokens that do
 * carry our signature. The first byte picks the mode: raw text as a
 * token (access and ticket audiences), or the rest as JSON claims signed
 * with our key and then checked, so the claim checks behind the
 * signature are reached too. A throwaway P-256 key is made at start.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	path[] = "/tmp/ngan-fuzz-key.XXXXXX", cmd[256], err[256];
	int	fd;

	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	(void)snprintf(cmd, sizeof(cmd), "openssl ecparam -name prime256v1 "
	    "-genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt "
	    "-out %s", path);
	if (system(cmd) != 0)
		abort();
	/* The settings the server would read (api/config.c). */
	setenv("NGAN_JWT_KEY", path, 1);
	unsetenv("NGAN_JWT_PREVIOUS_KEYS");
	setenv("DATABASE_URL", "postgres:///ngan-fuzz", 1);
	setenv("NGAN_PII_KEY", "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 1);
	if (!config_load(err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (sodium_init() < 0 || !auth_init())
		abort();
	unlink(path);
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct actor	 a;
	char		 reg[NGAN_UUID_LEN + 1], evt[NGAN_UUID_LEN + 1];
	char		*token;
	u_int8_t	 raw[512];
	size_t		 len;
	json_t		*claims;
	int		 ver;

	if (size < 1)
		return (0);

	if (data[0] & 1) {
		token = strndup((const char *)data + 1, size - 1);
		if (token == NULL)
			abort();
		(void)base64url_decode(token, strlen(token), raw, sizeof(raw),
		    &len);
	} else {
		claims = json_loadb((const char *)data + 1, size - 1, 0, NULL);
		if (claims == NULL || !json_is_object(claims)) {
			json_decref(claims);
			return (0);
		}
		token = jwt_sign(claims);
		json_decref(claims);
		if (token == NULL)
			return (0);
	}

	memset(&a, 0, sizeof(a));
	if (jwt_check(token, 1700000000, &a)) {
		if (!a.authenticated || !uuid_valid(a.sub) ||
		    auth_role_name(a.role) == NULL ||
		    (a.agency_id[0] != '\0' && !uuid_valid(a.agency_id)))
			abort();
	}
	if (ticket_verify(token, reg, evt, &ver)) {
		if (!uuid_valid(reg) || !uuid_valid(evt) || ver < 1)
			abort();
	}

	free(token);
	return (0);
}

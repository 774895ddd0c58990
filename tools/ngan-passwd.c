/*
 * ngan-passwd: reads a password on standard input and prints its argon2id
 * hash in the form ngan stores (libsodium; OWASP's m=12 MiB, t=3 profile,
 * so a worker's peak memory stays under 30 MB).
 * Used by `make run` to set the demo accounts' password.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

int
main(void)
{
	char		password[256], hash[crypto_pwhash_STRBYTES];
	size_t		len;

	if (sodium_init() < 0)
		return (1);

	len = fread(password, 1, sizeof(password) - 1, stdin);
	password[len] = '\0';
	while (len > 0 && (password[len - 1] == '\n' ||
	    password[len - 1] == '\r'))
		password[--len] = '\0';
	if (len == 0) {
		fprintf(stderr, "ngan-passwd: empty password\n");
		return (1);
	}

	if (crypto_pwhash_str(hash, password, len, 3,
	    12 * 1024 * 1024) != 0) {
		fprintf(stderr, "ngan-passwd: out of memory\n");
		return (1);
	}
	sodium_memzero(password, sizeof(password));
	printf("%s\n", hash);

	return (0);
}

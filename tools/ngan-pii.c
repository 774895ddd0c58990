/*
 * ngan-pii: seals national ids and phones as the server stores them, for
 * demo data and bulk loads that go straight into PostgreSQL.
 *
 *   NGAN_PII_KEY=<64 hex> ngan-pii < ids.tsv
 *
 * Reads lines "NATIONAL_ID[<TAB>PHONE]" and prints, one line per input
 * line, "HMAC_HEX<TAB>ENC_HEX<TAB>LAST3<TAB>PHONE_ENC_HEX<TAB>PHONE_LAST4"
 * (the last two empty without a phone); in SQL, decode(x, 'hex') gives
 * the bytea columns. A bad line (format or checksum) stops the run with
 * its line number on standard error, never its content.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pii.h"

int
main(void)
{
	struct pii_sealed	s;
	char			line[256], nid[PII_NID_LEN + 1];
	char			phone[PII_PHONE_MAX + 1];
	char			*tab, *end;
	unsigned long		n;
	int			ret;

	ret = 1;
	if (sodium_init() < 0) {
		fprintf(stderr, "ngan-pii: libsodium failed to start\n");
		return (ret);
	}
	if (pii_init(getenv("NGAN_PII_KEY")) != PII_DONE) {
		fprintf(stderr, "ngan-pii: NGAN_PII_KEY must be 64 hex "
		    "digits\n");
		return (ret);
	}

	for (n = 1; fgets(line, sizeof(line), stdin) != NULL; n++) {
		if ((end = strchr(line, '\n')) == NULL && !feof(stdin)) {
			fprintf(stderr, "ngan-pii: line %lu is too long\n", n);
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		phone[0] = '\0';
		if ((tab = strchr(line, '\t')) != NULL) {
			*tab++ = '\0';
			if (*tab != '\0' && pii_phone(tab, phone) != PII_OK) {
				fprintf(stderr, "ngan-pii: line %lu: bad "
				    "phone\n", n);
				goto out;
			}
		}
		switch (pii_national_id(line, nid)) {
		case PII_OK:
			break;
		case PII_CHECKSUM:
			fprintf(stderr, "ngan-pii: line %lu: national id "
			    "checksum\n", n);
			goto out;
		default:
			fprintf(stderr, "ngan-pii: line %lu: national id is "
			    "not 13 digits\n", n);
			goto out;
		}
		if (pii_seal(pii_worker_keys(), nid, phone, &s) !=
		    PII_DONE) {
			fprintf(stderr, "ngan-pii: line %lu: cannot seal\n", n);
			goto out;
		}
		printf("%s\t%s\t%s\t%s\t%s\n", s.nid_hmac, s.nid_enc,
		    s.nid_last3, s.phone_enc, s.phone_last4);
	}
	if (ferror(stdin) || fflush(stdout) != 0) {
		fprintf(stderr, "ngan-pii: read or write error\n");
		goto out;
	}

	ret = 0;

out:
	sodium_memzero(line, sizeof(line));
	sodium_memzero(nid, sizeof(nid));
	sodium_memzero(phone, sizeof(phone));
	return (ret);
}

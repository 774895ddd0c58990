/*
 * Thai national ids and phone numbers (api/pii.c) as typed by people and
 * spreadsheets: whatever is accepted is normalised to digits only, with
 * a valid checksum, and normalising it again gives the same. The reveal
 * parameters too: an accepted reveal names known fields, an accepted
 * purpose holds no control character and no national id.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

static int
all_digits(const char *s, size_t min, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (i >= min && i <= max);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	char	*s, nid[PII_NID_LEN + 1], again[PII_NID_LEN + 1];
	char	 phone[PII_PHONE_MAX + 1], phone2[PII_PHONE_MAX + 1];
	int	 sum, i;

	if ((s = strndup((const char *)data, size)) == NULL)
		abort();

	if (pii_national_id(s, nid) == PII_OK) {
		if (!all_digits(nid, PII_NID_LEN, PII_NID_LEN))
			abort();
		for (sum = 0, i = 0; i < 12; i++)
			sum += (nid[i] - '0') * (13 - i);
		if ((11 - sum % 11) % 10 != nid[12] - '0')
			abort();
		if (pii_national_id(nid, again) != PII_OK ||
		    strcmp(nid, again) != 0)
			abort();
	}
	if (pii_reveal_fields(s, &i) == NULL ? (i == 0 ||
	    (i & ~(PII_REVEAL_NID | PII_REVEAL_PHONE)) != 0) : i != 0)
		abort();
	if (pii_purpose_check(s) == NULL) {
		for (i = 0; s[i] != '\0'; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				abort();
		}
		if (pii_national_id(s, nid) == PII_OK)
			abort();
	}
	if (pii_phone(s, phone) == PII_OK) {
		if (!all_digits(phone, 9, PII_PHONE_MAX))
			abort();
		if (pii_phone(phone, phone2) != PII_OK ||
		    strcmp(phone, phone2) != 0)
			abort();
	}

	free(s);
	return (0);
}

/*
 * Runs the unit tests of the pure parts, one file a module
 * (test_<module>.c tests api/<module>.c), in the order below; with
 * arguments, only the modules they name (unit-tests pii csv).
 * Prints "N passed, N failed" as the last line; exits 1 if any failed.
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"

int	unit_passed, unit_failed;

static const struct {
	const char	*name;
	void		(*run)(void);
} modules[] = {
	{ "router", unit_router },
	{ "json", unit_json },
	{ "pii", unit_pii },
	{ "csv", unit_csv },
	{ "images", unit_images },
	{ "addr", unit_addr },
	{ "revoke", unit_revoke },
	{ "oauth", unit_oauth },
	{ "etag", unit_etag },
	{ "base45", unit_base45 },
	{ "certificates", unit_certificates },
	{ "pdf", unit_pdf },
	{ "i18n", unit_i18n },
	{ "messages", unit_messages },
	{ "es256", unit_es256 },
	{ "pseudonym", unit_pseudonym },
};

#define NMODULES	(sizeof(modules) / sizeof(modules[0]))

int
main(int argc, char **argv)
{
	size_t		i;
	int		a;

	for (a = 1; a < argc; a++) {
		for (i = 0; i < NMODULES; i++) {
			if (!strcmp(argv[a], modules[i].name))
				break;
		}
		if (i == NMODULES) {
			fprintf(stderr, "unit-tests: no module %s\n", argv[a]);
			return (2);
		}
	}
	for (i = 0; i < NMODULES; i++) {
		for (a = 1; a < argc; a++) {
			if (!strcmp(argv[a], modules[i].name))
				break;
		}
		if (argc == 1 || a < argc)
			modules[i].run();
	}

	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return (unit_failed == 0 ? 0 : 1);
}

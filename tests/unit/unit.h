/*
 * Shared by the unit tests (tests/unit/): CHECK and its counts, and one
 * entry a module, test_<module>.c's unit_<module>(), which unit.c runs.
 * Each test file includes the source it tests (api/<module>.c) to reach
 * its static functions; -DNGAN_UNIT_TEST leaves out what needs Kore.
 */

#ifndef NGAN_UNIT_H
#define NGAN_UNIT_H

#include "ngan.h"

extern int	unit_passed, unit_failed;

/* A failure is one line of its own, before the summary unit.c prints. */
#define CHECK(cond) do {						\
	if (cond) {							\
		unit_passed++;						\
	} else {							\
		unit_failed++;						\
		printf("not ok: %s:%d: %s\n", __FILE__, __LINE__,	\
		    #cond);						\
	}								\
} while (0)

void	unit_router(void);
void	unit_json(void);
void	unit_pii(void);
void	unit_csv(void);
void	unit_images(void);
void	unit_addr(void);
void	unit_revoke(void);
void	unit_oauth(void);
void	unit_etag(void);
void	unit_base45(void);
void	unit_certificates(void);
void	unit_pdf(void);
void	unit_i18n(void);
void	unit_messages(void);
void	unit_es256(void);
void	unit_pseudonym(void);

#endif

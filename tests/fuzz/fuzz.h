/*
 * libFuzzer targets for the code that reads untrusted input (make fuzz).
 * Every target links the whole module but main.c's Kore glue, with
 * kore_stubs.c standing in for Kore; the route table (api/main.c) names
 * every request body's and query's field_spec table.
 */

#ifndef NGAN_FUZZ_H
#define NGAN_FUZZ_H

#include "ngan.h"

/* A request body's table, by a name for the crash report. */
struct fuzz_spec {
	const char		*name;
	const struct field_spec	*fields;
};

int	LLVMFuzzerTestOneInput(const u_int8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);
int	fuzz_keys_init(void);

#endif

/*
 * Uploaded product images (api/images.c): what a file is, told by its
 * bytes. Whatever is accepted has a known type and a size within what
 * the format can hold; nothing is read past the end (ASan watches).
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct image_info	info;
	u_int8_t		*copy;
	int			ret;

	/* An exact-size copy, so a read past the end is caught. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);

	memset(&info, 0, sizeof(info));
	ret = image_sniff(copy, size, &info);
	if (ret != IMAGE_OK && ret != IMAGE_UNKNOWN && ret != IMAGE_CORRUPT)
		abort();
	if (ret == IMAGE_OK) {
		if (info.type != IMAGE_PNG && info.type != IMAGE_JPEG &&
		    info.type != IMAGE_WEBP)
			abort();
		if (info.width == 0 || info.height == 0)
			abort();
		if (image_content_type(info.type) == NULL)
			abort();
	}

	free(copy);
	return (0);
}

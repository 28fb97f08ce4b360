/*
 * libgdfo version. This is the one place the version lives: the Makefile
 * reads these three macros, the soname follows GDFO_VERSION_MAJOR.
 */
#ifndef GDFO_VERSION_H
#define GDFO_VERSION_H

#define GDFO_VERSION_MAJOR 0
#define GDFO_VERSION_MINOR 1
#define GDFO_VERSION_PATCH 0

#define GDFO_VERSION_STRING "0.1.0"

/* Packs a version for compile-time comparison: GDFO_VERSION_NUMBER >= GDFO_MKVERSION(0, 1, 0). */
#define GDFO_MKVERSION(maj, min, pat) ((maj) * 10000 + (min) * 100 + (pat))
#define GDFO_VERSION_NUMBER \
	GDFO_MKVERSION(GDFO_VERSION_MAJOR, GDFO_VERSION_MINOR, GDFO_VERSION_PATCH)

#endif

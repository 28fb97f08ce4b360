/*
 * libgdfo version. This is the one place the version lives: the Makefile
 * reads these three macros. The soname names the ABI: libgdfo.so.0.MINOR
 * while the major version is 0 (each 0.x minor may break the ABI),
 * libgdfo.so.MAJOR from 1.0 on (docs/developing.md).
 */
#ifndef GDFO_VERSION_H
#define GDFO_VERSION_H

#define GDFO_VERSION_MAJOR 0
#define GDFO_VERSION_MINOR 2
#define GDFO_VERSION_PATCH 0

#define GDFO_VERSION_STRING "0.2.0"

/* Packs a version for compile-time comparison: GDFO_VERSION_NUMBER >= GDFO_MKVERSION(0, 1, 0). */
#define GDFO_MKVERSION(maj, min, pat) ((maj) * 10000 + (min) * 100 + (pat))
#define GDFO_VERSION_NUMBER \
	GDFO_MKVERSION(GDFO_VERSION_MAJOR, GDFO_VERSION_MINOR, GDFO_VERSION_PATCH)

#endif

/*
 * Conventions shared by every libgdfo header: the export macro, status
 * codes, the per-thread last-error message, version queries and the one
 * function that frees what the library hands out.
 *
 * Every fallible function returns 0 (GDFO_OK) or a negative gdfo_status.
 * On failure a one-line message describing what was wrong and where is
 * available from gdfo_last_error() on the same thread until that thread's
 * next failing call. Out parameters come first; on failure *out is NULL
 * (or zero for scalars). The library never exits, aborts or prints.
 */
#ifndef GDFO_COMMON_H
#define GDFO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "version.h"

#if defined(_WIN32) && defined(GDFO_BUILDING)
#define GDFO_API __declspec(dllexport)
#elif defined(_WIN32)
#define GDFO_API __declspec(dllimport)
#elif defined(__GNUC__)
#define GDFO_API __attribute__((visibility("default")))
#else
#define GDFO_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Versioned structs. Every struct a caller allocates or fills starts with
 * `uint32_t version`, set by its *_init function (or by hand to the
 * GDFO_*_VERSION macro the program was compiled with), and only ever gains
 * fields at its end: the library reads and writes exactly the fields of
 * the version the caller passed, so programs built against older headers
 * keep working. GDFO__GROWTH_FIELD is empty; the library's ABI test builds
 * it with one more trailing field per struct (tests/abi/).
 */
#ifdef GDFO_TEST_STRUCT_GROWTH
#define GDFO__GROWTH 1
#define GDFO__GROWTH_FIELD int64_t abi_test_extra;
#else
#define GDFO__GROWTH 0
#define GDFO__GROWTH_FIELD
#endif

/*
 * Status codes. Append-only: a value, once published, keeps its meaning.
 */
typedef enum gdfo_status {
	GDFO_OK = 0,
	GDFO_EINVAL = -1,      /* an argument is invalid (NULL, out of range) */
	GDFO_ENOMEM = -2,      /* out of memory */
	GDFO_EIO = -3,         /* reading or writing a file failed */
	GDFO_EFORMAT = -4,     /* input is not in the expected format */
	GDFO_ECYCLE = -5,      /* the pipeline graph has a cycle */
	GDFO_ENOTFOUND = -6,   /* a named thing (stage, id, key) does not exist */
	GDFO_EEXISTS = -7,     /* a thing with that id already exists */
	GDFO_ERANGE = -8,      /* a value is out of its allowed range */
	GDFO_EVERSION = -9,    /* a file or struct version is not supported */
	GDFO_ECHECKSUM = -10,  /* stored data failed its integrity check */
	GDFO_EILLEGAL = -11,   /* a rewrite would change what the pipeline computes */
	GDFO_EINTERNAL = -12,  /* a bug in libgdfo; please report it */
	GDFO_EUNSUPPORTED = -13, /* the operation is not available in this build */
	GDFO_ECANCELED = -14,  /* a callback asked a long operation to stop */
	GDFO_EANOMALY = -15    /* the input broke a data contract and the policy holds the run */
} gdfo_status;

/*
 * The message of the calling thread's most recent failure: one line,
 * no trailing newline, never NULL ("no error" if none happened).
 * The pointer stays valid until the same thread's next libgdfo call.
 * Thread-safe.
 */
GDFO_API const char *gdfo_last_error(void);

/*
 * The symbolic name of a status ("GDFO_EINVAL"), or "GDFO_UNKNOWN" for a
 * value not in the list. Never NULL; the string is static. Thread-safe.
 */
GDFO_API const char *gdfo_status_name(int status);

/*
 * The run-time library version. Any out pointer may be NULL.
 * Compare with GDFO_VERSION_* to detect a header/library mismatch.
 * Thread-safe.
 */
GDFO_API void gdfo_version(int *major, int *minor, int *patch);

/* The run-time version as "MAJOR.MINOR.PATCH"; static storage. */
GDFO_API const char *gdfo_version_string(void);

/*
 * Frees memory the library allocated for the caller (strings such as the
 * result of gdfo_graph_to_json, arrays it hands out). NULL does nothing.
 * Never pass a pointer from another allocator, nor an opaque handle:
 * handles have their own *_free.
 *
 * Out of memory is always GDFO_ENOMEM, also inside cJSON: when the
 * library is loaded it points cJSON's process-wide allocator hooks
 * (cJSON_InitHooks) at malloc and free wrappers of its own, so that a
 * parse that ran out of memory is not reported as bad input. A host that
 * uses cJSON itself keeps working (the memory still comes from malloc);
 * a host that sets its own cJSON hooks after loading libgdfo turns that
 * distinction off (docs/reliability.md).
 */
GDFO_API void gdfo_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif

/* ingest.h: to be written. */
#ifndef GDFO_INGEST_H
#define GDFO_INGEST_H
#include "common.h"
#endif

/* rewrite.h: to be written. */
#ifndef GDFO_REWRITE_H
#define GDFO_REWRITE_H
#include "common.h"
#endif

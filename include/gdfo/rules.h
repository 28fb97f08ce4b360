/* rules.h: to be written. */
#ifndef GDFO_RULES_H
#define GDFO_RULES_H
#include "common.h"
#endif

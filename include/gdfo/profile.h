/* profile.h: to be written. */
#ifndef GDFO_PROFILE_H
#define GDFO_PROFILE_H
#include "common.h"
#endif

/* sim.h: to be written. */
#ifndef GDFO_SIM_H
#define GDFO_SIM_H
#include "common.h"
#endif

/* nn.h: to be written. */
#ifndef GDFO_NN_H
#define GDFO_NN_H
#include "common.h"
#endif

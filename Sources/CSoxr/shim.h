#ifndef EARSHOT_CSOXR_SHIM_H
#define EARSHOT_CSOXR_SHIM_H
#include <soxr.h>
// SOXR_HQ is a macro over another macro; expose it as a value so Swift sees the recipe libsoxr means.
static inline unsigned long earshot_soxr_hq(void) { return SOXR_HQ; }
#endif

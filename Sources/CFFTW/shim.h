#ifndef EARSHOT_CFFTW_SHIM_H
#define EARSHOT_CFFTW_SHIM_H
#include <fftw3.h>
// FFTW's planner flags are macros built from shifts; expose the one Earshot uses as a value.
static inline unsigned earshot_fftw_estimate(void) { return FFTW_ESTIMATE; }
#endif

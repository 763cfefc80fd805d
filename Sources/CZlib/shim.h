#ifndef EARSHOT_CZLIB_SHIM_H
#define EARSHOT_CZLIB_SHIM_H
// zlib from the system (Debian's zlib1g-dev): compress2/compressBound for the zlib-ratio indicator.
#include <zlib.h>
#endif

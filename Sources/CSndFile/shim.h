#ifndef EARSHOT_CSNDFILE_SHIM_H
#define EARSHOT_CSNDFILE_SHIM_H
// libsndfile's API is plain functions, enums and structs that Swift imports directly; no accessors needed.
#include <sndfile.h>
#endif

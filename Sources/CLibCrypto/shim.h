#ifndef EARSHOT_CLIBCRYPTO_SHIM_H
#define EARSHOT_CLIBCRYPTO_SHIM_H
// SHA-256 from the system's OpenSSL libcrypto (hardware-accelerated where the CPU has SHA extensions).
#include <openssl/sha.h>
#include <openssl/evp.h>
#endif

#ifndef EARSHOT_SPAWN_H
#define EARSHOT_SPAWN_H

#include <spawn.h>

/// glibc's GNU extensions that Swift's Glibc module does not show (it is built without _GNU_SOURCE).
/// Each returns what the wrapped call returns (0 or an errno value; -1 with errno for pipe2).
int earshot_pipe_cloexec(int fds[2]);
int earshot_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
int earshot_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

#endif

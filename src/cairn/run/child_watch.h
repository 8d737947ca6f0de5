// Seeing a child process end without a thread: a pidfd per child where the
// kernel has them (Linux 5.3+), else one process-wide SIGCHLD self-pipe.
#pragma once

#include <sys/types.h>

namespace cairn::run_internal {

// A pidfd for `pid` (readable once it has ended), or -1 when unavailable.
int OpenPidFd(pid_t pid);

// The read end of the SIGCHLD self-pipe, installing the handler on first
// use; -1 if the pipe cannot be made. A byte arrives after any child ends;
// the pipe is shared by the whole process, so readers must also check their
// children on their own now and then (a byte may be taken by another reader).
int SigchldFd();
// Empties the SIGCHLD pipe.
void DrainFd(int fd);

// True when `pid` has ended (it stays a zombie: not reaped); *gone when it
// is no longer our child at all (someone else reaped it).
bool HasEnded(pid_t pid, bool* gone);

}  // namespace cairn::run_internal

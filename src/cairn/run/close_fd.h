// CloseFd: closes a descriptor the run part owns and marks it closed (-1),
// so closing twice is harmless.
#pragma once

#include <unistd.h>

namespace cairn::run_internal {

inline void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

}  // namespace cairn::run_internal

#include "cairn/clock.h"

#include <chrono>

namespace cairn {

double RealClock::Now() const { return WallTime(); }

double RealClock::WallTime() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

RealClock* RealClock::Default() {
  static RealClock clock;
  return &clock;
}

}  // namespace cairn

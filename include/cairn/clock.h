// Clock: the only way the coordinator, executors and schedulers read time.
//
// Production code uses RealClock; tests and the replay executor use
// SimulatedClock, whose time moves only when told to, so runs are exact and
// fast. Times are seconds as double: since the Unix epoch for RealClock, since
// an arbitrary start (default 0) for SimulatedClock.
//
// Thread-safety: RealClock is thread-safe. SimulatedClock is not; it is meant
// for the single-threaded coordinator loop.
#pragma once

namespace cairn {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds; monotone non-decreasing for one Clock.
  virtual double Now() const = 0;
  // Wall-clock seconds since the Unix epoch, for records; equals Now() for
  // RealClock, start + Now() for a SimulatedClock.
  virtual double WallTime() const = 0;
};

class RealClock final : public Clock {
 public:
  double Now() const override;
  double WallTime() const override;
  // A process-wide instance.
  static RealClock* Default();
};

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(double start = 0.0, double wall_start = 0.0)
      : now_(start), wall_start_(wall_start) {}
  double Now() const override { return now_; }
  double WallTime() const override { return wall_start_ + now_; }
  // REQUIRES: t >= Now().
  void AdvanceTo(double t) { if (t > now_) now_ = t; }
  void Advance(double dt) { if (dt > 0) now_ += dt; }

 private:
  double now_;
  double wall_start_;
};

}  // namespace cairn

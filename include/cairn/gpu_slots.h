// GpuSlots: which GPUs a new trial may use, with fractional packing.
//
// Every device has capacity 1.0. A trial asks for `gpus_per_trial` = g:
//   g == 0      a CPU trial: it gets an empty list (CUDA_VISIBLE_DEVICES="").
//   0 < g < 1   takes g from one device with room, best fit (the device left
//               with the least room), lowest position in the list first; so
//               trials of 0.25 fill one GPU before starting the next.
//   g >= 1      must be a whole number: takes that many fully free devices,
//               lowest positions first.
// The coordinator chooses the device list (CUDA_VISIBLE_DEVICES, NVML, the
// study file); GpuSlots only does the bookkeeping.
//
// Thread-safety: none; owned by the single-threaded coordinator loop.
//
//   GpuSlots slots({"0", "1"});
//   if (auto ids = slots.Acquire(0.5)) { launch(*ids); ... slots.Release(*ids, 0.5); }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn {

class GpuSlots {
 public:
  // `device_ids` as CUDA_VISIBLE_DEVICES names them ("0", "1" or UUIDs),
  // in preference order. Duplicates are dropped.
  explicit GpuSlots(std::vector<std::string> device_ids);

  // Ok for 0, 0 < g < 1 and whole numbers g >= 1 not above the device count;
  // InvalidArgument naming g otherwise (negative, NaN, 1.5, too many).
  Status Validate(double gpus_per_trial) const;

  // The devices for one more trial of size g, now taken; nullopt when they
  // are not free now or g is not valid.
  std::optional<std::vector<std::string>> Acquire(double gpus_per_trial);
  // Gives back what Acquire(gpus_per_trial) returned as `ids`. Unknown ids
  // are ignored and a device never goes below zero use.
  void Release(const std::vector<std::string>& ids, double gpus_per_trial);

  // How many trials of size g fit at once on all devices when none is in
  // use (INT_MAX for g == 0, 0 for an invalid g).
  int Capacity(double gpus_per_trial) const;
  // How many more trials of size g fit now, given what is in use.
  int Available(double gpus_per_trial) const;

  const std::vector<std::string>& device_ids() const { return ids_; }
  // The share of device `id` in use (0..1); nullopt for an unknown id.
  std::optional<double> Used(const std::string& id) const;

 private:
  // How many trials of fractional size g fit in `room`.
  static int FractionalFits(double room, double g);

  std::vector<std::string> ids_;
  std::vector<double> used_;  // parallel to ids_
};

// The device list in a CUDA_VISIBLE_DEVICES value: nullopt when `value` is
// null (the variable is unset); an empty list for "". Entries are trimmed;
// as CUDA does, the list ends at the first empty or "-1" entry.
std::optional<std::vector<std::string>> ParseCudaVisibleDevices(const char* value);

}  // namespace cairn

// GpuSlots: bookkeeping of fractional GPU use (see header).
#include "cairn/gpu_slots.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

namespace cairn {
namespace {

// Shares such as 1/3 do not add up exactly in binary; treat this as zero.
constexpr double kEps = 1e-9;

bool IsWhole(double g) { return std::fabs(g - std::round(g)) < kEps; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

GpuSlots::GpuSlots(std::vector<std::string> device_ids) {
  for (std::string& id : device_ids) {
    if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) ids_.push_back(std::move(id));
  }
  used_.assign(ids_.size(), 0.0);
}

Status GpuSlots::Validate(double g) const {
  if (!std::isfinite(g) || g < 0) {
    return InvalidArgument(fmt::format("{} GPUs per trial: expected a number >= 0", g));
  }
  if (g > 0 && g < 1) {
    if (ids_.empty()) return InvalidArgument(fmt::format("{} GPU per trial but no GPU is available", g));
    return Status::Ok();
  }
  if (!IsWhole(g)) {
    return InvalidArgument(fmt::format("{} GPUs per trial: expected a fraction below 1 or a whole number", g));
  }
  if (std::llround(g) > static_cast<long long>(ids_.size())) {
    return InvalidArgument(fmt::format("{} GPUs per trial but only {} GPU(s) are available", g, ids_.size()));
  }
  return Status::Ok();
}

int GpuSlots::FractionalFits(double room, double g) {
  return static_cast<int>(std::floor((room + kEps) / g));
}

std::optional<std::vector<std::string>> GpuSlots::Acquire(double g) {
  if (!Validate(g).ok()) return std::nullopt;
  if (g == 0) return std::vector<std::string>{};
  if (g < 1) {
    // Best fit: the device with room whose room is smallest; ties keep the first.
    std::optional<size_t> best;
    for (size_t i = 0; i < ids_.size(); ++i) {
      double room = 1.0 - used_[i];
      if (room + kEps < g) continue;
      if (!best || room < 1.0 - used_[*best] - kEps) best = i;
    }
    if (!best) return std::nullopt;
    used_[*best] += g;
    return std::vector<std::string>{ids_[*best]};
  }
  size_t want = static_cast<size_t>(std::llround(g));
  std::vector<size_t> picked;
  for (size_t i = 0; i < ids_.size() && picked.size() < want; ++i) {
    if (used_[i] < kEps) picked.push_back(i);
  }
  if (picked.size() < want) return std::nullopt;
  std::vector<std::string> out;
  for (size_t i : picked) {
    used_[i] = 1.0;
    out.push_back(ids_[i]);
  }
  return out;
}

void GpuSlots::Release(const std::vector<std::string>& ids, double g) {
  double share = g < 1 ? g : 1.0;
  if (!std::isfinite(share) || share <= 0) return;
  for (const std::string& id : ids) {
    auto it = std::find(ids_.begin(), ids_.end(), id);
    if (it == ids_.end()) continue;
    double& used = used_[static_cast<size_t>(it - ids_.begin())];
    used = std::max(0.0, used - share);
    if (used < kEps) used = 0.0;
  }
}

int GpuSlots::Capacity(double g) const {
  if (!Validate(g).ok()) return 0;
  if (g == 0) return INT_MAX;
  int devices = static_cast<int>(ids_.size());
  if (g < 1) return devices * FractionalFits(1.0, g);
  return devices / static_cast<int>(std::llround(g));
}

int GpuSlots::Available(double g) const {
  if (!Validate(g).ok()) return 0;
  if (g == 0) return INT_MAX;
  int count = 0;
  if (g < 1) {
    for (double used : used_) count += FractionalFits(1.0 - used, g);
    return count;
  }
  for (double used : used_) count += used < kEps ? 1 : 0;
  return count / static_cast<int>(std::llround(g));
}

std::optional<double> GpuSlots::Used(const std::string& id) const {
  auto it = std::find(ids_.begin(), ids_.end(), id);
  if (it == ids_.end()) return std::nullopt;
  return used_[static_cast<size_t>(it - ids_.begin())];
}

std::optional<std::vector<std::string>> ParseCudaVisibleDevices(const char* value) {
  if (value == nullptr) return std::nullopt;
  std::vector<std::string> ids;
  std::string_view rest(value);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view entry = TrimSpaces(rest.substr(0, comma));
    if (entry.empty() || entry == "-1") break;
    ids.emplace_back(entry);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return ids;
}

}  // namespace cairn

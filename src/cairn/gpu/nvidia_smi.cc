#include "cairn/gpu/nvidia_smi.h"

#include <charconv>

#include "cairn/gpu/run_command.h"

namespace cairn::internal {
namespace {

constexpr uint64_t kMiB = 1024ull * 1024ull;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> SplitFields(std::string_view line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = line.find(',', start);
    out.push_back(Trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = Trim(text.substr(start, nl - start));
    if (!line.empty()) out.push_back(line);
    start = nl + 1;
  }
  return out;
}

// A number, or nullopt for "[N/A]", "[Not Supported]" and other words.
std::optional<double> Number(const std::string& field) {
  double v = 0;
  auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || p == field.data()) return std::nullopt;
  return v;
}

const char* kInfoQuery = "--query-gpu=index,name,uuid,memory.total,driver_version,compute_cap";
// Older drivers lack compute_cap and reject the whole query.
const char* kInfoQueryOld = "--query-gpu=index,name,uuid,memory.total,driver_version";

}  // namespace

std::vector<GpuInfo> ParseSmiGpus(std::string_view csv) {
  std::vector<GpuInfo> out;
  for (const std::string& line : Lines(csv)) {
    auto f = SplitFields(line);
    if (f.size() < 5) continue;
    auto index = Number(f[0]);
    if (!index) continue;
    GpuInfo info;
    info.index = static_cast<int>(*index);
    info.name = f[1];
    info.uuid = f[2];
    if (auto mib = Number(f[3])) info.memory_total_bytes = static_cast<uint64_t>(*mib) * kMiB;
    info.driver_version = f[4];
    if (f.size() > 5 && Number(f[5])) info.compute_capability = f[5];
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<GpuSample> ParseSmiSample(std::string_view csv) {
  auto lines = Lines(csv);
  if (lines.empty()) return std::nullopt;
  auto f = SplitFields(lines[0]);
  if (f.size() < 3) return std::nullopt;
  GpuSample s;
  s.util_percent = Number(f[0]);
  if (auto mib = Number(f[1])) s.memory_used_bytes = static_cast<uint64_t>(*mib) * kMiB;
  s.power_watts = Number(f[2]);
  return s;
}

std::vector<GpuInfo> SmiDetect(const std::string& smi, double timeout_s) {
  CommandOptions opts{.timeout_s = timeout_s};
  for (const char* query : {kInfoQuery, kInfoQueryOld}) {
    auto r = RunCommand({smi, query, "--format=csv,noheader,nounits"}, opts);
    if (r.ok() && r->ok()) return ParseSmiGpus(r->out);
  }
  return {};
}

std::optional<GpuSample> SmiSample(const std::string& smi, const std::string& id,
                                   double timeout_s) {
  CommandOptions opts{.timeout_s = timeout_s};
  auto r = RunCommand({smi, "--query-gpu=utilization.gpu,memory.used,power.draw",
                       "--format=csv,noheader,nounits", "-i", id},
                      opts);
  if (!r.ok() || !r->ok()) return std::nullopt;
  return ParseSmiSample(r->out);
}

}  // namespace cairn::internal

// Host facts: read once from /proc, /etc/os-release and uname.
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "cairn/capture.h"

namespace cairn {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\"'");
  size_t e = s.find_last_not_of(" \t\"'\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The value after "key" and a separator (':' or '=') on the first matching
// line of `path`; empty when absent.
std::string FieldOf(const char* path, const std::string& key, char sep) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t pos = line.find(sep);
    if (pos == std::string::npos || Trim(line.substr(0, pos)) != key) continue;
    return Trim(line.substr(pos + 1));
  }
  return "";
}

int CountProcessors() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.rfind("processor", 0) == 0) ++n;
  }
  return n > 0 ? n : static_cast<int>(std::thread::hardware_concurrency());
}

std::string CpuModel() {
  std::string model = FieldOf("/proc/cpuinfo", "model name", ':');
  if (model.empty()) model = FieldOf("/proc/cpuinfo", "Model", ':');      // arm boards
  if (model.empty()) model = FieldOf("/proc/cpuinfo", "cpu model", ':');  // others
  return model;
}

uint64_t MemoryTotalBytes() {
  std::string kb = FieldOf("/proc/meminfo", "MemTotal", ':');  // "16318536 kB"
  try {
    return kb.empty() ? 0 : std::stoull(kb) * 1024ull;
  } catch (...) {
    return 0;
  }
}

nlohmann::json ReadHost() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  utsname u{};
  uname(&u);
  return {{"hostname", std::string(name)},
          {"cpu_model", CpuModel()},
          {"cpu_cores", CountProcessors()},
          {"memory_total_bytes", MemoryTotalBytes()},
          {"os", FieldOf("/etc/os-release", "PRETTY_NAME", '=')},
          {"kernel", std::string(u.sysname) + " " + u.release + " " + u.version},
          {"arch", std::string(u.machine)}};
}

}  // namespace

nlohmann::json CaptureHost() {
  // Host facts do not change while Cairn runs.
  static std::once_flag once;
  static nlohmann::json host;
  std::call_once(once, [] { host = ReadHost(); });
  return host;
}

}  // namespace cairn

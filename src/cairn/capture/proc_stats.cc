#include "cairn/capture/proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace cairn::internal {

bool ParseProcStat(const std::string& line, long page_size, ProcStat& out) {
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')', so
  // fields are counted from the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  out.pid = std::atoi(line.c_str());
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> f;
  std::string tok;
  while (f.size() < 22 && rest >> tok) f.push_back(tok);
  // f[0] = state (field 3), f[2] = pgrp (5), f[11] = utime (14),
  // f[12] = stime (15), f[21] = rss in pages (24).
  if (f.size() < 22) return false;
  out.pgrp = std::atoi(f[2].c_str());
  out.cpu_ticks = std::strtoull(f[11].c_str(), nullptr, 10) + std::strtoull(f[12].c_str(), nullptr, 10);
  out.rss_bytes = std::strtoull(f[21].c_str(), nullptr, 10) * static_cast<uint64_t>(page_size);
  return true;
}

std::map<int, ProcStat> ScanProcessGroups(const std::string& proc_root, const std::set<int>& pgrps) {
  std::map<int, ProcStat> out;
  if (pgrps.empty()) return out;
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return out;
  const long page = ::sysconf(_SC_PAGESIZE);
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(proc_root + "/" + e->d_name + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;  // exited meanwhile
    ProcStat st;
    if (ParseProcStat(line, page, st) && pgrps.count(st.pgrp)) out[st.pid] = st;
  }
  ::closedir(dir);
  return out;
}

}  // namespace cairn::internal

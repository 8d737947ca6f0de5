// File hashes cached by (absolute path, size, mtime_ns), kept in a small JSON
// file so unchanged large data files are not read again by later studies.
//
// File layout (version 1):
//   {"version": 1, "files": {"/abs/path": {"size": N, "mtime_ns": T, "sha256": "..."}}}
// A file of another version, or one that does not parse, is ignored (the
// cache is rebuilt); it is only ever a cache.
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <unordered_map>

#include "cairn/capture.h"
#include "cairn/hash.h"
#include "cairn/json_text.h"

namespace cairn {
// Named, not anonymous: Impl's members use it, and a unity build would make
// GCC warn of an anonymous type inside Impl (-Wsubobject-linkage).
namespace fingerprint_internal {

struct Entry {
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string sha256;
};

}  // namespace fingerprint_internal
using fingerprint_internal::Entry;

namespace {

constexpr int kCacheVersion = 1;

}  // namespace

struct FingerprintCache::Impl {
  std::filesystem::path file;
  mutable std::mutex mu;
  std::unordered_map<std::string, Entry> entries;  // GUARDED_BY(mu)
  bool dirty = false;                              // GUARDED_BY(mu)
  FingerprintStats stats;                          // GUARDED_BY(mu)

  void Load() {
    std::ifstream in(file);
    if (!in) return;
    try {
      nlohmann::json j = nlohmann::json::parse(in);
      if (j.value("version", 0) != kCacheVersion) return;
      for (const auto& [path, e] : j.at("files").items()) {
        entries[path] = {e.at("size").get<int64_t>(), e.at("mtime_ns").get<int64_t>(),
                         e.at("sha256").get<std::string>()};
      }
    } catch (const std::exception&) {
      entries.clear();  // corrupt: start over
    }
  }
};

FingerprintCache::FingerprintCache(std::filesystem::path file) : impl_(std::make_unique<Impl>()) {
  impl_->file = std::move(file);
  if (!impl_->file.empty()) impl_->Load();
}

FingerprintCache::~FingerprintCache() = default;

Result<std::string> FingerprintCache::FileSha256(const std::filesystem::path& path) {
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec).string();
  if (ec) key = std::filesystem::absolute(path).string();
  struct stat st {};
  if (::stat(key.c_str(), &st) != 0) return NotFound("cannot stat " + key);
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->entries.find(key);
    if (it != impl_->entries.end() && it->second.size == st.st_size &&
        it->second.mtime_ns == mtime_ns) {
      ++impl_->stats.cache_hits;
      return it->second.sha256;
    }
  }
  // Hash outside the lock: other threads may look up other files meanwhile.
  CAIRN_ASSIGN_OR_RETURN(std::string sha, Sha256File(key));
  std::lock_guard lock(impl_->mu);
  impl_->entries[key] = {st.st_size, mtime_ns, sha};
  impl_->dirty = true;
  ++impl_->stats.files_hashed;
  impl_->stats.bytes_hashed += st.st_size;
  return sha;
}

Status FingerprintCache::Save() {
  std::lock_guard lock(impl_->mu);
  if (impl_->file.empty() || !impl_->dirty) return Status::Ok();
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [path, e] : impl_->entries) {
    files[path] = {{"size", e.size}, {"mtime_ns", e.mtime_ns}, {"sha256", e.sha256}};
  }
  nlohmann::json j = {{"version", kCacheVersion}, {"files", std::move(files)}};
  // Atomic: readers see the old cache or the new one.
  CAIRN_TRY(WriteJsonFileAtomically(impl_->file, j));
  impl_->dirty = false;
  return Status::Ok();
}

FingerprintStats FingerprintCache::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace cairn

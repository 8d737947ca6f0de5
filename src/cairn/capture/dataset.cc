// Dataset fingerprints and artifact lists: content hashes of files, through
// the FingerprintCache so unchanged files are not read again.
#include <algorithm>

#include "cairn/capture.h"
#include "cairn/hash.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// Regular files under `dir` (recursively, following file symlinks but not
// folder symlinks), as sorted relative generic paths.
std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code file_ec;
    if (it->is_regular_file(file_ec)) {
      out.push_back(it->path().lexically_relative(dir).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One line per file in the fingerprint: "relpath\0size\0sha256\n".
void AddFile(Sha256& digest, const std::string& rel, uintmax_t size, const std::string& sha) {
  digest.Update(rel);
  digest.Update(std::string_view("\0", 1));
  digest.Update(std::to_string(size));
  digest.Update(std::string_view("\0", 1));
  digest.Update(sha);
  digest.Update("\n");
}

}  // namespace

nlohmann::json FingerprintDataset(const fs::path& path, FingerprintCache& cache) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec).lexically_normal();
  nlohmann::json out = {{"path", abs.string()}, {"errors", nlohmann::json::array()}};
  auto status = fs::status(abs, ec);
  if (ec || !fs::exists(status)) {
    out.update({{"kind", "missing"}, {"files", 0}, {"bytes", 0}, {"sha256", nullptr}});
    return out;
  }
  const bool is_dir = fs::is_directory(status);
  if (!is_dir && !fs::is_regular_file(status)) {
    // A FIFO would block the read forever, a device (/dev/zero) never end:
    // named as what it is, with no content hash.
    out.update({{"kind", "special"}, {"files", 0}, {"bytes", 0}, {"sha256", nullptr}});
    out["errors"].push_back(abs.filename().string() + " is not a regular file or a folder (a FIFO, socket or device)");
    return out;
  }
  std::vector<std::string> files =
      is_dir ? FilesUnder(abs) : std::vector<std::string>{abs.filename().string()};
  const fs::path base = is_dir ? abs : abs.parent_path();
  Sha256 digest;
  uintmax_t bytes = 0;
  int64_t count = 0;
  for (const std::string& rel : files) {
    fs::path file = base / rel;
    uintmax_t size = fs::file_size(file, ec);
    auto sha = cache.FileSha256(file);
    if (ec || !sha.ok()) {
      out["errors"].push_back(rel);  // unreadable: named, and left out of the hash
      continue;
    }
    // A single file's own hash too, what `sha256sum` prints: the fingerprint
    // (kept for comparing records) hashes its name and size with it.
    if (!is_dir) out["file_sha256"] = *sha;
    AddFile(digest, rel, size, *sha);
    bytes += size;
    ++count;
  }
  out.update({{"kind", is_dir ? "directory" : "file"},
              {"files", count},
              {"bytes", bytes},
              {"sha256", digest.HexDigest()}});
  return out;
}

nlohmann::json ListArtifacts(const fs::path& trial_dir, FingerprintCache* cache) {
  nlohmann::json out = nlohmann::json::array();
  std::error_code ec;
  if (!fs::is_directory(trial_dir, ec)) return out;
  for (const std::string& rel : FilesUnder(trial_dir)) {
    fs::path file = trial_dir / rel;
    uintmax_t size = fs::file_size(file, ec);
    auto sha = cache ? cache->FileSha256(file) : Sha256File(file);
    nlohmann::json item = {{"path", rel},
                           {"size", ec ? 0 : size},
                           {"sha256", sha.ok() ? nlohmann::json(*sha) : nlohmann::json(nullptr)},
                           {"log", rel == "stdout.log" || rel == "stderr.log"}};
    // The Slurm executor's job script, job record, pack files and stop/exit
    // markers, and the local trial's exit and stop records (cairn-exit.json,
    // cairn-stop.json): part of the trail, but not what the trial made.
    if (IsCairnTrialFile(rel)) item["cairn"] = true;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace cairn

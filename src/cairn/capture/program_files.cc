// FingerprintProgramFiles: the files a trial's command line names, hashed,
// so a changed script is seen even where there is no git to say so.
#include <cstdint>
#include <set>
#include <system_error>

#include "cairn/capture.h"
#include "cairn/hash.h"

namespace cairn {
namespace {

constexpr std::uintmax_t kMaxHashedBytes = 16ull << 20;

// argv[0] is a program looked up on PATH unless it has a slash; an
// interpreter or a compiled tool is the software record's, not a file of the
// user's code.
bool NamesAFile(const std::string& word, bool is_program) {
  if (word.empty() || word[0] == '-') return false;
  return !is_program || word.find('/') != std::string::npos;
}

// The user's code lives in the work folder: /usr/bin/python3 or data kept
// elsewhere are not part of it.
bool InsideWorkdir(const std::filesystem::path& path, const std::filesystem::path& workdir) {
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::weakly_canonical(path, ec);
  if (ec) return false;
  const std::filesystem::path dir = std::filesystem::weakly_canonical(workdir, ec);
  if (ec) return false;
  const auto rel = file.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

nlohmann::json FingerprintProgramFiles(const std::vector<std::string>& argv, const std::filesystem::path& workdir) {
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string> seen;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (!NamesAFile(word, i == 0) || !seen.insert(word).second) continue;
    // Cairn's own folder holds the trial's outputs (a checkpoint to resume
    // from), not its code.
    if (word.find(".cairn/") != std::string::npos) continue;
    std::filesystem::path path = word;
    if (path.is_relative() && !workdir.empty()) path = workdir / path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    if (!workdir.empty() && !InsideWorkdir(path, workdir)) continue;
    const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
    if (ec) continue;
    nlohmann::json entry = {{"path", word}, {"bytes", bytes}, {"sha256", nullptr}};
    if (bytes <= kMaxHashedBytes) {
      auto hash = Sha256File(path);
      if (hash.ok()) entry["sha256"] = *hash;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace cairn

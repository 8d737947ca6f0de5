#include "support/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace cairn::testing {

std::filesystem::path SourceDir() { return CAIRN_SOURCE_DIR; }
std::filesystem::path BinaryDir() { return CAIRN_BINARY_DIR; }

std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* made = mkdtemp(templ.data());
  if (made == nullptr) std::abort();
  return made;
}

std::optional<std::filesystem::path> SharedCurves(const std::string& name) {
  const char* env = std::getenv("CAIRN_SHARED_CURVES");
  std::filesystem::path dir = env ? std::filesystem::path(env)
                                  : SourceDir().parent_path() / "shared" / "data" / "curves";
  auto path = dir / name;
  if (std::filesystem::exists(path)) return path;
  return std::nullopt;
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cairn::testing

// OpenStore and ResolveStoreUrl: from a URL to a back end.
#include <cstdlib>
#include <filesystem>

#include "cairn/store.h"
#include "cairn/store/postgres_connection.h"
#include "cairn/store/sql_store.h"
#include "cairn/store/sqlite_connection.h"

namespace cairn {

namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path) {
  if (path.empty()) return InvalidArgument("store URL names no SQLite file");
  std::string abs = path;
  if (path != ":memory:") {
    std::error_code ec;
    abs = std::filesystem::absolute(path, ec).lexically_normal().string();
    if (ec) return InvalidArgument("store path '" + path + "': " + ec.message());
  }
  CAIRN_ASSIGN_OR_RETURN(auto conn, store::SqliteConnection::Open(abs));
  return store::SqlStore::Open(std::move(conn), "sqlite://" + abs);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    CAIRN_ASSIGN_OR_RETURN(auto conn, store::PostgresConnection::Open(url));
    return store::SqlStore::Open(std::move(conn), url);
  }
  if (StartsWith(url, "sqlite://")) return OpenSqlite(url.substr(9));
  if (url.find("://") != std::string::npos) {
    return InvalidArgument("store URL '" + store::MaskPassword(url) +
                           "': unknown scheme (use sqlite:// or postgresql://)");
  }
  return OpenSqlite(url);
}

std::string ResolveStoreUrl(const std::string& explicit_url, const std::string& workdir, bool create_folder) {
  if (!explicit_url.empty()) return explicit_url;
  if (const char* env = std::getenv("CAIRN_STORE"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(workdir.empty() ? "." : workdir, ec);
  dir = (dir / ".cairn").lexically_normal();
  // A failure here surfaces as a clear error when OpenStore opens the file.
  if (create_folder) std::filesystem::create_directories(dir, ec);
  return "sqlite://" + (dir / "cairn.db").string();
}

}  // namespace cairn

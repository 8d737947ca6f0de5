// A throwaway PostgreSQL schema for one test, in the database named by
// $CAIRN_TEST_POSTGRES_URL (scripts/with-postgres.sh starts a server and
// sets it). The store URL selects the schema through libpq's
// `options=-csearch_path=...` parameter, so every test gets empty tables
// and tests never see each other's rows. Dropped with everything in it when
// the object goes.
//
// Header-only: the test that includes it links the store part itself.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "cairn/status.h"
#include "cairn/store/postgres_connection.h"

namespace cairn::testing {

class TempPostgresSchema {
 public:
  // $CAIRN_TEST_POSTGRES_URL, or nullopt when unset (tests then skip).
  static std::optional<std::string> ServerUrl() {
    const char* base = std::getenv("CAIRN_TEST_POSTGRES_URL");
    if (base == nullptr || *base == '\0') return std::nullopt;
    return std::string(base);
  }

  TempPostgresSchema() = default;
  TempPostgresSchema(const TempPostgresSchema&) = delete;
  TempPostgresSchema& operator=(const TempPostgresSchema&) = delete;
  ~TempPostgresSchema() { Drop(); }

  // Creates a new schema on the server at `server_url`.
  Status Create(const std::string& server_url) {
    static int counter = 0;
    server_url_ = server_url;
    name_ = "cairn_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    CAIRN_ASSIGN_OR_RETURN(auto admin, store::PostgresConnection::Open(server_url_));
    CAIRN_TRY(admin->ExecDdl("CREATE SCHEMA " + name_));
    std::string sep = server_url_.find('?') == std::string::npos ? "?" : "&";
    url_ = server_url_ + sep + "options=-csearch_path%3D" + name_;
    return Status::Ok();
  }

  // The store URL whose tables live in this schema.
  const std::string& url() const { return url_; }
  const std::string& server_url() const { return server_url_; }

 private:
  void Drop() {
    if (name_.empty()) return;
    auto admin = store::PostgresConnection::Open(server_url_);
    if (admin.ok()) (void)(*admin)->ExecDdl("DROP SCHEMA " + name_ + " CASCADE");
    name_.clear();
  }

  std::string server_url_;
  std::string name_;
  std::string url_;
};

}  // namespace cairn::testing

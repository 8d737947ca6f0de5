// A fresh, empty database per test, for each back end.
//
// SQLite: a file in a new temp folder. PostgreSQL: a new schema in the
// database named by $CAIRN_TEST_POSTGRES_URL (scripts/with-postgres.sh sets
// it), selected through the libpq `options=-csearch_path=...` URI parameter
// and dropped afterwards.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cairn/store.h"
#include "cairn/store/postgres_connection.h"
#include "cairn/store/sqlite_connection.h"
#include "support/paths.h"
#include "support/postgres_schema.h"

namespace cairn::testing {

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class StoreBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = MakeTempDir("cairn-store");
      url_ = "sqlite://" + (dir_ / "test.db").string();
      return;
    }
    auto server = TempPostgresSchema::ServerUrl();
    if (!server) GTEST_SKIP() << "set CAIRN_TEST_POSTGRES_URL (scripts/with-postgres.sh) to run";
    Status created = schema_.Create(*server);
    ASSERT_TRUE(created.ok()) << created.ToString();
    url_ = schema_.url();
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> Open() {
    auto s = OpenStore(url_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // A raw connection to the same database, for writing fixtures by hand.
  std::unique_ptr<store::SqlConnection> Raw() {
    if (GetParam() == Backend::kSqlite) {
      auto c = store::SqliteConnection::Open(url_.substr(9));
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      return c.ok() ? std::move(*c) : nullptr;
    }
    auto c = store::PostgresConnection::Open(url_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  bool postgres() const { return GetParam() == Backend::kPostgres; }

  std::filesystem::path dir_;
  TempPostgresSchema schema_;
  std::string url_;
};

#define CAIRN_INSTANTIATE_BACKENDS(suite)                                             \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                           \
                           ::testing::Values(::cairn::testing::Backend::kSqlite,      \
                                             ::cairn::testing::Backend::kPostgres), \
                           ::cairn::testing::BackendName)

}  // namespace cairn::testing

// URLs, the default store location, and the value helpers.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cairn/store.h"
#include "cairn/store/postgres_connection.h"
#include "cairn/store/sql_connection.h"
#include "support/paths.h"
#include "support/postgres_schema.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

// Sets or clears an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class OpenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("cairn-open"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(OpenStoreTest, ResolvePrefersExplicitThenEnvThenDefault) {
  {
    ScopedEnv env("CAIRN_STORE", "sqlite:///from/env.db");
    EXPECT_EQ(ResolveStoreUrl("postgresql://u@h/db", dir_.string()), "postgresql://u@h/db");
    EXPECT_EQ(ResolveStoreUrl("", dir_.string()), "sqlite:///from/env.db");
    EXPECT_FALSE(fs::exists(dir_ / ".cairn"));
  }
  ScopedEnv env("CAIRN_STORE", nullptr);
  // A command that only reads names the store without creating its folder.
  EXPECT_EQ(ResolveStoreUrl("", dir_.string(), /*create_folder=*/false),
            "sqlite://" + (dir_ / ".cairn" / "cairn.db").string());
  EXPECT_FALSE(fs::exists(dir_ / ".cairn"));
  std::string url = ResolveStoreUrl("", dir_.string());
  EXPECT_EQ(url, "sqlite://" + (dir_ / ".cairn" / "cairn.db").string());
  EXPECT_TRUE(fs::is_directory(dir_ / ".cairn"));
  auto store = OpenStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Url(), url);
  EXPECT_TRUE(fs::exists(dir_ / ".cairn" / "cairn.db"));
}

TEST_F(OpenStoreTest, AcceptsPlainPathsAndSqliteUrls) {
  std::string path = (dir_ / "a.db").string();
  auto plain = OpenStore(path);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ((*plain)->Url(), "sqlite://" + path);
  ASSERT_TRUE((*plain)->CreateStudy({.name = "s", .objective = "acc"}).ok());
  auto url = OpenStore("sqlite://" + path);
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE((*url)->GetStudy("s").ok());  // the same file
}

TEST_F(OpenStoreTest, RejectsBadUrls) {
  EXPECT_EQ(OpenStore("mysql://x/y").status().code(), StatusCode::kInvalidArgument);
  auto missing = OpenStore((dir_ / "no" / "such" / "dir" / "x.db").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  WriteFile(dir_ / "junk.db", std::string(8192, 'x'));
  auto junk = OpenStore((dir_ / "junk.db").string());
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kFailedPrecondition) << junk.status().ToString();
}

TEST_F(OpenStoreTest, UnreachablePostgresIsUnavailableAndHidesThePassword) {
  // Port 1 on localhost: nothing listens there.
  auto r = OpenStore("postgresql://cairn:s3cret@127.0.0.1:1/db?connect_timeout=2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message().find("s3cret"), std::string::npos) << r.status().message();
}

TEST(StoreValueTest, DoublesFormatExactly) {
  using store::FormatDouble;
  using store::ParseDouble;
  const double values[] = {0.1, 1.0 / 3.0, 1718000000.123456, 5e-324, -1.7976931348623157e308,
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  for (double v : values) {
    double back = 0;
    ASSERT_TRUE(ParseDouble(FormatDouble(v), &back)) << FormatDouble(v);
    EXPECT_EQ(back, v);
  }
  double nan = 0;
  ASSERT_TRUE(ParseDouble(FormatDouble(std::nan("")), &nan));
  EXPECT_TRUE(std::isnan(nan));
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "Infinity");
  double junk = 0;
  EXPECT_FALSE(ParseDouble("1.5x", &junk));
}

TEST(StoreValueTest, MaskPassword) {
  EXPECT_EQ(store::MaskPassword("postgresql://u:pw@h:5/db"), "postgresql://u:***@h:5/db");
  EXPECT_EQ(store::MaskPassword("postgresql://u@h/db"), "postgresql://u@h/db");
  EXPECT_EQ(store::MaskPassword("postgresql://h:5432/db"), "postgresql://h:5432/db");
  EXPECT_EQ(store::MaskPassword("postgresql://u@h/db?sslmode=disable&password=QPW&x=1"),
            "postgresql://u@h/db?sslmode=disable&password=***&x=1");
  EXPECT_EQ(store::MaskPassword("postgresql://h/db?password=QPW"), "postgresql://h/db?password=***");
}

// Opens the store at url(round) from kOpeners threads at once, kRounds times.
template <typename UrlForRound>
void OpenAllAtOnce(int rounds, UrlForRound url_for_round) {
  constexpr int kOpeners = 6;
  for (int round = 0; round < rounds; ++round) {
    std::string url = url_for_round(round);
    std::atomic<int> ready{0};
    std::vector<std::string> errors(kOpeners);
    std::vector<std::thread> openers;
    for (int i = 0; i < kOpeners; ++i) {
      openers.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < kOpeners) std::this_thread::yield();
        auto store = OpenStore(url);
        if (!store.ok()) errors[i] = store.status().message();
      });
    }
    for (auto& t : openers) t.join();
    for (const std::string& e : errors) EXPECT_EQ(e, "") << "round " << round;
  }
}

// Coordinators started together open one new database at once (CI saw
// "database is locked" from the WAL pragma when two did).
TEST_F(OpenStoreTest, ManyOpeningOneNewDatabaseAtOnceAllSucceed) {
  OpenAllAtOnce(30, [&](int round) { return "sqlite://" + (dir_ / ("race" + std::to_string(round) + ".db")).string(); });
}

// The same on PostgreSQL: one of them creates the schema, the others wait for
// its migration and find the tables.
TEST_F(OpenStoreTest, ManyOpeningOneNewPostgresSchemaAtOnceAllSucceed) {
  auto server = TempPostgresSchema::ServerUrl();
  if (!server) GTEST_SKIP() << "set CAIRN_TEST_POSTGRES_URL (scripts/with-postgres.sh) to run";
  std::vector<std::unique_ptr<TempPostgresSchema>> schemas;
  OpenAllAtOnce(5, [&](int) {
    schemas.push_back(std::make_unique<TempPostgresSchema>());
    Status created = schemas.back()->Create(*server);
    EXPECT_TRUE(created.ok()) << created.message();
    return schemas.back()->url();
  });
}

}  // namespace
}  // namespace cairn::testing

#include <cmath>

#include <gtest/gtest.h>

#include "cairn/space.h"

namespace cairn {
namespace {

ParamValue S(const char* s) { return ParamValue(std::string(s)); }

const ParamSpec& At(const SearchSpace& s, const char* name) { return *s.Find(name); }

void ExpectInvalid(const Status& s, const std::string& mentions) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(mentions), std::string::npos) << s.message() << " should name " << mentions;
}

TEST(SplitSpaceTest, FloatHalvesOverlapByAQuarterOfHalfTheWidth) {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 8.0});
  auto parts = SplitSpace(s, 2);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  // half width 4, overlap 0.25 x 4 = 1 past the middle on each side.
  EXPECT_DOUBLE_EQ(At((*parts)[0], "x").low, 0.0);
  EXPECT_DOUBLE_EQ(At((*parts)[0], "x").high, 5.0);
  EXPECT_DOUBLE_EQ(At((*parts)[1], "x").low, 3.0);
  EXPECT_DOUBLE_EQ(At((*parts)[1], "x").high, 8.0);
}

TEST(SplitSpaceTest, NoOverlapCutsAtTheMiddle) {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = -2.0, .high = 2.0});
  auto parts = SplitSpace(s, 2, 0.0);
  ASSERT_TRUE(parts.ok());
  EXPECT_DOUBLE_EQ(At((*parts)[0], "x").high, 0.0);
  EXPECT_DOUBLE_EQ(At((*parts)[1], "x").low, 0.0);
}

TEST(SplitSpaceTest, LogParametersAreHalvedInLogSpace) {
  SearchSpace s;
  s.params.push_back({.name = "lr", .kind = ParamKind::kFloat, .low = 1e-5, .high = 1e-1, .log = true});
  auto parts = SplitSpace(s, 2, 0.0);
  ASSERT_TRUE(parts.ok());
  EXPECT_NEAR(At((*parts)[0], "lr").high, 1e-3, 1e-15);  // the geometric middle, not 0.05
  EXPECT_NEAR(At((*parts)[1], "lr").low, 1e-3, 1e-15);
  auto overlapping = SplitSpace(s, 2, 0.5);  // 0.5 x 2 decades = one decade past the middle
  ASSERT_TRUE(overlapping.ok());
  EXPECT_NEAR(At((*overlapping)[0], "lr").high, 1e-2, 1e-14);
  EXPECT_NEAR(At((*overlapping)[1], "lr").low, 1e-4, 1e-16);
  EXPECT_DOUBLE_EQ(At((*overlapping)[0], "lr").low, 1e-5);
  EXPECT_DOUBLE_EQ(At((*overlapping)[1], "lr").high, 1e-1);
}

TEST(SplitSpaceTest, IntsAndStepsLandOnTheirGridAndCoverIt) {
  SearchSpace s;
  s.params.push_back({.name = "layers", .kind = ParamKind::kInt, .low = 1, .high = 10});
  s.params.push_back({.name = "drop", .kind = ParamKind::kFloat, .low = 0.0, .high = 0.5, .step = 0.1});
  auto parts = SplitSpace(s, 4);
  ASSERT_TRUE(parts.ok());
  // layers: middle 5.5, reach 4.5 x 1.25 = 5.625 -> [1, 6] and [5, 10].
  EXPECT_EQ(At((*parts)[0], "layers").high, 6.0);
  EXPECT_EQ(At((*parts)[1], "layers").low, 5.0);
  // drop: middle 0.25, reach 0.3125 -> [0, 0.3] and [0.2, 0.5], clean decimals.
  EXPECT_EQ(At((*parts)[0], "drop").high, 0.3);
  EXPECT_EQ(At((*parts)[2], "drop").low, 0.2);
  // Bit 0 picks the layers half, bit 1 the drop half.
  EXPECT_EQ(At((*parts)[3], "layers").low, 5.0);
  EXPECT_EQ(At((*parts)[3], "drop").low, 0.2);
  EXPECT_EQ(At((*parts)[2], "layers").high, 6.0);
}

TEST(SplitSpaceTest, TwoValuedIntSplitsIntoOneValueEach) {
  SearchSpace s;
  s.params.push_back({.name = "n", .kind = ParamKind::kInt, .low = 1, .high = 2, .log = true});
  auto parts = SplitSpace(s, 2);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(At((*parts)[0], "n").low, 1.0);
  EXPECT_EQ(At((*parts)[0], "n").high, 1.0);
  EXPECT_EQ(At((*parts)[1], "n").low, 2.0);
  EXPECT_EQ(At((*parts)[1], "n").high, 2.0);
}

TEST(SplitSpaceTest, CategoricalsSplitTheirChoiceListAfterTheNumbers) {
  SearchSpace s;
  s.params.push_back({.name = "act", .kind = ParamKind::kCategorical, .choices = {S("a"), S("b"), S("c")}});
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  EXPECT_EQ(SplitParams(s), (std::vector<std::string>{"x", "act"}));
  auto parts = SplitSpace(s, 4);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(At((*parts)[0], "act").choices, (std::vector<ParamValue>{S("a"), S("b")}));
  EXPECT_EQ(At((*parts)[2], "act").choices, (std::vector<ParamValue>{S("b"), S("c")}));
  SearchSpace two;
  two.params.push_back({.name = "opt", .kind = ParamKind::kCategorical, .choices = {S("sgd"), S("adam")}});
  auto halves = SplitSpace(two, 2);
  ASSERT_TRUE(halves.ok());
  EXPECT_EQ(At((*halves)[0], "opt").choices, (std::vector<ParamValue>{S("sgd")}));
  EXPECT_EQ(At((*halves)[1], "opt").choices, (std::vector<ParamValue>{S("adam")}));
}

TEST(SplitSpaceTest, ConditionalAndSingleValuedParametersAreNeverSplit) {
  SearchSpace s;
  s.params.push_back({.name = "opt", .kind = ParamKind::kCategorical, .choices = {S("sgd"), S("adam")}});
  ParamSpec momentum{.name = "momentum", .kind = ParamKind::kFloat, .low = 0.0, .high = 0.99};
  momentum.condition = Condition{"opt", {S("sgd")}};
  s.params.push_back(momentum);
  s.params.push_back({.name = "fixed", .kind = ParamKind::kFloat, .low = 0.3, .high = 0.3});
  s.params.push_back({.name = "one", .kind = ParamKind::kInt, .low = 4, .high = 4});
  EXPECT_EQ(SplitParams(s), (std::vector<std::string>{"opt"}));
  auto parts = SplitSpace(s, 2);
  ASSERT_TRUE(parts.ok());
  for (const auto& part : *parts) {
    EXPECT_DOUBLE_EQ(At(part, "momentum").high, 0.99);
    EXPECT_TRUE(At(part, "momentum").condition.has_value());
  }
}

TEST(SplitSpaceTest, EveryPointLiesInSomePart) {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = -1.0, .high = 1.0});
  s.params.push_back({.name = "k", .kind = ParamKind::kInt, .low = 0, .high = 7, .log = false});
  auto parts = SplitSpace(s, 4, 0.1);
  ASSERT_TRUE(parts.ok());
  for (int k = 0; k <= 7; ++k) {
    for (double x = -1.0; x <= 1.0; x += 0.125) {
      Params p{{"x", x}, {"k", int64_t{k}}};
      int inside = 0;
      for (const auto& part : *parts) inside += part.Validate(p).ok() ? 1 : 0;
      EXPECT_GE(inside, 1) << "x=" << x << " k=" << k;
    }
  }
}

TEST(SplitSpaceTest, ErrorsNameTheField) {
  SearchSpace s;
  s.params.push_back({.name = "x", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  s.params.push_back({.name = "y", .kind = ParamKind::kFloat, .low = 0.0, .high = 1.0});
  ExpectInvalid(SplitSpace(s, 3).status(), "subspaces");
  ExpectInvalid(SplitSpace(s, 1).status(), "subspaces");
  ExpectInvalid(SplitSpace(s, 0).status(), "power of two");
  auto too_many = SplitSpace(s, 8).status();
  ExpectInvalid(too_many, "subspaces");
  ExpectInvalid(too_many, "x, y");
  ExpectInvalid(SplitSpace(s, 2, 1.0).status(), "overlap");
  ExpectInvalid(SplitSpace(s, 2, -0.1).status(), "overlap");
  ExpectInvalid(SplitSpace(s, 2, NAN).status(), "overlap");
  EXPECT_TRUE(SplitSpace(s, 4, 0.0).ok());
}

}  // namespace
}  // namespace cairn

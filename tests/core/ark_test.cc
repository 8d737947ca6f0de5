#include "cairn/ark.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(ArkTest, NoidCheckCharacterOfTheReferenceExample) {
  // The worked example of the NOID documentation: 13030/xf93gt2 -> q.
  EXPECT_EQ(NoidCheckChar("13030/xf93gt2"), 'q');
}

TEST(ArkTest, MintedIdentifiersValidateAndAreStable) {
  ArkOptions options;
  std::string a = MintStudyArk(options, "digits|1700000000|nonce");
  EXPECT_EQ(a.rfind("ark:/99999/fk4", 0), 0u) << a;
  EXPECT_EQ(a.size(), std::string("ark:/99999/fk4").size() + 8 + 1);
  EXPECT_TRUE(ValidateArk(a).ok());
  EXPECT_EQ(a, MintStudyArk(options, "digits|1700000000|nonce"));
  EXPECT_NE(a, MintStudyArk(options, "digits|1700000001|nonce"));
  EXPECT_TRUE(ValidateArk(TrialArk(a, 7)).ok());
  EXPECT_EQ(TrialArk(a, 7), a + "/t7");
}

TEST(ArkTest, CheckCharacterCatchesTyposAndSwaps) {
  std::string a = MintStudyArk({}, "x");
  std::string typo = a;
  typo[a.size() - 3] = typo[a.size() - 3] == 'b' ? 'c' : 'b';
  EXPECT_FALSE(ValidateArk(typo).ok());
  std::string swapped = a;
  std::swap(swapped[a.size() - 3], swapped[a.size() - 2]);
  if (swapped != a) {
    EXPECT_FALSE(ValidateArk(swapped).ok());
  }
  EXPECT_FALSE(ValidateArk("doi:10.1/x").ok());
  EXPECT_FALSE(ValidateArk("ark:/99999").ok());
}

TEST(ArkTest, NaanAndShoulderAreConfigurable) {
  ArkOptions options{.naan = "12345", .shoulder = "c9"};
  std::string a = MintStudyArk(options, "s");
  EXPECT_EQ(a.rfind("ark:/12345/c9", 0), 0u);
  EXPECT_TRUE(ValidateArk(a).ok());
}

}  // namespace
}  // namespace cairn

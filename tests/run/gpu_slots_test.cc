#include "cairn/gpu_slots.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>

namespace cairn {
namespace {

using Ids = std::vector<std::string>;

TEST(GpuSlotsTest, CpuTrialsGetNoDevice) {
  GpuSlots slots({"0"});
  auto ids = slots.Acquire(0);
  ASSERT_TRUE(ids.has_value());
  EXPECT_TRUE(ids->empty());
  EXPECT_EQ(slots.Capacity(0), INT_MAX);
  EXPECT_EQ(*slots.Used("0"), 0.0);
}

TEST(GpuSlotsTest, QuartersFillOneDeviceBeforeTheNext) {
  GpuSlots slots({"0", "1"});
  EXPECT_EQ(slots.Capacity(0.25), 8);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(slots.Acquire(0.25), Ids{"0"}) << i;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(slots.Acquire(0.25), Ids{"1"}) << i;
  EXPECT_FALSE(slots.Acquire(0.25).has_value());
  EXPECT_EQ(slots.Available(0.25), 0);
  slots.Release({"1"}, 0.25);
  EXPECT_EQ(slots.Available(0.25), 1);
  EXPECT_EQ(slots.Acquire(0.25), Ids{"1"});
}

TEST(GpuSlotsTest, MixedFractionsUseBestFit) {
  GpuSlots slots({"0", "1"});
  EXPECT_EQ(slots.Acquire(0.5), Ids{"0"});   // 0: 0.5
  EXPECT_EQ(slots.Acquire(0.25), Ids{"0"});  // best fit: 0 has less room -> 0.75
  EXPECT_EQ(slots.Acquire(0.5), Ids{"1"});   // does not fit on 0 -> 1: 0.5
  EXPECT_EQ(slots.Acquire(0.25), Ids{"0"});  // 0 has 0.25 left, the tightest fit -> 1.0
  EXPECT_EQ(slots.Acquire(0.25), Ids{"1"});  // 1: 0.75
  EXPECT_FALSE(slots.Acquire(0.5).has_value());
  EXPECT_EQ(slots.Available(0.25), 1);
  EXPECT_DOUBLE_EQ(*slots.Used("0"), 1.0);
  EXPECT_DOUBLE_EQ(*slots.Used("1"), 0.75);
}

TEST(GpuSlotsTest, ThirdsAddUpToOneDevice) {
  GpuSlots slots({"a"});
  EXPECT_EQ(slots.Capacity(1.0 / 3), 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(slots.Acquire(1.0 / 3).has_value()) << i;
  EXPECT_FALSE(slots.Acquire(1.0 / 3).has_value());
  for (int i = 0; i < 3; ++i) slots.Release({"a"}, 1.0 / 3);
  EXPECT_EQ(*slots.Used("a"), 0.0);
  EXPECT_EQ(slots.Acquire(1), Ids{"a"});
}

TEST(GpuSlotsTest, WholeDevicesNeedFullyFreeOnes) {
  GpuSlots slots({"0", "1", "2", "3"});
  EXPECT_EQ(slots.Capacity(2), 2);
  EXPECT_EQ(slots.Acquire(0.5), Ids{"0"});
  EXPECT_EQ(slots.Acquire(2), (Ids{"1", "2"}));
  EXPECT_FALSE(slots.Acquire(2).has_value());  // only 3 is fully free
  EXPECT_EQ(slots.Acquire(1), Ids{"3"});
  EXPECT_EQ(slots.Acquire(0.5), Ids{"0"});     // fractions still fit on 0
  slots.Release({"1", "2"}, 2);
  EXPECT_EQ(slots.Available(1), 2);
  EXPECT_EQ(slots.Acquire(2), (Ids{"1", "2"}));
}

TEST(GpuSlotsTest, InvalidRequests) {
  GpuSlots slots({"0", "1"});
  EXPECT_FALSE(slots.Validate(1.5).ok());
  EXPECT_FALSE(slots.Validate(-1).ok());
  EXPECT_FALSE(slots.Validate(3).ok());
  EXPECT_FALSE(slots.Validate(NAN).ok());
  EXPECT_NE(slots.Validate(1.5).message().find("1.5"), std::string::npos);
  EXPECT_FALSE(slots.Acquire(1.5).has_value());
  EXPECT_FALSE(slots.Acquire(3).has_value());
  EXPECT_EQ(slots.Capacity(1.5), 0);
  GpuSlots none({});
  EXPECT_FALSE(none.Acquire(0.5).has_value());
  EXPECT_TRUE(none.Acquire(0).has_value());
}

TEST(GpuSlotsTest, ReleaseIsForgiving) {
  GpuSlots slots({"0", "0", "1"});
  EXPECT_EQ(slots.device_ids(), (Ids{"0", "1"}));
  slots.Release({"0", "nope"}, 1);
  EXPECT_EQ(*slots.Used("0"), 0.0);
  EXPECT_FALSE(slots.Used("nope").has_value());
}

TEST(ParseCudaVisibleDevicesTest, Forms) {
  EXPECT_FALSE(ParseCudaVisibleDevices(nullptr).has_value());
  EXPECT_EQ(ParseCudaVisibleDevices(""), Ids{});
  EXPECT_EQ(ParseCudaVisibleDevices("0,1"), (Ids{"0", "1"}));
  EXPECT_EQ(ParseCudaVisibleDevices(" 2 , 3 "), (Ids{"2", "3"}));
  EXPECT_EQ(ParseCudaVisibleDevices("GPU-8a1b,GPU-77"), (Ids{"GPU-8a1b", "GPU-77"}));
  EXPECT_EQ(ParseCudaVisibleDevices("0,-1,1"), Ids{"0"});
  EXPECT_EQ(ParseCudaVisibleDevices("1,,2"), Ids{"1"});
}

}  // namespace
}  // namespace cairn

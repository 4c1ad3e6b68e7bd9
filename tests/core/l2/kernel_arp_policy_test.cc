// The arp_ignore / arp_announce verdict: effective value = max(all, interface), only
// arp_ignore 1, 2, 8 and arp_announce 2 are safe (net/ipv4/arp.c), and the fix names the
// settings that actually make max(all, interface) safe.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/l2/kernel_arp_policy.h"

namespace lbd::l2 {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(KernelArpPolicy, DefaultsAnswerAndAnnounce) {
  auto v = judgeKernelArp("eth0", {0, 0}, {0, 0});
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(v.kernel_may_answer);
  EXPECT_TRUE(v.kernel_may_announce);
  EXPECT_EQ(v.interface, "eth0");
  EXPECT_THAT(v.message, HasSubstr("arp_ignore=0 (max of all=0, eth0=0)"));
  EXPECT_THAT(v.message, HasSubstr("strictARP: true"));
  EXPECT_THAT(
      v.message,
      HasSubstr("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2"));
}

TEST(KernelArpPolicy, StrictArpIsFine) {
  auto v = judgeKernelArp("eth0", {1, 2}, {0, 0});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.effective_arp_ignore, 1);
  EXPECT_EQ(v.effective_arp_announce, 2);
  EXPECT_TRUE(v.message.empty());
}

TEST(KernelArpPolicy, EffectiveValueIsTheMaxOfAllAndTheInterface) {
  auto v = judgeKernelArp("eth0", {0, 0}, {1, 2});  // set on the interface only
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.effective_arp_ignore, 1);
  EXPECT_EQ(v.effective_arp_announce, 2);
}

TEST(KernelArpPolicy, ArpIgnoreModes) {
  for (int mode : {0, 3, 4, 5, 6, 7, 9}) {
    EXPECT_TRUE(judgeKernelArp("eth0", {mode, 2}, {0, 2}).kernel_may_answer) << mode;
  }
  for (int mode : {1, 2, 8}) {
    EXPECT_FALSE(judgeKernelArp("eth0", {mode, 2}, {0, 2}).kernel_may_answer) << mode;
  }
}

TEST(KernelArpPolicy, ArpAnnounceOnlyTwoAvoidsOtherAddresses) {
  EXPECT_TRUE(judgeKernelArp("eth0", {1, 0}, {1, 0}).kernel_may_announce);
  EXPECT_TRUE(judgeKernelArp("eth0", {1, 1}, {1, 0}).kernel_may_announce);
  EXPECT_FALSE(judgeKernelArp("eth0", {1, 2}, {1, 0}).kernel_may_announce);
  EXPECT_TRUE(judgeKernelArp("eth0", {1, 3}, {1, 0}).kernel_may_announce);  // "default:" = 0
}

TEST(KernelArpPolicy, OnlyAnnounceWrong) {
  auto v = judgeKernelArp("eth0", {1, 0}, {0, 0});
  EXPECT_FALSE(v.kernel_may_answer);
  EXPECT_TRUE(v.kernel_may_announce);
  EXPECT_THAT(v.message, Not(HasSubstr("arp_ignore")));
  EXPECT_THAT(v.message, HasSubstr("sysctl -w net.ipv4.conf.all.arp_announce=2 "));
}

TEST(KernelArpPolicy, InterfaceValueTooHighNeedsTheInterfaceKey) {
  // all=1 is right, but eth0=3 wins the max: strictARP (all only) cannot fix that.
  auto v = judgeKernelArp("eth0", {1, 2}, {3, 2});
  EXPECT_TRUE(v.kernel_may_answer);
  EXPECT_EQ(v.effective_arp_ignore, 3);
  EXPECT_THAT(v.message, HasSubstr("sysctl -w net.ipv4.conf.eth0.arp_ignore=1 "));
  EXPECT_THAT(v.message, Not(HasSubstr("strictARP")));
}

TEST(KernelArpPolicy, BothKeysWhenBothAreWrong) {
  auto v = judgeKernelArp("eth0", {0, 2}, {3, 2});
  EXPECT_THAT(
      v.message,
      HasSubstr("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1"));
}

TEST(KernelArpPolicy, AllZeroInterfaceSafeNeedsOnlyAll) {
  // max(1, 2) = 2 is safe: setting all=1 is enough.
  auto v = judgeKernelArp("eth0", {0, 2}, {2, 2});
  EXPECT_FALSE(v.kernel_may_answer);
  auto w = judgeKernelArp("eth0", {3, 2}, {0, 2});
  EXPECT_THAT(w.message, HasSubstr("sysctl -w net.ipv4.conf.all.arp_ignore=1 ("));
}

TEST(KernelArpPolicy, VlanInterfaceNameIsSpelledWithSlashForSysctl) {
  auto v = judgeKernelArp("eth0.100", {1, 2}, {4, 2});
  EXPECT_THAT(v.message, HasSubstr("net.ipv4.conf.eth0/100.arp_ignore=1"));
  EXPECT_THAT(v.message, HasSubstr("eth0.100=4"));
}

}  // namespace
}  // namespace lbd::l2

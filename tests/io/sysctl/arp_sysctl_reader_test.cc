// Reading net.ipv4.conf.{all,IFACE}.arp_ignore/arp_announce from a /proc/sys-shaped tree:
// values, the missing-interface and malformed cases, and names that must not escape conf/.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/sysctl/arp_sysctl_reader.h"

namespace lbd::sysctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ArpSysctlReader : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("lbd-sysctl-test-" + std::to_string(getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& conf, const std::string& name, const std::string& text) {
    const auto dir = root_ / "net/ipv4/conf" / conf;
    fs::create_directories(dir);
    std::ofstream(dir / name) << text;
  }
  void conf(const std::string& name, int ignore, int announce) {
    write(name, "arp_ignore", std::to_string(ignore) + "\n");
    write(name, "arp_announce", std::to_string(announce) + "\n");
  }

  fs::path root_;
};

TEST_F(ArpSysctlReader, ReadsBothValues) {
  conf("eth0", 1, 2);
  auto values = readArpSysctls("eth0", root_);
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ(*values, (l2::ArpSysctls{1, 2}));
}

TEST_F(ArpSysctlReader, VerdictCombinesAllAndTheInterface) {
  conf("all", 0, 2);
  conf("eth0", 1, 0);
  auto verdict = checkKernelArp("eth0", root_);
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_TRUE(verdict->ok());
  EXPECT_EQ(verdict->effective_arp_ignore, 1);
  EXPECT_EQ(verdict->effective_arp_announce, 2);

  conf("eth0", 0, 0);
  verdict = checkKernelArp("eth0", root_);
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->kernel_may_answer);
  EXPECT_FALSE(verdict->kernel_may_announce);
}

TEST_F(ArpSysctlReader, VlanNamesWithDotsAreDirectoriesAsIs) {
  conf("all", 0, 0);
  conf("eth0.100", 1, 2);
  auto verdict = checkKernelArp("eth0.100", root_);
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_TRUE(verdict->ok());
}

TEST_F(ArpSysctlReader, MissingInterface) {
  conf("all", 1, 2);
  auto verdict = checkKernelArp("eth9", root_);
  ASSERT_FALSE(verdict.ok());
  EXPECT_THAT(verdict.error().message, HasSubstr("no IPv4 settings for eth9"));
}

TEST_F(ArpSysctlReader, MalformedValue) {
  conf("eth0", 1, 2);
  write("eth0", "arp_ignore", "one\n");
  auto values = readArpSysctls("eth0", root_);
  ASSERT_FALSE(values.ok());
  EXPECT_THAT(values.error().message, HasSubstr("holds \"one\", not an integer"));
  write("eth0", "arp_ignore", "");
  EXPECT_FALSE(readArpSysctls("eth0", root_).ok());
  write("eth0", "arp_ignore", "1 2");
  EXPECT_FALSE(readArpSysctls("eth0", root_).ok());
}

TEST_F(ArpSysctlReader, MissingFile) {
  write("eth0", "arp_ignore", "1\n");
  auto values = readArpSysctls("eth0", root_);
  ASSERT_FALSE(values.ok());
  EXPECT_THAT(values.error().message, HasSubstr("arp_announce"));
}

TEST_F(ArpSysctlReader, NamesThatCouldEscapeAreRefused) {
  conf("all", 1, 2);
  for (const char* name : {"", ".", "..", "../../x", "a/b", "sixteen-chars-xx"}) {
    auto values = readArpSysctls(name, root_);
    ASSERT_FALSE(values.ok()) << name;
    EXPECT_THAT(values.error().message, HasSubstr("is not an interface name")) << name;
  }
  EXPECT_FALSE(checkKernelArp("all", root_).ok());
  EXPECT_FALSE(checkKernelArp("default", root_).ok());
}

}  // namespace
}  // namespace lbd::sysctl

// The ARP sysctl verdict against the kernel's real behaviour. In a private network namespace,
// an address sits on a NOARP, down interface (standing in for kube-proxy IPVS's kube-ipvs0);
// a peer namespace asks, over a veth pair, who has it. With the verdict "kernel may answer"
// the kernel must answer; after the fix the verdict names, it must not. Needs root and
// iputils arping.

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "../../support/network_namespace.h"
#include "io/sysctl/arp_sysctl_reader.h"

namespace lbd::sysctl {
namespace {

using lbd::testing::run;

void writeSysctl(const std::string& key, int value) {
  // Inside our own namespace: /proc/sys/net is the namespace's, the host's stays untouched.
  std::ofstream("/proc/sys/net/ipv4/conf/" + key) << value << "\n";
}

class KernelArpNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto error = lbd::testing::enterPrivateNetworkNamespace();
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_TRUE(peer_.ok()) << "cannot create the peer namespace";
    ASSERT_EQ(run("command -v arping >/dev/null"), 0) << "needs arping (iputils-arping)";
    sh("ip link add lbdnl0a type veth peer name lbdnl0b netns " + peer_.pid());
    sh("ip addr add 192.0.2.1/24 dev lbdnl0a");
    sh("ip link set lbdnl0a up");
    ASSERT_EQ(peer_.run("ip link set lo up && ip addr add 192.0.2.2/24 dev lbdnl0b && "
                        "ip link set lbdnl0b up"),
              0);
    // kube-ipvs0 is a NOARP dummy, left down, holding every VIP as /32. The dummy module is
    // not everywhere; a bridge with ARP off is the same to this question.
    sh("ip link add lbdnlipvs type bridge");
    sh("ip link set dev lbdnlipvs arp off");
    sh("ip addr add 192.0.2.100/32 dev lbdnlipvs");
  }

  void sh(const std::string& command) { ASSERT_EQ(run(command), 0) << command; }

  // True when a "who-has 192.0.2.100" from the peer gets a reply within a second.
  bool peerGetsAnArpReply() { return peer_.run("arping -q -c 1 -w 1 -I lbdnl0b 192.0.2.100") == 0; }

  lbd::testing::PeerNamespace peer_;
};

TEST_F(KernelArpNetns, VerdictMatchesWhatTheKernelAnswers) {
  writeSysctl("all/arp_ignore", 0);
  writeSysctl("all/arp_announce", 0);
  writeSysctl("lbdnl0a/arp_ignore", 0);
  writeSysctl("lbdnl0a/arp_announce", 0);
  auto verdict = checkKernelArp("lbdnl0a");
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_TRUE(verdict->kernel_may_answer);
  EXPECT_TRUE(peerGetsAnArpReply()) << "arp_ignore=0: the kernel answers for kube-ipvs0's VIP";

  // The fix the verdict proposes (kube-proxy strictARP writes the same two values).
  writeSysctl("all/arp_ignore", 1);
  writeSysctl("all/arp_announce", 2);
  verdict = checkKernelArp("lbdnl0a");
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->ok()) << verdict->message;
  EXPECT_FALSE(peerGetsAnArpReply()) << "arp_ignore=1: only lbd may answer";
}

// arp_ignore=3 sounds stricter, but the kernel still answers for a global address configured
// on another interface (net/ipv4/arp.c passes no device for mode 3).
TEST_F(KernelArpNetns, ModeThreeStillAnswersForOtherInterfaces) {
  writeSysctl("all/arp_ignore", 0);
  writeSysctl("lbdnl0a/arp_ignore", 3);
  auto verdict = checkKernelArp("lbdnl0a");
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->effective_arp_ignore, 3);
  EXPECT_TRUE(verdict->kernel_may_answer);
  EXPECT_TRUE(peerGetsAnArpReply());
}

// The interface's own value counts as much as "all": max(all, interface).
TEST_F(KernelArpNetns, InterfaceValueAloneIsEnough) {
  writeSysctl("all/arp_ignore", 0);
  writeSysctl("lbdnl0a/arp_ignore", 1);
  auto verdict = checkKernelArp("lbdnl0a");
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_FALSE(verdict->kernel_may_answer);
  EXPECT_FALSE(peerGetsAnArpReply());
}

// Control for the tests above: the peer does get replies for the interface's own address, so
// a missing reply is arp_ignore at work, not a broken lab.
TEST_F(KernelArpNetns, OwnAddressIsAlwaysAnswered) {
  writeSysctl("all/arp_ignore", 1);
  EXPECT_EQ(peer_.run("arping -q -c 1 -w 1 -I lbdnl0b 192.0.2.1"), 0);
}

}  // namespace
}  // namespace lbd::sysctl

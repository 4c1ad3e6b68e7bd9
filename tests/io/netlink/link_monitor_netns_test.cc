// LinkMonitor against the real kernel, each test in its own network namespace (see
// tests/support/network_namespace.h): changes made with `ip` arrive as the right events on
// the caller's io_context, the table matches what the kernel reports, and an overrun socket is
// recovered by a re-dump. Interfaces are veth pairs and bridges named lbdnl*; addresses come
// from 192.0.2.0/24 and 2001:db8::/64. Needs root.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "../../support/network_namespace.h"
#include "core/l2/announce_interfaces.h"
#include "io/netlink/link_monitor.h"

namespace lbd::netlink {
namespace {

using namespace std::chrono_literals;
using l2::InterfaceChange;
using lbd::testing::run;

l2::InterfaceAddress addr(const std::string& text) {
  const auto slash = text.find('/');
  return {IpAddress::parse(text.substr(0, slash)).value(),
          static_cast<unsigned>(std::stoul(text.substr(slash + 1)))};
}

class LinkMonitorNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto error = lbd::testing::enterPrivateNetworkNamespace();
    ASSERT_TRUE(error.empty()) << error;
  }

  void sh(const std::string& command) { ASSERT_EQ(run(command), 0) << command; }

  // A veth pair with fixed MACs, both ends down.
  void vethPair() {
    sh("ip link add lbdnl0a address 02:00:00:00:00:0a type veth peer name lbdnl0b "
       "address 02:00:00:00:00:0b");
  }

  LinkMonitor& startMonitor(LinkMonitorOptions options = {}) {
    monitor_ = std::make_unique<LinkMonitor>(
        io_,
        [this](const l2::InterfaceTable& table, const std::vector<l2::InterfaceEvent>& events) {
          ++callbacks_;
          last_table_ = table;
          events_.insert(events_.end(), events.begin(), events.end());
        },
        [this](const Error& error) { errors_.push_back(error.message); }, options);
    auto started = monitor_->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    EXPECT_TRUE(runUntil([&] { return callbacks_ > 0; })) << "no initial table";
    return *monitor_;
  }

  // Polls the io_context (never blocking longer than 10 ms) until `done` or the timeout.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(10ms);
      if (io_.stopped()) io_.restart();
    }
    return true;
  }

  bool sawEvent(InterfaceChange change, const std::string& name) const {
    for (const auto& e : events_)
      if (e.change == change && e.name == name) return true;
    return false;
  }

  bool waitForEvent(InterfaceChange change, const std::string& name) {
    return runUntil([&] { return sawEvent(change, name); });
  }

  const l2::Interface* current(const std::string& name) const {
    return monitor_->table().findByName(name);
  }

  std::string eventLog() const {
    std::string log;
    for (const auto& e : events_)
      log += "\n  " + e.toString();
    return log;
  }

  boost::asio::io_context io_;
  std::unique_ptr<LinkMonitor> monitor_;
  int callbacks_ = 0;
  l2::InterfaceTable last_table_;
  std::vector<l2::InterfaceEvent> events_;
  std::vector<std::string> errors_;
};

TEST_F(LinkMonitorNetns, InitialDumpReportsEveryInterfaceWithItsAddresses) {
  vethPair();
  sh("ip addr add 192.0.2.1/24 dev lbdnl0a");
  sh("ip addr add 2001:db8::1/64 dev lbdnl0a nodad");
  sh("ip addr add 192.0.2.9/32 dev lbdnl0a");
  auto& monitor = startMonitor();
  EXPECT_TRUE(monitor.synchronized());
  EXPECT_EQ(callbacks_, 1);
  // lo, lbdnl0a, lbdnl0b: one Added each, nothing else.
  ASSERT_EQ(events_.size(), 3u) << eventLog();
  for (const auto& e : events_)
    EXPECT_EQ(e.change, InterfaceChange::Added) << e.toString();

  const auto* a = current("lbdnl0a");
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->mac.has_value());
  EXPECT_EQ(l2::toString(*a->mac), "02:00:00:00:00:0a");
  EXPECT_FALSE(a->admin_up);
  EXPECT_TRUE(a->canResolveNeighbours());
  EXPECT_EQ(a->mtu, 1500u);
  EXPECT_EQ(a->addresses,
            (std::vector{addr("192.0.2.1/24"), addr("192.0.2.9/32"), addr("2001:db8::1/64")}));
  const auto* lo = current("lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_TRUE(lo->loopback);
  EXPECT_TRUE(lo->isUp());
  EXPECT_EQ(lo->addresses, (std::vector{addr("127.0.0.1/8"), addr("::1/128")}));
  EXPECT_EQ(last_table_, monitor.table());
  EXPECT_TRUE(errors_.empty());
}

TEST_F(LinkMonitorNetns, AddressesAddedAndRemoved) {
  vethPair();
  startMonitor();
  sh("ip addr add 192.0.2.1/24 dev lbdnl0a");
  ASSERT_TRUE(waitForEvent(InterfaceChange::AddressesChanged, "lbdnl0a")) << eventLog();
  EXPECT_EQ(events_.back().added_addresses, std::vector{addr("192.0.2.1/24")});
  EXPECT_TRUE(events_.back().removed_addresses.empty());

  events_.clear();
  sh("ip addr add 2001:db8::1/128 dev lbdnl0a nodad");
  ASSERT_TRUE(waitForEvent(InterfaceChange::AddressesChanged, "lbdnl0a")) << eventLog();
  EXPECT_EQ(events_.back().added_addresses, std::vector{addr("2001:db8::1/128")});

  events_.clear();
  sh("ip addr del 192.0.2.1/24 dev lbdnl0a");
  ASSERT_TRUE(waitForEvent(InterfaceChange::AddressesChanged, "lbdnl0a")) << eventLog();
  EXPECT_EQ(events_.back().removed_addresses, std::vector{addr("192.0.2.1/24")});
  EXPECT_EQ(current("lbdnl0a")->addresses, std::vector{addr("2001:db8::1/128")});
}

TEST_F(LinkMonitorNetns, MacChange) {
  vethPair();
  startMonitor();
  sh("ip link set dev lbdnl0a address 02:00:00:00:01:0a");
  ASSERT_TRUE(waitForEvent(InterfaceChange::MacChanged, "lbdnl0a")) << eventLog();
  EXPECT_EQ(l2::toString(*current("lbdnl0a")->mac), "02:00:00:00:01:0a");
  EXPECT_FALSE(sawEvent(InterfaceChange::MacChanged, "lbdnl0b"));
}

TEST_F(LinkMonitorNetns, AdminUpAndDown) {
  vethPair();
  sh("ip link set lbdnl0b up");
  startMonitor();
  sh("ip link set lbdnl0a up");
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentUp, "lbdnl0a")) << eventLog();
  EXPECT_TRUE(current("lbdnl0a")->isUp());
  EXPECT_TRUE(current("lbdnl0a")->carrier);
  EXPECT_EQ(current("lbdnl0a")->oper_state, l2::OperState::Up);

  events_.clear();
  sh("ip link set lbdnl0a down");
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentDown, "lbdnl0a")) << eventLog();
  EXPECT_FALSE(current("lbdnl0a")->admin_up);
  // The peer lost its carrier with it.
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentDown, "lbdnl0b")) << eventLog();
  EXPECT_TRUE(current("lbdnl0b")->admin_up);
  EXPECT_FALSE(current("lbdnl0b")->carrier);
}

TEST_F(LinkMonitorNetns, CarrierLossWhenTheVethPeerGoesDown) {
  vethPair();
  sh("ip link set lbdnl0a up");
  sh("ip link set lbdnl0b up");
  startMonitor();
  ASSERT_TRUE(runUntil([&] { return current("lbdnl0a") && current("lbdnl0a")->isUp(); }));

  events_.clear();
  sh("ip link set lbdnl0b down");
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentDown, "lbdnl0a")) << eventLog();
  const auto* a = current("lbdnl0a");
  EXPECT_TRUE(a->admin_up) << "still admin up: only the carrier went";
  EXPECT_FALSE(a->carrier);
  EXPECT_FALSE(a->running);
  EXPECT_EQ(a->oper_state, l2::OperState::LowerLayerDown);

  events_.clear();
  sh("ip link set lbdnl0b up");
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentUp, "lbdnl0a")) << eventLog();
  EXPECT_TRUE(current("lbdnl0a")->carrier);
}

TEST_F(LinkMonitorNetns, DeletingAVethRemovesBothEnds) {
  vethPair();
  sh("ip addr add 192.0.2.1/24 dev lbdnl0a");
  startMonitor();
  const auto ifindex = current("lbdnl0a")->ifindex;
  sh("ip link del lbdnl0a");
  ASSERT_TRUE(waitForEvent(InterfaceChange::Removed, "lbdnl0a")) << eventLog();
  ASSERT_TRUE(waitForEvent(InterfaceChange::Removed, "lbdnl0b")) << eventLog();
  EXPECT_EQ(monitor_->table().find(ifindex), nullptr);
  EXPECT_EQ(monitor_->table().size(), 1u);  // lo
}

TEST_F(LinkMonitorNetns, Rename) {
  vethPair();
  startMonitor();
  sh("ip link set lbdnl0a name lbdnl0x");
  ASSERT_TRUE(waitForEvent(InterfaceChange::Renamed, "lbdnl0x")) << eventLog();
  EXPECT_EQ(events_.back().old_name, "lbdnl0a");
  EXPECT_EQ(current("lbdnl0a"), nullptr);
  EXPECT_NE(current("lbdnl0x"), nullptr);
}

// The kernel sends RTM_DELLINK (family AF_BRIDGE) when a port leaves a bridge; the port stays.
// The bridge itself is an interface like any other.
TEST_F(LinkMonitorNetns, LeavingABridgeIsNotRemoval) {
  vethPair();
  sh("ip link add lbdnlbr type bridge");
  sh("ip addr add 192.0.2.1/24 dev lbdnlbr");
  sh("ip addr add 198.51.100.1/24 dev lbdnl0a");
  startMonitor();
  ASSERT_NE(current("lbdnlbr"), nullptr);
  EXPECT_EQ(current("lbdnlbr")->addresses, std::vector{addr("192.0.2.1/24")});
  sh("ip link set lbdnl0a master lbdnlbr");
  sh("ip link set lbdnl0a nomaster");
  // A marker on another interface: once it is in, the release messages were processed.
  sh("ip addr add 198.51.100.2/24 dev lbdnl0b");
  ASSERT_TRUE(runUntil([&] { return !current("lbdnl0b")->addresses.empty(); })) << eventLog();
  EXPECT_FALSE(sawEvent(InterfaceChange::Removed, "lbdnl0a")) << eventLog();
  ASSERT_NE(current("lbdnl0a"), nullptr);
  EXPECT_EQ(current("lbdnl0a")->addresses, std::vector{addr("198.51.100.1/24")})
      << "a removal and re-creation would have lost the address";
}

TEST_F(LinkMonitorNetns, MessagesThatChangeNothingProduceNoCallback) {
  vethPair();
  startMonitor();
  const int before = callbacks_;
  sh("ip link set dev lbdnl0a txqueuelen 2000");  // RTM_NEWLINK, nothing lbd tracks
  sh("ip link set dev lbdnl0a mtu 1400");         // a change, as a marker
  ASSERT_TRUE(runUntil([&] { return current("lbdnl0a")->mtu == 1400; })) << eventLog();
  EXPECT_EQ(callbacks_, before + 1);
}

TEST_F(LinkMonitorNetns, StopThenStartReportsOnlyWhatChangedMeanwhile) {
  vethPair();
  auto& monitor = startMonitor();
  monitor.stop();
  EXPECT_FALSE(monitor.synchronized());
  sh("ip addr add 192.0.2.1/24 dev lbdnl0b");
  io_.run_for(50ms);
  EXPECT_EQ(callbacks_, 1) << "no callback while stopped";

  events_.clear();
  ASSERT_TRUE(monitor.start().ok());
  ASSERT_TRUE(runUntil([&] { return !events_.empty(); }));
  ASSERT_EQ(events_.size(), 1u) << eventLog();
  EXPECT_EQ(events_[0].change, InterfaceChange::AddressesChanged);
  EXPECT_EQ(events_[0].name, "lbdnl0b");
}

// A receive buffer far too small for the burst below: the kernel drops notifications and
// reports ENOBUFS; the monitor re-dumps and ends with the exact table anyway.
TEST_F(LinkMonitorNetns, OverrunIsRecoveredByARedump) {
  vethPair();
  LinkMonitorOptions tiny;
  tiny.receive_buffer_bytes = 1;  // the kernel's minimum, a few messages
  auto& monitor = startMonitor(tiny);
  const std::string batch = "/tmp/lbdnl-overrun-" + std::to_string(getpid()) + ".batch";
  {
    std::ofstream out(batch);
    for (int i = 1; i <= 200; ++i)
      out << "addr add 192.0.2." << i << "/32 dev lbdnl0a\n";
  }
  // Queued without the loop running: nothing reads the socket while the burst arrives.
  sh("ip -batch " + batch);
  std::remove(batch.c_str());
  ASSERT_TRUE(runUntil([&] {
    return current("lbdnl0a") && current("lbdnl0a")->addresses.size() == 200;
  })) << "addresses seen: "
      << current("lbdnl0a")->addresses.size();
  EXPECT_GE(monitor.resyncs(), 1u);
  EXPECT_TRUE(monitor.synchronized());
  EXPECT_TRUE(errors_.empty());
  std::size_t added = 0;
  for (const auto& e : events_)
    added += e.added_addresses.size();
  EXPECT_EQ(added, 200u) << "every address reported once across the callbacks";
}

// After churn, the table kept from events equals a fresh dump by a second monitor.
TEST_F(LinkMonitorNetns, TableFromEventsEqualsAFreshDump) {
  auto& monitor = startMonitor();
  sh("ip link add lbdnl1a type veth peer name lbdnl1b");
  sh("ip link add lbdnl2a type veth peer name lbdnl2b");
  sh("ip addr add 192.0.2.1/24 dev lbdnl1a");
  sh("ip addr add 2001:db8::1/64 dev lbdnl1a nodad");
  sh("ip link set lbdnl1a up");
  sh("ip link set lbdnl1b up");
  sh("ip link set lbdnl2a address 02:00:00:00:02:0a");
  sh("ip link del lbdnl2a");
  sh("ip addr add 192.0.2.2/24 dev lbdnl1b");
  sh("ip addr del 192.0.2.1/24 dev lbdnl1a");
  sh("ip link set lbdnl1b name lbdnl1c");

  l2::InterfaceTable fresh;
  int fresh_callbacks = 0;
  LinkMonitor second(
      io_,
      [&](const l2::InterfaceTable& table, const std::vector<l2::InterfaceEvent>&) {
        fresh = table;
        ++fresh_callbacks;
      },
      [](const Error&) {});
  ASSERT_TRUE(second.start().ok());
  // Both tables settle (link-local addresses and carrier arrive asynchronously).
  ASSERT_TRUE(runUntil([&] { return fresh_callbacks > 0 && fresh == monitor.table(); }, 5s))
      << "fresh dump and event-kept table differ";
  EXPECT_EQ(monitor.table().findByName("lbdnl2a"), nullptr);
  ASSERT_NE(monitor.table().findByName("lbdnl1c"), nullptr);
  EXPECT_EQ(monitor.table().findByName("lbdnl1c")->addresses.front(), addr("192.0.2.2/24"));
}

// The kernel announces an address it created itself (link-local) only after DAD, but dumps it
// while tentative; a user's tentative address is announced at once. Both enter the table when
// usable, so the dumped and the event-kept table agree at every moment.
TEST_F(LinkMonitorNetns, Ipv6AddressesEnterTheTableWhenDuplicateAddressDetectionEnds) {
  vethPair();
  sh("ip link set lbdnl0b up");
  auto& monitor = startMonitor();
  sh("ip link set lbdnl0a up");
  sh("ip addr add 2001:db8::5/64 dev lbdnl0a");
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentUp, "lbdnl0a")) << eventLog();
  ASSERT_EQ(run("ip -6 addr show dev lbdnl0a tentative | grep -q 2001:db8::5"), 0)
      << "DAD is still running";
  EXPECT_FALSE(current("lbdnl0a")->hasAddress(IpAddress::parse("2001:db8::5").value()));

  ASSERT_TRUE(runUntil(
      [&] { return current("lbdnl0a")->hasAddress(IpAddress::parse("2001:db8::5").value()); }, 10s))
      << eventLog();
  EXPECT_EQ(run("ip -6 addr show dev lbdnl0a tentative | grep -q 2001:db8::5"), 1);
  // The link-local address came with it (or just before/after): wait for both to settle.
  ASSERT_TRUE(runUntil([&] { return current("lbdnl0a")->addresses.size() == 2; }, 5s))
      << eventLog();
  EXPECT_TRUE(current("lbdnl0a")->addresses[1].isIpv6LinkLocal());
  EXPECT_TRUE(monitor.synchronized());
}

// End to end with the core: the interface to answer a VIP on follows link state.
TEST_F(LinkMonitorNetns, AnnounceSelectionFollowsCarrier) {
  vethPair();
  sh("ip addr add 192.0.2.1/24 dev lbdnl0a");
  sh("ip link set lbdnl0a up");
  sh("ip link set lbdnl0b up");
  auto& monitor = startMonitor();
  const auto vip = IpAddress::parse("192.0.2.100").value();
  ASSERT_TRUE(
      runUntil([&] { return !l2::selectAnnounceInterfaces(monitor.table(), {}, vip).empty(); }));
  auto selection = l2::selectAnnounceInterfaces(monitor.table(), {}, vip);
  ASSERT_EQ(selection.interfaces.size(), 1u);
  EXPECT_EQ(selection.interfaces[0].name, "lbdnl0a");

  sh("ip link set lbdnl0b down");
  ASSERT_TRUE(waitForEvent(InterfaceChange::WentDown, "lbdnl0a")) << eventLog();
  selection = l2::selectAnnounceInterfaces(monitor.table(), {}, vip);
  EXPECT_TRUE(selection.empty());
  ASSERT_EQ(selection.skipped.size(), 1u);
  EXPECT_EQ(selection.skipped[0].toString(), "lbdnl0a: down");
}

}  // namespace
}  // namespace lbd::netlink

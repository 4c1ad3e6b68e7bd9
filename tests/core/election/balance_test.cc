// The balanced assignment of ownerless VIPs: least projected load first, then rendezvous; the
// spread it gives (30 over 3, 10,000 over 100, a crashed host's VIPs over the survivors), the
// same answer whichever host computes it, and pinned claims that change no other rank.

#include "core/election/balance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "core/election/rendezvous.h"
#include "election_test_support.h"

namespace lbd::election {
namespace {

using namespace testing;

std::vector<IpAddress> v4Range(std::uint32_t first, std::uint32_t count) {
  std::vector<IpAddress> out;
  for (std::uint32_t i = 0; i < count; ++i)
    out.push_back(IpAddress::v4(first + i));
  return out;
}

std::vector<std::string> nodes(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i)
    out.push_back("node-" + std::to_string(i));
  return out;
}

// Every host a candidate of every VIP, listed in `hosts`' order.
std::vector<BalanceItem> everyHost(const std::vector<IpAddress>& vips,
                                   const std::vector<std::string>& hosts) {
  std::vector<BalanceItem> items(vips.size());
  for (std::size_t i = 0; i < vips.size(); ++i) {
    for (std::size_t h = 0; h < hosts.size(); ++h)
      items[i].candidates.push_back({static_cast<HostId>(h), rendezvousWeight(vips[i], hosts[h])});
  }
  return items;
}

TEST(Balance, TheLeastLoadedCandidateFirstThenTheRendezvousOrder) {
  const std::vector<std::string> hosts = {"node-a", "node-b", "node-c"};
  const IpAddress vip = ip("192.0.2.10");
  auto items = everyHost({vip}, hosts);
  // Loads 2, 0, 1: b, then c, then a, whatever the weights.
  auto ranks = balance({2, 0, 1}, items, hosts, 0);
  EXPECT_EQ(ranks[0].first, 1u);
  EXPECT_EQ(ranks[0].self_rank, 2u);
  EXPECT_EQ(balance({2, 0, 1}, items, hosts, 2)[0].self_rank, 1u);
  // Equal loads: the rendezvous order.
  ranks = balance({4, 4, 4}, items, hosts, 0);
  EXPECT_EQ(hosts[ranks[0].first], rendezvousFirst(vip, hosts));
  EXPECT_EQ(ranks[0].self_rank, rendezvousRank(vip, "node-a", hosts));
  // Not a candidate: no rank; no candidates: nobody.
  items[0].candidates.erase(items[0].candidates.begin());
  EXPECT_EQ(balance({0, 0, 0}, items, hosts, 0)[0].self_rank, kNoHost);
  EXPECT_EQ(balance({0, 0, 0}, {BalanceItem{}}, hosts, 0)[0], BalanceRank{});
}

TEST(Balance, ThirtyVipsOverThreeHostsSplitTenTenTen) {
  const std::vector<std::string> hosts = {"node-a", "node-b", "node-c"};
  const auto vips = v4Range(0xC0000201u, 30);  // 192.0.2.1 .. 30: 5/17/8 by rendezvous alone
  const auto counts = countPerHost(balancedAssignment(vips, hosts), hosts);
  std::printf("30 VIPs over 3 hosts: %s\n", formatCounts(counts).c_str());
  EXPECT_TRUE(spreadWithin(counts, 30, 1));
  EXPECT_EQ(counts, (std::map<std::string, int>{{"node-a", 10}, {"node-b", 10}, {"node-c", 10}}));
}

TEST(Balance, TenThousandVipsOverAHundredHostsWithinOne) {
  // Rendezvous alone: 5 sigma = +-50 around 100 (rendezvous_test.cc).
  const auto& table = tenThousandVipsOverAHundredHosts();
  std::vector<BalanceItem> items(table.vips.size());
  for (std::size_t v = 0; v < table.vips.size(); ++v) {
    for (std::size_t h = 0; h < table.hosts.size(); ++h)
      items[v].candidates.push_back({static_cast<HostId>(h), table.weights[v][h]});
  }
  const auto ranks = balance(std::vector<std::uint32_t>(table.hosts.size(), 0), items, table.hosts);
  std::map<std::string, int> counts;
  for (const auto& rank : ranks)
    ++counts[table.hosts.at(rank.first)];
  ASSERT_EQ(counts.size(), 100u);
  const auto [low, high] =
      std::minmax_element(counts.begin(), counts.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; });
  std::printf("10,000 VIPs over 100 hosts: between %d and %d per host\n", low->second,
              high->second);
  EXPECT_TRUE(spreadWithin(counts, 10000, 1));
}

TEST(Balance, ACrashedHostsVipsSplitEvenlyOverTheSurvivors) {
  const std::vector<std::string> survivors = {"node-a", "node-c"};
  const auto orphans = v4Range(0xC0000201u, 10);
  const auto counts = countPerHost(
      balancedAssignment(orphans, survivors, {{"node-a", 10}, {"node-c", 10}}), survivors);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"node-a", 5}, {"node-c", 5}}));
  // Uneven survivors are evened out first.
  const auto refill = countPerHost(
      balancedAssignment(orphans, survivors, {{"node-a", 12}, {"node-c", 8}}), survivors);
  EXPECT_EQ(refill, (std::map<std::string, int>{{"node-a", 3}, {"node-c", 7}}));
}

TEST(Balance, EveryHostComputesTheSameAssignment) {
  // Each host interns names in the order it met them and lists candidates as its informer
  // filled: ids and order differ, the assignment by name does not.
  const auto vips = v4Range(0xC0000201u, 40);
  const std::vector<std::string> hosts = {"node-a", "node-b", "node-c", "node-d", "node-e"};
  const std::vector<std::uint32_t> loads = {3, 0, 1, 0, 2};
  std::map<IpAddress, std::string> reference;
  for (int variant = 0; variant < 5; ++variant) {
    std::vector<std::string> names = hosts;
    std::rotate(names.begin(), names.begin() + variant, names.end());
    std::reverse(names.begin(), names.begin() + variant % 3);
    std::vector<std::uint32_t> start(names.size());
    for (std::size_t h = 0; h < names.size(); ++h)
      start[h] = loads[std::find(hosts.begin(), hosts.end(), names[h]) - hosts.begin()];
    auto items = everyHost(vips, names);
    for (std::size_t i = 0; i < items.size(); ++i)
      std::rotate(items[i].candidates.begin(), items[i].candidates.begin() + i % 5,
                  items[i].candidates.end());
    const auto ranks = balance(start, items, names, static_cast<HostId>(variant));
    std::map<IpAddress, std::string> assignment;
    for (std::size_t i = 0; i < vips.size(); ++i)
      assignment[vips[i]] = names[ranks[i].first];
    if (variant == 0) {
      reference = assignment;
    } else {
      EXPECT_EQ(assignment, reference) << "variant " << variant;
    }
  }
}

TEST(Balance, TheRanksAreAStrictOrderWithTheAssignedHostFirst) {
  const auto hosts = nodes(4);
  const auto vips = v4Range(0xC0000201u, 20);
  const auto items = everyHost(vips, hosts);
  std::vector<std::vector<HostId>> ranks_of(vips.size());
  for (HostId self = 0; self < hosts.size(); ++self) {
    const auto ranks = balance({1, 0, 2, 0}, items, hosts, self);
    for (std::size_t i = 0; i < vips.size(); ++i) {
      EXPECT_EQ(ranks[i].self_rank == 0, ranks[i].first == self) << vips[i].toString();
      ranks_of[i].push_back(ranks[i].self_rank);
    }
  }
  for (auto& ranks : ranks_of) {
    std::sort(ranks.begin(), ranks.end());
    EXPECT_EQ(ranks, (std::vector<HostId>{0, 1, 2, 3}));
  }
}

TEST(Balance, AClaimPinnedWhereItWasGivenChangesNoOtherRank) {
  // The election relies on it: while a batch of claims lands one by one, the VIPs still
  // ownerless keep their ranks, so no host starts claiming what another is about to claim.
  const auto hosts = nodes(3);
  const auto vips = v4Range(0xC0000201u, 30);
  const auto items = everyHost(vips, hosts);
  const auto before = balance({0, 0, 0}, items, hosts, 1);
  auto landed = items;
  std::vector<std::uint32_t> counted_up_front = {0, 0, 0};
  for (std::size_t i = 0; i < vips.size(); i += 2) {
    landed[i].pinned = before[i].first;  // every other claim has landed
    landed[i].candidates.clear();
    ++counted_up_front[before[i].first];
  }
  const auto after = balance({0, 0, 0}, landed, hosts, 1);
  for (std::size_t i = 1; i < vips.size(); i += 2)
    EXPECT_EQ(after[i], before[i]) << vips[i].toString();
  // Counting the landed claims in the starting loads instead would move some of the rest:
  // that is why a fresh claim keeps its place in the order for lease-duration.
  auto without = landed;
  for (std::size_t i = 0; i < vips.size(); i += 2)
    without[i].pinned = kNoHost;
  const auto up_front = balance(counted_up_front, without, hosts, 1);
  int moved = 0;
  for (std::size_t i = 1; i < vips.size(); i += 2)
    moved += up_front[i].first != before[i].first;
  EXPECT_GT(moved, 0);
}

}  // namespace
}  // namespace lbd::election

// The assignment sequence MetalLB's allocator tests walk through (TestAssignment: taking,
// refusing, freeing and moving requested addresses, avoid-buggy-ips, and every way two Services
// may or may not share an address, including changing key, backend and ports in place),
// reproduced in our own words as one table, for IPv4 and for IPv6.

#include <gtest/gtest.h>

#include "core/ipam/allocator.h"
#include "ipam_test_support.h"

namespace lbd::ipam {
namespace {

using testing::pool;
using testing::ServiceBuilder;

struct Step {
  const char* what;
  const char* service;  // "" = release `release`
  const char* address;  // requested; nullptr: release the Service instead
  const char* sharing_key = "";
  const char* port = "TCP/80";
  const char* local_selector = "";  // externalTrafficPolicy Local with app=<this>
  const char* expected = "";        // the address it holds afterwards, or a failure reason
};

struct Family {
  const char* name;
  std::vector<Pool> pools;
  std::map<std::string, std::string> addresses;  // symbolic -> real
  bool buggy_steps;                              // .0/.255 exist only in IPv4
};

std::string run(Allocator& allocator, const Family& family, const Step& step) {
  const std::string key = std::string("default/") + step.service;
  if (step.address == nullptr) {
    allocator.release(key);
    return "released";
  }
  ServiceBuilder svc(step.service);
  if (family.name == std::string("IPv6")) svc.families({"IPv6"}, "SingleStack");
  svc.annotate("lbd.io/loadBalancerIPs", family.addresses.at(step.address));
  if (*step.sharing_key) svc.annotate("lbd.io/allow-shared-ip", step.sharing_key);
  if (*step.local_selector) svc.local({{"app", step.local_selector}});
  const std::string port = step.port;
  const auto slash = port.find('/');
  svc.ports({{"p", port.substr(0, slash), std::stoi(port.substr(slash + 1))}});
  auto result = allocator.assign(svc);
  if (!result) return std::string(toString(result.error().reason));
  return result.value().ips.front().toString();
}

std::string expectedText(const Family& family, const char* expected) {
  auto it = family.addresses.find(expected);
  return it == family.addresses.end() ? expected : it->second;
}

const std::vector<Step>& steps() {
  static const std::vector<Step> table = {
      {"s1 takes A", "s1", "A", "", "TCP/80", "", "A"},
      {"s1 asking again keeps A", "s1", "A", "", "TCP/80", "", "A"},
      {"s2 cannot take s1's A", "s2", "A", "", "TCP/80", "", "IPInUse"},
      {"s2 takes the other address B", "s2", "B", "", "TCP/80", "", "B"},
      {"s1 cannot take s2's B", "s1", "B", "", "TCP/80", "", "IPInUse"},
      {"s1 goes away", "s1", nullptr},
      {"s2 moves to the freed A", "s2", "A", "", "TCP/80", "", "A"},
      {"s1 takes s2's former B", "s1", "B", "", "TCP/80", "", "B"},
      {"s3 cannot have .0 (avoid-buggy-ips)", "s3", "ZERO", "", "TCP/80", "", "InvalidRequest"},
      {"s3 cannot have .255 (avoid-buggy-ips)", "s3", "BROADCAST", "", "TCP/80", "",
       "InvalidRequest"},
      {"s3 takes another address of that pool", "s3", "C", "", "TCP/80", "", "C"},
      {"s4 takes D with a sharing key", "s4", "D", "sharing", "TCP/80", "", "D"},
      {"s4 alone may change its key in place", "s4", "D", "share", "TCP/80", "", "D"},
      {"s3 cannot share D: same port", "s3", "D", "share", "TCP/80", "", "SharingConflict"},
      {"s3 cannot share D: other key", "s3", "D", "othershare", "TCP/443", "", "IPInUse"},
      {"s3 cannot share D: other backend", "s3", "D", "share", "TCP/443", "other",
       "SharingConflict"},
      {"s3 shares D: same key, backend, other port", "s3", "D", "share", "TCP/443", "", "D"},
      {"s3 changes its port in place", "s3", "D", "share", "UDP/53", "", "D"},
      {"s3 cannot change its key while sharing", "s3", "D", "othershare", "TCP/443", "", "IPInUse"},
      {"s3 cannot change its backend while sharing", "s3", "D", "share", "TCP/443", "other",
       "SharingConflict"},
      {"s4 takes C, which s3 gave up", "s4", "C", "", "TCP/80", "", "C"},
  };
  return table;
}

class MetalLbSequence : public ::testing::TestWithParam<Family> {};

TEST_P(MetalLbSequence, EveryStepAsMetalLbDecides) {
  const Family& family = GetParam();
  Allocator allocator(family.pools);
  for (const auto& step : steps()) {
    const bool buggy = step.address && (std::string(step.address) == "ZERO" ||
                                        step.address == std::string("BROADCAST"));
    if (buggy && !family.buggy_steps) continue;
    const std::string got = run(allocator, family, step);
    if (step.address == nullptr) continue;
    EXPECT_EQ(got, expectedText(family, step.expected)) << family.name << ": " << step.what;
  }
}

Pool buggyAvoiding(Pool p) {
  p.avoid_buggy_ips = true;
  return p;
}

INSTANTIATE_TEST_SUITE_P(
    Families, MetalLbSequence,
    ::testing::Values(
        Family{"IPv4",
               {pool("test", {"192.0.2.4/31"}), buggyAvoiding(pool("test2", {"198.51.100.0/24"}))},
               {{"A", "192.0.2.4"},
                {"B", "192.0.2.5"},
                {"ZERO", "198.51.100.0"},
                {"BROADCAST", "198.51.100.255"},
                {"C", "198.51.100.254"},
                {"D", "198.51.100.3"}},
               true},
        Family{"IPv6",
               {pool("test", {"2001:db8::4/127"}), pool("test2", {"2001:db8::4:0/120"})},
               {{"A", "2001:db8::4"},
                {"B", "2001:db8::5"},
                {"C", "2001:db8::4:ff"},
                {"D", "2001:db8::4:3"}},
               false}),
    [](const ::testing::TestParamInfo<Family>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace lbd::ipam

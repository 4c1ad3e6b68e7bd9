#include "core/config/config_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace lbd {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> problems(const std::vector<ConfigSource>& sources) {
  auto config = parseConfig(sources);
  if (config) return {};
  std::vector<std::string> lines;
  for (const auto& diagnostic : config.error())
    lines.push_back(diagnostic.toString());
  return lines;
}

std::vector<std::string> problems(const std::string& main_text) {
  return problems({ConfigSource{"lbd.toml", main_text, true}});
}

Config parse(const std::vector<ConfigSource>& sources) {
  auto config = parseConfig(sources);
  EXPECT_TRUE(config) << (config ? "" : toString(config.error()));
  return config.ok() ? std::move(config.value()) : Config{};
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One bad case per error class: input and the exact, complete list of messages.
struct ErrorCase {
  const char* name;
  const char* toml;
  std::vector<std::string> expected;
};

const ErrorCase kErrorCases[] = {
#include "error_cases.inc"
};

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, ReportsExactlyTheseProblems) {
  EXPECT_EQ(problems(GetParam().toml), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(EveryErrorClass, ConfigErrors, ::testing::ValuesIn(kErrorCases),
                         [](const auto& param_info) {
                           std::string name = param_info.param.name;
                           for (auto& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(ConfigParser, ResyncIntervalZeroTurnsItOff) {
  const Config config =
      parse({ConfigSource{"lbd.toml", "[kubernetes]\nresync-interval = \"0s\"\n", true}});
  EXPECT_EQ(config.kubernetes.resync_interval, 0s);
  EXPECT_EQ(problems("[kubernetes]\nresync-interval = \"10s\"\n"), std::vector<std::string>{});
}

TEST(ConfigParser, EmptyConfigGivesTheDocumentedDefaults) {
  const Config config = parse({ConfigSource{"lbd.toml", "", true}});
  EXPECT_TRUE(config.pools.empty());
  EXPECT_EQ(config.kubernetes.qps, 0.0);
  EXPECT_EQ(config.kubernetes.burst, 40u);
  EXPECT_EQ(config.kubernetes.max_requests_in_flight, 16u);
  EXPECT_EQ(config.kubernetes.load_balancer_class, "lbd.io/lbd");
  EXPECT_TRUE(config.kubernetes.default_class);
  EXPECT_EQ(config.kubernetes.resync_interval, 1h);
  EXPECT_FALSE(config.kubernetes.configured());
  EXPECT_EQ(config.election.lease_namespace, "lbd-system");
  EXPECT_EQ(config.election.lease_duration, 2s);
  EXPECT_EQ(config.election.renew_interval, 500ms);
  EXPECT_EQ(config.election.on_api_loss, OnApiLoss::Keep);
  EXPECT_EQ(config.l2.gratuitous_count, 3u);
  EXPECT_EQ(config.l2.gratuitous_interval, 1100ms);
  EXPECT_EQ(config.bgp.listen_port, 179);
  EXPECT_EQ(config.bgp.graceful_restart_time, 120s);
  EXPECT_EQ(config.bgp.graceful_shutdown_time, 2s);
  EXPECT_EQ(config.hash.size(), 64u);
}

TEST(ConfigParser, FullSampleEveryKey) {
  const Config config = parse(
      {ConfigSource{"lbd.toml", readFile(std::string(LBD_TEST_DATA) + "/config/full.toml"), true}});
  EXPECT_EQ(config.node.name, "worker-1.example");
  const auto& k = config.kubernetes;
  EXPECT_EQ(k.server, "https://192.0.2.10:6443");
  EXPECT_EQ(k.ca_file, "/etc/lbd/ca.crt");
  EXPECT_EQ(k.token_file, "/etc/lbd/token");
  EXPECT_EQ(k.client_cert_file, "/etc/lbd/c.crt");
  EXPECT_EQ(k.client_key_file, "/etc/lbd/c.key");
  EXPECT_EQ(k.qps, 5.5);
  EXPECT_EQ(k.burst, 10u);
  EXPECT_EQ(k.max_requests_in_flight, 8u);
  EXPECT_EQ(k.connect_timeout, 2s);
  EXPECT_EQ(k.request_timeout, 1min);
  EXPECT_EQ(k.resync_interval, 30min);
  EXPECT_EQ(k.load_balancer_class, "example.com/lb");
  EXPECT_FALSE(k.default_class);
  const auto& e = config.election;
  EXPECT_EQ(e.lease_namespace, "lb");
  EXPECT_EQ(e.lease_duration, 3s);
  EXPECT_EQ(e.renew_interval, 1s);
  EXPECT_EQ(e.claim_step, 50ms);
  EXPECT_EQ(e.allocator_lease_duration, 20s);
  EXPECT_EQ(e.allocator_renew_deadline, 15s);
  EXPECT_EQ(e.allocator_retry_period, 3s);
  EXPECT_EQ(e.on_api_loss, OnApiLoss::Withdraw);
  EXPECT_TRUE(e.fast_failover);
  EXPECT_EQ(e.fast_interval, 50ms);
  EXPECT_EQ(e.fast_misses, 4u);
  EXPECT_EQ(e.fast_port, 7000);
  EXPECT_EQ(e.fast_key_file, "/etc/lbd/fast.key");
  EXPECT_EQ(config.l2.gratuitous_count, 5u);
  EXPECT_EQ(config.l2.gratuitous_interval, 1500ms);
  EXPECT_EQ(config.l2.refresh_interval, 5min);
  EXPECT_EQ(config.bgp.asn, 65010u);
  EXPECT_EQ(config.bgp.router_id->toString(), "192.0.2.21");
  EXPECT_EQ(config.bgp.listen_port, 1179);
  EXPECT_EQ(config.bgp.graceful_restart_time, 300s);
  EXPECT_EQ(config.bgp.graceful_shutdown_time, 5s);

  ASSERT_EQ(config.pools.size(), 2u);
  const Pool& web = config.pools[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.mode, PoolMode::Layer2);
  EXPECT_EQ(
      web.address_texts,
      (std::vector<std::string>{"192.0.2.240/28", "192.0.2.100-192.0.2.110", "2001:db8:1::/120"}));
  EXPECT_EQ(web.addresses.size().toString(), std::to_string(16 + 11 + 256));
  EXPECT_FALSE(web.auto_assign);
  EXPECT_TRUE(web.avoid_buggy_ips);
  EXPECT_EQ(web.priority, -3);
  EXPECT_EQ(web.namespaces, (std::vector<std::string>{"default", "web"}));
  EXPECT_EQ(web.namespace_selector.toString(), "team=web");
  EXPECT_EQ(web.service_selector.toString(), "tier in (edge,frontend)");
  EXPECT_EQ(web.node_selector.toString(), "!edge");
  EXPECT_EQ(web.interfaces, (std::vector<std::string>{"eth0", "bond0.100"}));
  EXPECT_EQ(web.defined_at, (SourceLocation{"lbd.toml", 49, 1}));
  EXPECT_EQ(config.pools[1].mode, PoolMode::Bgp);

  ASSERT_EQ(config.bgp_peers.size(), 1u);
  const BgpPeer& peer = config.bgp_peers[0];
  EXPECT_EQ(peer.name, "tor1");
  EXPECT_EQ(peer.address.toString(), "192.0.2.1");
  EXPECT_EQ(peer.asn, 65000u);
  EXPECT_EQ(peer.local_asn, 65011u);
  EXPECT_EQ(peer.port, 1179);
  EXPECT_EQ(peer.source_address->toString(), "192.0.2.21");
  EXPECT_EQ(peer.hold_time, 9s);
  EXPECT_EQ(peer.keepalive_time, 3s);  // hold-time / 3 when only hold-time is given
  EXPECT_EQ(peer.connect_retry, 1s);
  EXPECT_EQ(peer.password_file, "/etc/lbd/tor1.key");
  EXPECT_EQ(peer.ebgp_multihop, 2);
  EXPECT_EQ(peer.families, (std::vector<AddressFamilyName>{AddressFamilyName::Ipv4Unicast,
                                                           AddressFamilyName::Ipv6Unicast}));
  EXPECT_EQ(peer.node_selector.toString(), "rack=r1");

  ASSERT_EQ(config.bgp_advertisements.size(), 1u);
  const BgpAdvertisement& ad = config.bgp_advertisements[0];
  EXPECT_EQ(ad.name, "edge");
  EXPECT_EQ(ad.pools, std::vector<std::string>{"edge"});
  EXPECT_EQ(ad.peers, std::vector<std::string>{"tor1"});
  EXPECT_EQ(ad.communities, (std::vector<std::string>{"65000:100", "no-export"}));
  EXPECT_EQ(ad.large_communities, std::vector<std::string>{"65000:1:2"});
  EXPECT_EQ(ad.local_pref, 200u);
  EXPECT_EQ(ad.aggregation_length_v4, 30);
  EXPECT_EQ(ad.aggregation_length_v6, 64);
}

TEST(ConfigParser, AllErrorsOfAllFilesAtOnceInSourceOrder) {
  const auto lines = problems({
      ConfigSource{"/etc/lbd/lbd.toml",
                   "[kubernetes]\nqps = \"fast\"\n[election]\nnamespace = \"LB\"\n", true},
      ConfigSource{"/etc/lbd/pools.d/a.toml",
                   "[[pool]]\nname = \"a\"\naddresses = [\"192.0.2.0/33\"]\n", false},
  });
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                "/etc/lbd/lbd.toml:2:7: kubernetes.qps: expected a number, got a string",
                "/etc/lbd/lbd.toml:4:13: election.namespace: \"LB\" is not a valid name: use 1-63 "
                "lower-case letters, digits and '-', starting and ending with a letter or digit",
                "/etc/lbd/pools.d/a.toml:3:14: pool[a].addresses[0]: \"192.0.2.0/33\" is not a "
                "valid prefix: length 33 is longer than 32 bits",
            }));
}

TEST(ConfigParser, SyntaxErrorInOneFileStillChecksTheOthers) {
  const auto lines = problems({
      ConfigSource{"lbd.toml", "[node\n", true},
      ConfigSource{"pools.d/a.toml", "[[pool]]\nname = \"a\"\n", false},
  });
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("lbd.toml:1:6: TOML syntax error: ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1],
            "pools.d/a.toml:1:1: pool[a].addresses: every pool needs addresses (CIDRs, \"A-B\" "
            "ranges or single IPs)");
}

TEST(ConfigParser, PoolsDirHoldsOnlyPoolsPeersAndAdvertisements) {
  const auto lines = problems({
      ConfigSource{"lbd.toml", "", true},
      ConfigSource{"pools.d/x.toml", "[kubernetes]\nqps = 1\n[bgp]\nasn = 1\n", false},
  });
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                "pools.d/x.toml:1:1: kubernetes: only allowed in the main configuration file",
                "pools.d/x.toml:4:7: bgp.asn: only allowed in the main configuration file",
            }));
}

TEST(ConfigParser, PoolsFromEveryFileInOrderAndCrossFileChecks) {
  const Config config = parse({
      ConfigSource{
          "lbd.toml",
          "[bgp]\nasn = 65001\n[[pool]]\nname = \"main\"\naddresses = [\"192.0.2.0/30\"]\n", true},
      ConfigSource{"pools.d/a.toml",
                   "[[pool]]\nname = \"edge\"\nmode = \"bgp\"\naddresses = [\"198.51.100.0/30\"]\n",
                   false},
      ConfigSource{"pools.d/b.toml",
                   "[[bgp.peer]]\nname = \"tor1\"\naddress = \"192.0.2.254\"\nasn = 65000\n",
                   false},
  });
  ASSERT_EQ(config.pools.size(), 2u);
  EXPECT_EQ(config.pools[0].name, "main");
  EXPECT_EQ(config.pools[1].name, "edge");
  EXPECT_EQ(config.findPool("edge"), &config.pools[1]);
  EXPECT_EQ(config.findPool("nope"), nullptr);
  EXPECT_EQ(config.files,
            (std::vector<std::string>{"lbd.toml", "pools.d/a.toml", "pools.d/b.toml"}));
  // The pool in a.toml needs the peer of b.toml, and the peer needs [bgp] asn of lbd.toml.
}

TEST(ConfigParser, DuplicatesAcrossFilesNameTheFirstPlace) {
  const auto lines = problems({
      ConfigSource{"lbd.toml", "[[pool]]\nname = \"a\"\naddresses = [\"192.0.2.0/30\"]\n", true},
      ConfigSource{"pools.d/b.toml", "[[pool]]\nname = \"a\"\naddresses = [\"192.0.2.2\"]\n",
                   false},
  });
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "pools.d/b.toml:2:8: pool[a].name: duplicate pool name \"a\" (first defined "
                       "at lbd.toml:2:8)",
                       "pools.d/b.toml:3:14: pool[a].addresses[0]: 192.0.2.2 overlaps 192.0.2.0/30 "
                       "of the same pool (lbd.toml:3:14)",
                   }));
}

TEST(ConfigParser, HashIgnoresCommentsAndLayoutButNotValues) {
  auto hash = [](const std::string& text) {
    return parse({ConfigSource{"lbd.toml", text, true}}).hash;
  };
  const std::string base = hash("[[pool]]\nname = \"a\"\naddresses = [\"192.0.2.0/30\"]\n");
  EXPECT_EQ(hash("# comment\n[[pool]]\n  name   =  \"a\"   # the name\n\naddresses = [ "
                 "\"192.0.2.0/30\" ]\n"),
            base);
  EXPECT_EQ(hash("[[pool]]\naddresses = [\"192.0.2.0/30\"]\nname = \"a\"\n"), base)
      << "key order does not count";
  EXPECT_NE(hash("[[pool]]\nname = \"a\"\naddresses = [\"192.0.2.0/31\"]\n"), base);
  EXPECT_NE(hash("[[pool]]\nname = \"b\"\naddresses = [\"192.0.2.0/30\"]\n"), base);
}

TEST(ConfigParser, ShippedSamplesAreValid) {
  const std::string etc = std::string(LBD_SOURCE_DIR) + "/etc/";
  const Config installed =
      parse({ConfigSource{etc + "lbd.toml", readFile(etc + "lbd.toml"), true}});
  EXPECT_TRUE(installed.pools.empty()) << "the installed default must not hand out addresses";
  EXPECT_FALSE(installed.kubernetes.configured());
  const Config example = parse({
      ConfigSource{etc + "lbd.toml", readFile(etc + "lbd.toml"), true},
      ConfigSource{etc + "pools.d/example.toml.sample",
                   readFile(etc + "pools.d/example.toml.sample"), false},
  });
  EXPECT_EQ(example.pools.size(), 2u);
  EXPECT_EQ(example.bgp_peers.size(), 1u);
}

}  // namespace
}  // namespace lbd

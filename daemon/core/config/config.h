#pragma once
// The configuration model (schema v1): an immutable snapshot built from /etc/lbd/lbd.toml and
// /etc/lbd/pools.d/*.toml. Field defaults here ARE the documented defaults (lbd.toml(5)).
// Behaviour behind many sections arrives in later issues; the schema and its validation are
// complete now so that configs written today keep working.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/diagnostic.h"
#include "core/duration.h"
#include "core/ip.h"
#include "core/label_selector.h"

namespace lbd {

using namespace std::chrono_literals;

inline constexpr int kConfigSchemaVersion = 1;
/// Lease requests in flight, beyond [kubernetes] max-requests-in-flight: one heartbeat, one
/// allocator renewal and a few VIP claims at a time never wait for a slot.
inline constexpr std::uint32_t kLeaseRequestsInFlight = 4;

/// The shortest [kubernetes] resync-interval other than 0s (off).
inline constexpr Duration kMinResyncInterval = std::chrono::seconds(10);

/// [node]: who this host is.
struct NodeConfig {
  std::string name;  // Kubernetes Node name; empty = the host name (filled in by the app layer)
};

/// [kubernetes]: how to reach the API server and which Services are ours.
struct KubernetesConfig {
  std::string kubeconfig;        // path; exclusive with `server`
  std::string context;           // kubeconfig context; empty = current-context
  std::string server;            // https://host:port
  std::string ca_file;           // PEM bundle to verify the server
  std::string token_file;        // bearer token, re-read when it changes
  std::string client_cert_file;  // with client_key_file: TLS client authentication
  std::string client_key_file;
  double qps = 0;            // client-side rate limit (requests/s) of bulk requests; 0 = none
  std::uint32_t burst = 40;  // >= 1
  // Status writes, reads and Events in flight together, 1..1000; Lease requests have
  // kLeaseRequestsInFlight more of their own (io/k8s/request_scheduler.h).
  std::uint32_t max_requests_in_flight = 16;
  Duration connect_timeout = 5s;
  Duration request_timeout = 30s;  // non-watch requests
  // Periodic relist-and-compare of every informer (io/k8s/informer.h); 0 = off, else >= 10s.
  // On by default: a lost event otherwise stays until the next failed watch, maybe for days,
  // and one LIST per collection per host per hour costs the API server next to nothing.
  Duration resync_interval = 1h;
  std::string load_balancer_class = "lbd.io/lbd";
  bool default_class = true;  // also serve Services that set no spec.loadBalancerClass

  /// True when either `kubeconfig` or `server` is set.
  bool configured() const { return !kubeconfig.empty() || !server.empty(); }
  bool operator==(const KubernetesConfig&) const = default;
};

enum class OnApiLoss { Keep, Withdraw };

/// [election]: Leases in `namespace` (DESIGN.md section 3).
struct ElectionConfig {
  std::string lease_namespace = "lbd-system";  // TOML key "namespace"
  Duration lease_duration = 2s;             // node heartbeat leaseDurationSeconds (whole seconds)
  Duration renew_interval = 500ms;          // < lease_duration
  Duration claim_step = 100ms;              // rank r waits r * claim_step before claiming
  Duration allocator_lease_duration = 15s;  // Lease lbd-allocator
  Duration allocator_renew_deadline = 10s;  // < allocator_lease_duration
  Duration allocator_retry_period = 2s;     // < allocator_renew_deadline
  OnApiLoss on_api_loss = OnApiLoss::Keep;  // "keep" | "withdraw"
  // Direct UDP heartbeats between layer-2 hosts (core/election/fast_heartbeat.h).
  bool fast_failover = false;
  Duration fast_interval = 100ms;  // between datagrams; >= 10ms
  std::uint32_t fast_misses = 3;   // silent after this many intervals; 2..20
  std::uint16_t fast_port = 7947;  // UDP, on every layer-2 host
  std::string fast_key_file = "/etc/lbd/fast-failover.key";  // shared by all hosts
};

/// [l2]: ARP/NDP announcement tuning.
struct L2Config {
  std::uint32_t gratuitous_count = 3;     // GARP / unsolicited NA burst length on takeover, >= 1
  Duration gratuitous_interval = 1100ms;  // spacing within the burst (> 1 s: ARP locktime)
  Duration refresh_interval = 0s;         // periodic re-announcement against FDB ageing; 0 = off
};

/// [bgp]: this host's speaker.
struct BgpConfig {
  std::uint32_t asn = 0;                  // local AS; 0 = not set (then every peer needs local-asn)
  std::optional<IpAddress> router_id;     // IPv4; unset = the node's first IPv4 address
  std::uint16_t listen_port = 179;        // where peers may connect to us; 0 = connect out only
  Duration graceful_restart_time = 120s;  // RFC 4724 restart time offered; 0 = not offered
  Duration graceful_shutdown_time = 2s;   // RFC 8326: marked routes stay this long on stop
};

enum class PoolMode { Layer2, Bgp };
std::string_view toString(PoolMode mode);  // "layer2" | "bgp"

/// [[pool]]: addresses lbd may hand out.
struct Pool {
  std::string name;  // unique, [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63
  PoolMode mode = PoolMode::Layer2;
  IpRangeSet addresses;                    // merged ranges of `addresses = [...]`
  std::vector<std::string> address_texts;  // as written, for display
  bool auto_assign = true;                 // false: only when requested by name or IP
  bool avoid_buggy_ips = false;            // skip .0 and .255 addresses (IPv4 only)
  std::int32_t priority = 0;               // among pools whose selectors match: lower wins
  std::vector<std::string> namespaces;     // empty = all namespaces
  LabelSelector namespace_selector;        // on Namespace labels
  LabelSelector service_selector;          // on Service labels
  LabelSelector node_selector;             // hosts that may announce this pool
  std::vector<std::string> interfaces;     // layer2: interfaces to answer on; empty = any in subnet
  SourceLocation defined_at;
};

enum class AddressFamilyName { Ipv4Unicast, Ipv6Unicast };

/// [[bgp.peer]]: a router this host talks BGP to.
struct BgpPeer {
  std::string name;  // unique
  IpAddress address;
  std::uint32_t asn = 0;        // required, 1..4294967295
  std::uint32_t local_asn = 0;  // 0 = [bgp].asn
  std::uint16_t port = 179;
  std::optional<IpAddress> source_address;
  Duration hold_time = 90s;       // 0 or >= 3s (RFC 4271 section 4.2)
  Duration keepalive_time = 30s;  // < hold_time (default hold_time / 3)
  Duration connect_retry = 5s;
  std::string password_file;                // TCP MD5 (RFC 2385) key file
  std::uint8_t ebgp_multihop = 1;           // TTL for eBGP; 1 = directly connected
  std::vector<AddressFamilyName> families;  // default: the family of `address`
  LabelSelector node_selector;              // hosts that open this session; empty = all
  SourceLocation defined_at;
  bool operator==(const BgpPeer&) const = default;
};

/// [[bgp.advertisement]]: how VIPs of BGP pools are announced.
struct BgpAdvertisement {
  std::string name;                            // unique
  std::vector<std::string> pools;              // names of bgp pools; empty = all bgp pools
  std::vector<std::string> peers;              // names of peers; empty = all peers
  std::vector<std::string> communities;        // "65000:100" or well-known names ("no-export")
  std::vector<std::string> large_communities;  // "65000:1:2"
  std::optional<std::uint32_t> local_pref;     // iBGP only
  std::uint8_t aggregation_length_v4 = 32;
  std::uint8_t aggregation_length_v6 = 128;
  SourceLocation defined_at;
};

/// One whole validated configuration.
struct Config {
  NodeConfig node;
  KubernetesConfig kubernetes;
  ElectionConfig election;
  L2Config l2;
  BgpConfig bgp;
  std::vector<Pool> pools;  // in file order (main file first, then pools.d sorted)
  std::vector<BgpPeer> bgp_peers;
  std::vector<BgpAdvertisement> bgp_advertisements;
  std::vector<std::string> files;  // every file read, in order
  std::string hash;  // sha256 (hex) of the canonical content: comments and layout do not count

  const Pool* findPool(std::string_view name) const;
};

}  // namespace lbd

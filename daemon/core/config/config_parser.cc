#include "core/config/config_parser.h"

#include "core/bgp/codec.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "core/config/toml_reader.h"
#include "core/sha256.h"

namespace lbd {
namespace {

constexpr std::int64_t kUint32Max = 4294967295;
constexpr std::int64_t kInt32Max = 2147483647;

std::string quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string locationText(const SourceLocation& where) {
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

bool isDnsLabel(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::optional<std::string> dnsLabelProblem(const std::string& name) {
  if (isDnsLabel(name)) return std::nullopt;
  return quote(name) +
         " is not a valid name: use 1-63 lower-case letters, digits and '-', starting and ending "
         "with a letter or digit";
}

std::optional<std::string> nodeNameProblem(const std::string& name) {
  // Kubernetes Node names are DNS subdomains: labels joined by '.', at most 253 characters.
  if (name.empty() || name.size() > 253)
    return quote(name) + " is not a valid Kubernetes node name";
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    if (!isDnsLabel(
            name.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) {
      return quote(name) +
             " is not a valid Kubernetes node name: use lower-case letters, digits, '-' and '.'";
    }
    if (dot == std::string::npos) return std::nullopt;
    start = dot + 1;
  }
}

std::optional<std::string> absolutePathProblem(const std::string& path) {
  if (!path.empty() && path.front() == '/') return std::nullopt;
  return quote(path) + " is not an absolute path (lbd runs with / as its working directory)";
}

std::optional<std::string> interfaceNameProblem(const std::string& name) {
  const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n';
  });
  if (name.empty() || name.size() > 15 || bad_char || name == "." || name == "..") {
    return quote(name) +
           " is not a valid interface name (1-15 characters, no '/', ':' or whitespace)";
  }
  return std::nullopt;
}

// The codec's parsers: what the config accepts is exactly what the speaker can put on the wire.
std::optional<std::string> communityProblem(const std::string& text) {
  auto parsed = bgp::parseCommunity(text);
  if (parsed) return std::nullopt;
  return parsed.error().message;
}

std::optional<std::string> largeCommunityProblem(const std::string& text) {
  auto parsed = bgp::parseLargeCommunity(text);
  if (parsed) return std::nullopt;
  return parsed.error().message;
}

/// Where a range came from, for overlap messages.
struct RangeOrigin {
  IpRange range;
  std::string pool;
  SourceLocation where;
};

/// Names referenced by an advertisement, checked once every file has been read (the TOML
/// tree of a file is gone by then, so locations are kept, not nodes).
struct AdvertisementRefs {
  std::vector<std::pair<std::string, SourceLocation>> pools;
  std::vector<std::pair<std::string, SourceLocation>> peers;
  std::string path;
};

class ConfigParser {
 public:
  Result<Config, Diagnostics> parse(const std::vector<ConfigSource>& sources) {
    std::vector<std::string> canonical;
    for (const auto& source : sources) {
      config_.files.push_back(source.path);
      toml::table root;
      try {
        root = toml::parse(source.text, source.path);
      } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        diagnostics_.push_back(
            Diagnostic{SourceLocation{source.path, static_cast<std::uint32_t>(where.line),
                                      static_cast<std::uint32_t>(where.column)},
                       "", "TOML syntax error: " + std::string(error.description())});
        continue;
      }
      std::stringstream rendered;
      rendered << toml::toml_formatter(root);
      canonical.push_back(rendered.str());
      readRoot(root, source);
    }
    crossCheck();
    if (!diagnostics_.empty()) return Unexpected{std::move(diagnostics_)};
    Sha256 hash;
    for (const auto& text : canonical) {
      hash.update(text);
      hash.update(std::string_view("\0", 1));  // file boundary: "a"+"b" != "ab"
    }
    config_.hash = hash.hexDigest();
    return std::move(config_);
  }

 private:
  // --- sections ---------------------------------------------------------------------------

  void readRoot(const toml::table& root, const ConfigSource& source) {
    TomlReader reader(root, source.path, "", diagnostics_);
    std::int64_t schema = kConfigSchemaVersion;
    if (reader.integer("schema", 0, kInt32Max, schema) && schema != kConfigSchemaVersion) {
      reader.error(root.get("schema"), "schema",
                   "unsupported schema version " + std::to_string(schema) + " (this lbd reads " +
                       std::to_string(kConfigSchemaVersion) + ")");
    }
    for (const char* main_only : {"node", "kubernetes", "election", "l2"}) {
      const toml::node* section = reader.node(main_only);
      if (!section) continue;
      if (!source.is_main) {
        reader.error(section, main_only, "only allowed in the main configuration file");
        continue;
      }
      const toml::table* table = sectionTable(reader, section, main_only);
      if (!table) continue;
      TomlReader sub(*table, source.path, main_only, diagnostics_);
      if (std::string_view(main_only) == "node") readNode(sub);
      if (std::string_view(main_only) == "kubernetes") readKubernetes(sub);
      if (std::string_view(main_only) == "election") readElection(sub);
      if (std::string_view(main_only) == "l2") readL2(sub);
      sub.finish();
    }
    if (const toml::node* bgp = reader.node("bgp")) {
      if (const toml::table* table = sectionTable(reader, bgp, "bgp")) readBgp(*table, source);
    }
    if (const toml::node* pools = reader.node("pool")) {
      forEachTable(reader, pools, "pool", [&](const toml::table& table, std::size_t index) {
        readPool(table, source.path, index);
      });
    }
    reader.finish();
  }

  const toml::table* sectionTable(TomlReader& reader, const toml::node* node, const char* key) {
    const toml::table* table = node->as_table();
    if (!table)
      reader.error(node, key,
                   "expected a table ([" + std::string(key) + "]), got " + describeType(*node));
    return table;
  }

  template <class Fn>
  void forEachTable(TomlReader& reader, const toml::node* node, const std::string& key, Fn&& fn) {
    const toml::array* array = node->as_array();
    if (!array) {
      reader.error(node, key,
                   "expected an array of tables ([[" + reader.keyPath(key) + "]]), got " +
                       describeType(*node));
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      if (const toml::table* table = item.as_table()) {
        fn(*table, i);
      } else {
        reader.error(&item, key + "[#" + std::to_string(i + 1) + "]",
                     "expected a table, got " + describeType(item));
      }
    }
  }

  void readNode(TomlReader& r) { r.checked("name", config_.node.name, nodeNameProblem); }

  void readKubernetes(TomlReader& r) {
    auto& k = config_.kubernetes;
    r.checked("kubeconfig", k.kubeconfig, absolutePathProblem);
    r.string("context", k.context);
    r.string("server", k.server);
    r.checked("ca-file", k.ca_file, absolutePathProblem);
    r.checked("token-file", k.token_file, absolutePathProblem);
    r.checked("client-cert-file", k.client_cert_file, absolutePathProblem);
    r.checked("client-key-file", k.client_key_file, absolutePathProblem);
    double qps = k.qps;
    if (r.number("qps", qps)) {
      if (qps >= 0)
        k.qps = qps;
      else
        r.error(r.node("qps"), "qps", "must be 0 (no client-side limit) or greater");
    }
    std::int64_t burst = k.burst;
    if (r.integer("burst", 1, kInt32Max, burst)) k.burst = static_cast<std::uint32_t>(burst);
    std::int64_t in_flight = k.max_requests_in_flight;
    if (r.integer("max-requests-in-flight", 1, 1000, in_flight)) {
      k.max_requests_in_flight = static_cast<std::uint32_t>(in_flight);
    }
    r.duration("connect-timeout", k.connect_timeout);
    r.duration("request-timeout", k.request_timeout);
    r.duration("resync-interval", k.resync_interval);
    r.string("load-balancer-class", k.load_balancer_class);
    r.boolean("default-class", k.default_class);

    if (!k.kubeconfig.empty() && !k.server.empty()) {
      r.error(r.node("server"), "server", "set either kubeconfig or server, not both");
    }
    if (!k.server.empty() && k.server.rfind("https://", 0) != 0) {
      r.error(r.node("server"), "server",
              quote(k.server) + " is not an https:// URL (lbd always uses verified TLS)");
    }
    if (k.client_cert_file.empty() != k.client_key_file.empty()) {
      const char* missing = k.client_cert_file.empty() ? "client-cert-file" : "client-key-file";
      r.error(nullptr, missing, "client-cert-file and client-key-file must be set together");
    }
    if (!k.context.empty() && k.kubeconfig.empty()) {
      r.error(r.node("context"), "context", "context is only meaningful with kubeconfig");
    }
    if (k.load_balancer_class.empty()) {
      r.error(r.node("load-balancer-class"), "load-balancer-class", "must not be empty");
    }
    if (k.connect_timeout.count() <= 0) {
      r.error(r.node("connect-timeout"), "connect-timeout", "must be greater than 0s");
    }
    if (k.request_timeout.count() <= 0) {
      r.error(r.node("request-timeout"), "request-timeout", "must be greater than 0s");
    }
    if (k.resync_interval.count() < 0 ||
        (k.resync_interval.count() > 0 && k.resync_interval < kMinResyncInterval)) {
      r.error(r.node("resync-interval"), "resync-interval",
              "must be 0s (off) or at least 10s: each resync lists every watched collection "
              "again");
    }
  }

  void readElection(TomlReader& r) {
    auto& e = config_.election;
    r.checked("namespace", e.lease_namespace, dnsLabelProblem);
    const bool has_duration = r.duration("lease-duration", e.lease_duration);
    const bool has_renew = r.duration("renew-interval", e.renew_interval);
    r.duration("claim-step", e.claim_step);
    r.duration("allocator-lease-duration", e.allocator_lease_duration);
    r.duration("allocator-renew-deadline", e.allocator_renew_deadline);
    r.duration("allocator-retry-period", e.allocator_retry_period);
    std::string on_loss;
    if (r.choice("on-api-loss", {"keep", "withdraw"}, on_loss)) {
      e.on_api_loss = on_loss == "keep" ? OnApiLoss::Keep : OnApiLoss::Withdraw;
    }
    r.boolean("fast-failover", e.fast_failover);
    r.duration("fast-interval", e.fast_interval);
    std::int64_t misses = e.fast_misses;
    if (r.integer("fast-misses", 2, 20, misses)) e.fast_misses = static_cast<std::uint32_t>(misses);
    std::int64_t fast_port = e.fast_port;
    if (r.integer("fast-port", 1, 65535, fast_port))
      e.fast_port = static_cast<std::uint16_t>(fast_port);
    r.checked("fast-key-file", e.fast_key_file, absolutePathProblem);
    if (e.fast_interval < std::chrono::milliseconds(10)) {
      r.error(r.node("fast-interval"), "fast-interval", "must be at least 10ms");
    } else if (e.fast_failover && e.fast_interval * e.fast_misses >= e.lease_duration) {
      r.error(r.node("fast-interval"), "fast-interval",
              "fast-interval x fast-misses (" + formatDuration(e.fast_interval * e.fast_misses) +
                  ") must be shorter than lease-duration (" + formatDuration(e.lease_duration) +
                  "), or the direct path detects nothing sooner");
    }
    auto whole_seconds = [&](const char* key, Duration value) {
      if (value.count() < 1000 || value.count() % 1000 != 0) {
        r.error(
            r.node(key), key,
            "must be a whole number of seconds, at least 1s (Lease durations are whole seconds)");
      }
    };
    whole_seconds("lease-duration", e.lease_duration);
    whole_seconds("allocator-lease-duration", e.allocator_lease_duration);
    if ((has_duration || has_renew) && e.renew_interval >= e.lease_duration) {
      r.error(r.node("renew-interval"), "renew-interval",
              "must be shorter than lease-duration (" + formatDuration(e.lease_duration) + ")");
    }
    if (e.renew_interval.count() <= 0)
      r.error(r.node("renew-interval"), "renew-interval", "must be greater than 0s");
    if (e.allocator_renew_deadline >= e.allocator_lease_duration) {
      r.error(r.node("allocator-renew-deadline"), "allocator-renew-deadline",
              "must be shorter than allocator-lease-duration (" +
                  formatDuration(e.allocator_lease_duration) + ")");
    }
    if (e.allocator_retry_period >= e.allocator_renew_deadline) {
      r.error(r.node("allocator-retry-period"), "allocator-retry-period",
              "must be shorter than allocator-renew-deadline (" +
                  formatDuration(e.allocator_renew_deadline) + ")");
    }
  }

  void readL2(TomlReader& r) {
    auto& l2 = config_.l2;
    std::int64_t count = l2.gratuitous_count;
    if (r.integer("gratuitous-count", 1, 100, count))
      l2.gratuitous_count = static_cast<std::uint32_t>(count);
    r.duration("gratuitous-interval", l2.gratuitous_interval);
    r.duration("refresh-interval", l2.refresh_interval);
  }

  void readBgp(const toml::table& table, const ConfigSource& source) {
    TomlReader r(table, source.path, "bgp", diagnostics_);
    for (const char* main_only :
         {"asn", "router-id", "listen-port", "graceful-restart-time", "graceful-shutdown-time"}) {
      if (!source.is_main && table.contains(main_only)) {
        r.error(table.get(main_only), main_only, "only allowed in the main configuration file");
        r.allow(main_only);
      }
    }
    if (source.is_main) {
      std::int64_t asn = 0;
      if (r.integer("asn", 1, kUint32Max, asn)) config_.bgp.asn = static_cast<std::uint32_t>(asn);
      std::string router_id;
      if (r.string("router-id", router_id)) {
        auto address = IpAddress::parse(router_id);
        if (!address) {
          r.error(table.get("router-id"), "router-id", address.error().message);
        } else if (!address->isV4()) {
          r.error(table.get("router-id"), "router-id", "the BGP router ID must be an IPv4 address");
        } else {
          config_.bgp.router_id = address.value();
        }
      }
      std::int64_t port = 179;
      if (r.integer("listen-port", 0, 65535, port))
        config_.bgp.listen_port = static_cast<std::uint16_t>(port);
      // RFC 4724 section 3: the restart time is a 12-bit count of seconds.
      if (r.duration("graceful-restart-time", config_.bgp.graceful_restart_time) &&
          config_.bgp.graceful_restart_time > Duration(4095 * 1000)) {
        r.error(table.get("graceful-restart-time"), "graceful-restart-time",
                "must be at most 4095s (RFC 4724: 12 bits of seconds)");
      }
      if (r.duration("graceful-shutdown-time", config_.bgp.graceful_shutdown_time) &&
          config_.bgp.graceful_shutdown_time > Duration(60 * 1000)) {
        r.error(table.get("graceful-shutdown-time"), "graceful-shutdown-time",
                "must be at most 60s (systemd stops lbd after 90 s)");
      }
    }
    if (const toml::node* peers = r.node("peer")) {
      forEachTable(r, peers, "peer",
                   [&](const toml::table& t, std::size_t i) { readPeer(t, source.path, i); });
    }
    if (const toml::node* ads = r.node("advertisement")) {
      forEachTable(r, ads, "advertisement", [&](const toml::table& t, std::size_t i) {
        readAdvertisement(t, source.path, i);
      });
    }
    r.finish();
  }

  /// Reads `name` of an array element; returns the path used in diagnostics ("pool[web]").
  std::string elementPath(const toml::table& table, const std::string& kind, std::size_t index) {
    const toml::node* name = table.get("name");
    if (name && name->is_string() && !name->as_string()->get().empty()) {
      return kind + "[" + name->as_string()->get() + "]";
    }
    return kind + "[#" + std::to_string(index + 1) + "]";
  }

  bool readName(TomlReader& r, std::string& name, std::map<std::string, SourceLocation>& seen,
                const char* kind) {
    if (!r.has("name")) {
      r.error(nullptr, "name", std::string("every ") + kind + " needs a name");
      r.node("name");
      return false;
    }
    if (!r.checked("name", name, dnsLabelProblem)) return false;
    const SourceLocation here = r.where(*r.node("name"));
    auto [it, inserted] = seen.emplace(name, here);
    if (!inserted) {
      r.error(r.node("name"), "name",
              std::string("duplicate ") + kind + " name " + quote(name) + " (first defined at " +
                  locationText(it->second) + ")");
      return false;
    }
    return true;
  }

  bool readSelector(TomlReader& r, const char* key, LabelSelector& target) {
    std::string text;
    if (!r.string(key, text)) return false;
    auto parsed = LabelSelector::parse(text);
    if (!parsed) {
      r.error(r.node(key), key, parsed.error().message);
      return false;
    }
    target = std::move(parsed.value());
    return true;
  }

  void readPool(const toml::table& table, const std::string& file, std::size_t index) {
    TomlReader r(table, file, elementPath(table, "pool", index), diagnostics_);
    Pool pool;
    pool.defined_at = r.where();
    readName(r, pool.name, pool_names_, "pool");
    std::string mode = "layer2";
    if (r.choice("mode", {"layer2", "bgp"}, mode))
      pool.mode = mode == "bgp" ? PoolMode::Bgp : PoolMode::Layer2;
    if (!r.has("addresses")) {
      r.error(nullptr, "addresses",
              "every pool needs addresses (CIDRs, \"A-B\" ranges or single IPs)");
    }
    std::vector<std::string> texts;
    std::vector<const toml::node*> nodes;
    if (r.stringList("addresses", texts, &nodes)) {
      if (texts.empty()) r.error(r.node("addresses"), "addresses", "must not be empty");
      for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::string key = "addresses[" + std::to_string(i) + "]";
        auto range = IpRange::parse(texts[i]);
        if (!range) {
          r.error(nodes[i], key, range.error().message);
          continue;
        }
        const SourceLocation here = r.where(*nodes[i]);
        for (const auto& earlier : ranges_) {
          if (!earlier.range.overlaps(range.value())) continue;
          const std::string owner = earlier.pool == pool.name && !pool.name.empty()
                                        ? "the same pool"
                                        : "pool " + quote(earlier.pool);
          r.error(nodes[i], key,
                  range->toString() + " overlaps " + earlier.range.toString() + " of " + owner +
                      " (" + locationText(earlier.where) + ")");
          break;
        }
        ranges_.push_back(RangeOrigin{range.value(), pool.name, here});
        pool.addresses.add(range.value());
        pool.address_texts.push_back(texts[i]);
      }
    }
    r.boolean("auto-assign", pool.auto_assign);
    r.boolean("avoid-buggy-ips", pool.avoid_buggy_ips);
    std::int64_t priority = 0;
    if (r.integer("priority", -kInt32Max - 1, kInt32Max, priority))
      pool.priority = static_cast<std::int32_t>(priority);
    r.checkedList("namespaces", pool.namespaces, dnsLabelProblem);
    readSelector(r, "namespace-selector", pool.namespace_selector);
    readSelector(r, "service-selector", pool.service_selector);
    readSelector(r, "node-selector", pool.node_selector);
    r.checkedList("interfaces", pool.interfaces, interfaceNameProblem);
    if (pool.mode == PoolMode::Bgp && !pool.interfaces.empty()) {
      r.error(r.node("interfaces"), "interfaces", "only layer2 pools answer on interfaces");
    }
    r.finish();
    config_.pools.push_back(std::move(pool));
  }

  void readPeer(const toml::table& table, const std::string& file, std::size_t index) {
    TomlReader r(table, file, elementPath(table, "bgp.peer", index), diagnostics_);
    BgpPeer peer;
    peer.defined_at = r.where();
    readName(r, peer.name, peer_names_, "BGP peer");
    const std::string label = peer.name.empty() ? "this peer" : "peer " + quote(peer.name);
    std::string address;
    bool has_address = false;
    if (!r.has("address")) {
      r.error(nullptr, "address", label + " has no address");
      r.node("address");
    } else if (r.string("address", address)) {
      auto parsed = IpAddress::parse(address);
      if (parsed) {
        peer.address = parsed.value();
        has_address = true;
      } else {
        r.error(table.get("address"), "address", parsed.error().message);
      }
    }
    std::int64_t asn = 0;
    if (!r.has("asn")) {
      r.error(nullptr, "asn", label + " has no asn");
      r.node("asn");
    } else if (r.integer("asn", 1, kUint32Max, asn)) {
      peer.asn = static_cast<std::uint32_t>(asn);
    }
    std::int64_t local_asn = 0;
    if (r.integer("local-asn", 1, kUint32Max, local_asn))
      peer.local_asn = static_cast<std::uint32_t>(local_asn);
    std::int64_t port = 179;
    if (r.integer("port", 1, 65535, port)) peer.port = static_cast<std::uint16_t>(port);
    std::string source_text;
    if (r.string("source-address", source_text)) {
      auto parsed = IpAddress::parse(source_text);
      if (!parsed) {
        r.error(table.get("source-address"), "source-address", parsed.error().message);
      } else if (has_address && parsed->family() != peer.address.family()) {
        r.error(table.get("source-address"), "source-address",
                "source-address " + parsed->toString() + " and address " + peer.address.toString() +
                    " are of different IP families");
      } else {
        peer.source_address = parsed.value();
      }
    }
    const bool has_hold = r.duration("hold-time", peer.hold_time);
    const bool has_keepalive = r.duration("keepalive-time", peer.keepalive_time);
    if (has_hold && !has_keepalive) peer.keepalive_time = Duration(peer.hold_time.count() / 3);
    if (peer.hold_time.count() != 0 && peer.hold_time < Duration(3000)) {
      r.error(table.get("hold-time"), "hold-time",
              "must be 0s or at least 3s (RFC 4271 section 4.2)");
    } else if (peer.hold_time.count() != 0 && peer.keepalive_time >= peer.hold_time) {
      r.error(table.get(has_keepalive ? "keepalive-time" : "hold-time"),
              has_keepalive ? "keepalive-time" : "hold-time",
              "keepalive-time (" + formatDuration(peer.keepalive_time) +
                  ") must be shorter than hold-time (" + formatDuration(peer.hold_time) + ")");
    }
    r.duration("connect-retry", peer.connect_retry);
    r.checked("password-file", peer.password_file, absolutePathProblem);
    std::int64_t multihop = 1;
    if (r.integer("ebgp-multihop", 1, 255, multihop))
      peer.ebgp_multihop = static_cast<std::uint8_t>(multihop);
    std::vector<std::string> families;
    std::vector<const toml::node*> family_nodes;
    if (r.stringList("families", families, &family_nodes)) {
      if (families.empty()) r.error(r.node("families"), "families", "must not be empty");
      for (std::size_t i = 0; i < families.size(); ++i) {
        if (families[i] == "ipv4-unicast") {
          peer.families.push_back(AddressFamilyName::Ipv4Unicast);
        } else if (families[i] == "ipv6-unicast") {
          peer.families.push_back(AddressFamilyName::Ipv6Unicast);
        } else {
          r.error(family_nodes[i], "families[" + std::to_string(i) + "]",
                  quote(families[i]) + " is not one of \"ipv4-unicast\", \"ipv6-unicast\"");
        }
      }
    } else if (has_address) {
      peer.families.push_back(peer.address.isV4() ? AddressFamilyName::Ipv4Unicast
                                                  : AddressFamilyName::Ipv6Unicast);
    }
    readSelector(r, "node-selector", peer.node_selector);
    r.finish();
    peer_locations_.push_back({r.path(), peer.defined_at});
    config_.bgp_peers.push_back(std::move(peer));
  }

  void readAdvertisement(const toml::table& table, const std::string& file, std::size_t index) {
    TomlReader r(table, file, elementPath(table, "bgp.advertisement", index), diagnostics_);
    BgpAdvertisement ad;
    ad.defined_at = r.where();
    readName(r, ad.name, advertisement_names_, "BGP advertisement");
    AdvertisementRefs refs{{}, {}, r.path()};
    std::vector<const toml::node*> pool_nodes, peer_nodes;
    if (r.stringList("pools", ad.pools, &pool_nodes)) {
      for (std::size_t i = 0; i < ad.pools.size(); ++i)
        refs.pools.emplace_back(ad.pools[i], r.where(*pool_nodes[i]));
    }
    if (r.stringList("peers", ad.peers, &peer_nodes)) {
      for (std::size_t i = 0; i < ad.peers.size(); ++i)
        refs.peers.emplace_back(ad.peers[i], r.where(*peer_nodes[i]));
    }
    r.checkedList("communities", ad.communities, communityProblem);
    r.checkedList("large-communities", ad.large_communities, largeCommunityProblem);
    std::int64_t number = 0;
    if (r.integer("local-pref", 0, kUint32Max, number))
      ad.local_pref = static_cast<std::uint32_t>(number);
    if (r.integer("aggregation-length", 0, 32, number))
      ad.aggregation_length_v4 = static_cast<std::uint8_t>(number);
    if (r.integer("aggregation-length-v6", 0, 128, number))
      ad.aggregation_length_v6 = static_cast<std::uint8_t>(number);
    r.finish();
    advertisement_refs_.push_back(std::move(refs));
    config_.bgp_advertisements.push_back(std::move(ad));
  }

  // --- checks across files ------------------------------------------------------------------

  void crossCheck() {
    for (std::size_t i = 0; i < config_.bgp_peers.size(); ++i) {
      const auto& peer = config_.bgp_peers[i];
      if (peer.local_asn == 0 && config_.bgp.asn == 0) {
        diagnostics_.push_back(Diagnostic{
            peer_locations_[i].second, peer_locations_[i].first + ".local-asn",
            "no local AS for " +
                (peer.name.empty() ? std::string("this peer") : "peer " + quote(peer.name)) +
                ": set local-asn here or asn in [bgp]"});
      }
    }
    if (config_.bgp_peers.empty()) {
      for (const auto& pool : config_.pools) {
        if (pool.mode != PoolMode::Bgp) continue;
        diagnostics_.push_back(Diagnostic{
            pool.defined_at, "pool[" + pool.name + "].mode",
            "pool " + quote(pool.name) + " is a bgp pool but no [[bgp.peer]] is configured"});
      }
    }
    for (const auto& refs : advertisement_refs_) {
      for (const auto& [name, where] : refs.pools) {
        const Pool* pool = config_.findPool(name);
        std::string problem;
        if (!pool)
          problem = "unknown pool " + quote(name);
        else if (pool->mode != PoolMode::Bgp)
          problem = "pool " + quote(name) + " is not a bgp pool";
        if (!problem.empty())
          diagnostics_.push_back(Diagnostic{where, refs.path + ".pools", problem});
      }
      for (const auto& [name, where] : refs.peers) {
        const std::string& wanted = name;  // clang 14 cannot capture structured bindings
        const bool known = std::any_of(config_.bgp_peers.begin(), config_.bgp_peers.end(),
                                       [&wanted](const BgpPeer& p) { return p.name == wanted; });
        if (!known) {
          diagnostics_.push_back(
              Diagnostic{where, refs.path + ".peers", "unknown BGP peer " + quote(name)});
        }
      }
    }
    // Cross-file diagnostics were appended after per-file ones; keep source order per file.
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [this](const Diagnostic& a, const Diagnostic& b) {
                       const auto fa = fileIndex(a.where.file), fb = fileIndex(b.where.file);
                       if (fa != fb) return fa < fb;
                       if (a.where.line != b.where.line) return a.where.line < b.where.line;
                       return a.where.column < b.where.column;
                     });
  }

  std::size_t fileIndex(const std::string& file) const {
    auto it = std::find(config_.files.begin(), config_.files.end(), file);
    return static_cast<std::size_t>(it - config_.files.begin());
  }

  Config config_;
  Diagnostics diagnostics_;
  std::vector<RangeOrigin> ranges_;
  std::map<std::string, SourceLocation> pool_names_, peer_names_, advertisement_names_;
  std::vector<std::pair<std::string, SourceLocation>> peer_locations_;
  std::vector<AdvertisementRefs> advertisement_refs_;
};

}  // namespace

Result<Config, Diagnostics> parseConfig(const std::vector<ConfigSource>& sources) {
  return ConfigParser().parse(sources);
}

}  // namespace lbd

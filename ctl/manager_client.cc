#include "manager_client.h"

#include <sdbus-c++/sdbus-c++.h>

#include "dbus/manager_proxy.h"
#include "exit_codes.h"

namespace lbctl {
namespace {

constexpr const char* kBusName = "io.lbd1";
constexpr const char* kObjectPath = "/io/lbd1";

class ManagerProxy final
    : public sdbus::ProxyInterfaces<io::lbd1::Manager_proxy, sdbus::Properties_proxy> {
 public:
  ManagerProxy(sdbus::IConnection& connection)
      : ProxyInterfaces(connection, kBusName, kObjectPath) {
    registerProxy();
  }
  ~ManagerProxy() { unregisterProxy(); }

 private:
  // lbctl reads once and exits: change signals are of no interest.
  void onPropertiesChanged(const std::string&, const std::map<std::string, sdbus::Variant>&,
                           const std::vector<std::string>&) override {}
  void onVipOwnerChanged(const std::string&, const std::string&, const std::string&) override {}
  void onBgpPeerStateChanged(const std::string&, const std::string&, const std::string&,
                             const std::string&, const std::string&) override {}
};

CtlError translate(const sdbus::Error& error, const std::string& bus) {
  const std::string& name = error.getName();
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
    return {kExitNotRunning,
            "lbd is not running (no io.lbd1 on the " +
                (bus == "system" || bus == "session" ? bus + " bus" : "bus at " + bus) + ")"};
  }
  if (name == "org.freedesktop.DBus.Error.AccessDenied") {
    return {kExitAccessDenied, "access denied (only root or members of group \"lbd\" may do this)"};
  }
  if (name == "io.lbd1.Error.InvalidConfig") {
    return {kExitInvalidConfig, "the configuration is invalid, the previous one stays in force:\n" +
                                    error.getMessage()};
  }
  if (name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Timeout") {
    return {kExitFailure, "lbd did not answer in time"};
  }
  return {kExitFailure, error.getMessage().empty() ? name : error.getMessage()};
}

template <class T>
T take(const std::map<std::string, sdbus::Variant>& properties, const char* name) {
  auto it = properties.find(name);
  if (it == properties.end() || !it->second.containsValueOfType<T>()) return T{};
  return it->second.get<T>();
}

}  // namespace

struct ManagerClient::Impl {
  std::string bus;
  std::unique_ptr<sdbus::IConnection> connection;
  std::unique_ptr<ManagerProxy> proxy;
};

ManagerClient::ManagerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ManagerClient::~ManagerClient() = default;

std::variant<std::unique_ptr<ManagerClient>, CtlError> ManagerClient::connect(
    const std::string& bus) {
  auto impl = std::make_unique<Impl>();
  impl->bus = bus;
  try {
    if (bus == "system")
      impl->connection = sdbus::createSystemBusConnection();
    else if (bus == "session")
      impl->connection = sdbus::createSessionBusConnection();
    else
      impl->connection = sdbus::createSessionBusConnectionWithAddress(bus);
    impl->proxy = std::make_unique<ManagerProxy>(*impl->connection);
  } catch (const sdbus::Error& error) {
    return CtlError{kExitNotRunning,
                    "cannot connect to the " +
                        (bus == "system" || bus == "session" ? bus + " bus" : "bus at " + bus) +
                        " (" + error.getMessage() + "); lbd is not running"};
  }
  return std::unique_ptr<ManagerClient>(new ManagerClient(std::move(impl)));
}

std::variant<DaemonStatus, CtlError> ManagerClient::status() {
  try {
    // GetAll: one call, so every value comes from the same moment.
    const auto properties = impl_->proxy->GetAll(io::lbd1::Manager_proxy::INTERFACE_NAME);
    DaemonStatus status;
    status.version = take<std::string>(properties, "Version");
    status.node = take<std::string>(properties, "NodeName");
    status.config_path = take<std::string>(properties, "ConfigPath");
    status.config_hash = take<std::string>(properties, "ConfigHash");
    status.config_error = take<std::string>(properties, "ConfigError");
    status.config_loaded_at_usec = take<std::uint64_t>(properties, "ConfigLoadedAtUSec");
    status.started_at_usec = take<std::uint64_t>(properties, "StartedAtUSec");
    status.kubernetes_state = take<std::string>(properties, "KubernetesState");
    status.kubernetes_server = take<std::string>(properties, "KubernetesServer");
    status.kubernetes_last_error = take<std::string>(properties, "KubernetesLastError");
    using ResourceStruct =
        sdbus::Struct<std::string, bool, std::uint64_t, std::uint64_t, std::string>;
    using ResyncStruct =
        sdbus::Struct<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>;
    for (const auto& row : take<std::vector<ResourceStruct>>(properties, "KubernetesResources")) {
      status.kubernetes_resources.push_back(
          ResourceInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>()});
    }
    // Absent from a daemon older than the property: the counters stay 0.
    for (const auto& row : take<std::vector<ResyncStruct>>(properties, "KubernetesResyncs")) {
      for (auto& resource : status.kubernetes_resources) {
        if (resource.name != row.get<0>()) continue;
        resource.resyncs = row.get<1>();
        resource.repaired = row.get<2>();
        resource.server_behind = row.get<3>();
        resource.uid_changes = row.get<4>();
      }
    }
    status.allocator_state = take<std::string>(properties, "AllocatorState");
    status.allocator_holder = take<std::string>(properties, "AllocatorHolder");
    return status;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<std::vector<PoolInfo>, CtlError> ManagerClient::pools() {
  try {
    std::vector<PoolInfo> pools;
    for (const auto& row : impl_->proxy->ListPools()) {
      PoolInfo pool;
      pool.name = row.get<0>();
      pool.mode = row.get<1>();
      pool.families = row.get<2>();
      pool.size = row.get<3>();
      pool.used = row.get<4>();
      pool.free = row.get<5>();
      pool.ranges = row.get<6>();
      pools.push_back(std::move(pool));
    }
    return pools;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<std::vector<std::pair<std::string, FamilyUsage>>, CtlError>
ManagerClient::poolUsage() {
  try {
    std::vector<std::pair<std::string, FamilyUsage>> rows;
    for (const auto& row : impl_->proxy->ListPoolUsage()) {
      rows.emplace_back(row.get<0>(),
                        FamilyUsage{row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>()});
    }
    return rows;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<std::vector<ServiceInfo>, CtlError> ManagerClient::services() {
  try {
    std::vector<ServiceInfo> services;
    for (const auto& row : impl_->proxy->ListServices()) {
      services.push_back(ServiceInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(),
                                     row.get<4>(), row.get<5>()});
    }
    return services;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<RequestQueueInfo, CtlError> ManagerClient::requestQueue() {
  try {
    auto [rows, max_in_flight, lease_in_flight, last_refused_at, last_refused] =
        impl_->proxy->GetRequestQueue();
    RequestQueueInfo queue;
    for (const auto& row : rows) {
      queue.classes.push_back(RequestClassInfo{row.get<0>(), row.get<1>(), row.get<2>(),
                                               row.get<3>(), row.get<4>(), row.get<5>(),
                                               row.get<6>(), row.get<7>(), row.get<8>()});
    }
    queue.max_in_flight = max_in_flight;
    queue.lease_in_flight = lease_in_flight;
    queue.last_refused_at_usec = last_refused_at;
    queue.last_refused = last_refused;
    return queue;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<std::vector<VipInfo>, CtlError> ManagerClient::vips() {
  try {
    std::vector<VipInfo> vips;
    for (const auto& row : impl_->proxy->ListVips()) {
      vips.push_back(VipInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(), row.get<4>(),
                             row.get<5>(), row.get<6>(), row.get<7>()});
    }
    return vips;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<Layer2Info, CtlError> ManagerClient::layer2() {
  try {
    auto [enabled, fresh, error, peers, owned, announced, rows] = impl_->proxy->GetLayer2();
    Layer2Info info{enabled, fresh, error, peers, owned, announced, {}};
    for (const auto& row : rows) {
      info.responders.push_back(ResponderInfo{row.get<0>(), row.get<1>(), row.get<2>(),
                                              row.get<3>(), row.get<4>(), row.get<5>(),
                                              row.get<6>(), row.get<7>(), row.get<8>()});
    }
    return info;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<FastFailoverInfo, CtlError> ManagerClient::fastFailover() {
  try {
    auto [enabled, error, endpoint, port, interval, misses, heard, silent, counters] =
        impl_->proxy->GetFastFailover();
    return FastFailoverInfo{enabled,
                            error,
                            endpoint,
                            port,
                            interval,
                            misses,
                            heard,
                            silent,
                            counters.get<0>(),
                            counters.get<1>(),
                            counters.get<2>(),
                            counters.get<3>(),
                            counters.get<4>()};
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<std::vector<BgpPeerInfo>, CtlError> ManagerClient::bgpPeers() {
  try {
    std::vector<BgpPeerInfo> peers;
    for (const auto& row : impl_->proxy->ListBgpPeers()) {
      peers.push_back(BgpPeerInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(),
                                  row.get<4>(), row.get<5>(), row.get<6>(), row.get<7>(),
                                  row.get<8>(), row.get<9>(), row.get<10>(), row.get<11>(),
                                  row.get<12>(), row.get<13>(), row.get<14>()});
    }
    return peers;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::variant<std::vector<BgpVipInfo>, CtlError> ManagerClient::bgpVips() {
  try {
    std::vector<BgpVipInfo> vips;
    for (const auto& row : impl_->proxy->ListBgpVips()) {
      vips.push_back(BgpVipInfo{row.get<0>(), row.get<1>(), row.get<2>(), row.get<3>(),
                                row.get<4>(), row.get<5>()});
    }
    return vips;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

std::optional<CtlError> ManagerClient::reload() {
  try {
    impl_->proxy->Reload();
    return std::nullopt;
  } catch (const sdbus::Error& error) {
    return translate(error, impl_->bus);
  }
}

}  // namespace lbctl

// lbd_k8s_probe: lbd's Kubernetes layer (API client, informers, writers) driven line by line
// from a test. It runs informers for Services, EndpointSlices, Nodes and the Leases of one
// namespace exactly as the daemon does, and answers one JSON line per JSON command on stdin:
//
//   {"op":"dump"}                          caches (decoded fields), synced flags, counters
//   {"op":"counts"}                        synced flags, object counts, CPU and RSS (benches)
//   {"op":"changes","resource":"services"} what the cache's handlers were told since the last
//                                          call: "+key" added, "~key" updated, "-key" deleted,
//                                          "=" a complete list applied
//   {"op":"status","namespace","name","ips":[...]}        ServiceStatusWriter
//   {"op":"event","namespace","name","uid","type","reason","message"}  EventRecorder
//   {"op":"lease","namespace","name","identity","duration":S}  acquire-or-renew via LeaseClient
//   {"op":"release","namespace","name","identity"}
//
// --resync-interval S turns on the informers' periodic relist-and-compare (every S seconds).
//
// The tests in this folder compare its caches with the server's objects after faults.

#include <sys/resource.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <nlohmann/json.hpp>

#include "core/k8s/object_builders.h"
#include "io/k8s/api_client.h"
#include "io/k8s/cluster_access_loader.h"
#include "io/k8s/event_recorder.h"
#include "io/k8s/informer.h"
#include "io/k8s/lease_client.h"
#include "io/k8s/service_status_writer.h"

namespace lbd::k8s {
namespace {

using nlohmann::json;

json labels(const Labels& map) {
  json out = json::object();
  for (const auto& [key, value] : map)
    out[key] = value;
  return out;
}

json meta(const ObjectMeta& m) {
  return {{"resourceVersion", m.resource_version},
          {"uid", m.uid},
          {"labels", labels(m.labels)},
          {"annotations", labels(m.annotations)},
          {"deleting", m.deleting},
          {"generation", m.generation}};
}

json project(const Service& s) {
  json out = meta(s.meta);
  out["type"] = s.type;
  out["loadBalancerClass"] = s.load_balancer_class ? json(*s.load_balancer_class) : json();
  out["loadBalancerIP"] = s.load_balancer_ip;
  out["ipFamilies"] = s.ip_families;
  out["ipFamilyPolicy"] = s.ip_family_policy;
  out["externalTrafficPolicy"] = s.external_traffic_policy;
  out["selector"] = labels(s.selector);
  out["ports"] = json::array();
  for (const auto& p : s.ports)
    out["ports"].push_back({{"name", p.name}, {"protocol", p.protocol}, {"port", p.port}});
  out["ingress"] = json::array();
  for (const auto& i : s.ingress)
    out["ingress"].push_back({{"ip", i.ip}, {"hostname", i.hostname}, {"ipMode", i.ip_mode}});
  return out;
}

json project(const EndpointSlice& e) {
  json out = meta(e.meta);
  out["serviceName"] = e.service_name;
  out["addressType"] = e.address_type;
  out["endpoints"] = json::array();
  for (const auto& p : e.endpoints)
    out["endpoints"].push_back({{"addresses", p.addresses},
                                {"ready", p.ready},
                                {"serving", p.serving},
                                {"terminating", p.terminating},
                                {"nodeName", p.node_name}});
  return out;
}

json project(const Node& n) {
  json out = meta(n.meta);
  out["ready"] = n.ready;
  out["unschedulable"] = n.unschedulable;
  out["addresses"] = json::array();
  for (const auto& a : n.addresses)
    out["addresses"].push_back({{"type", a.type}, {"address", a.address}});
  return out;
}

json project(const Lease& l) {
  json out = meta(l.meta);
  out["holderIdentity"] = l.holder_identity;
  out["leaseDurationSeconds"] = l.lease_duration_seconds ? json(*l.lease_duration_seconds) : json();
  out["acquireTime"] = l.acquire_time;
  out["renewTime"] = l.renew_time;
  out["leaseTransitions"] = l.lease_transitions;
  return out;
}

template <class T>
json cacheOf(const Informer<T>& informer) {
  json objects = json::object();
  for (const auto& [key, object] : informer.cache().objects())
    objects[key] = project(object);
  return objects;
}

template <class T>
json countersOf(const Informer<T>& informer) {
  const auto& c = informer.counters();
  return {{"lists", c.lists},
          {"relists", c.relists},
          {"watches", c.watches},
          {"events", c.events},
          {"malformed", c.malformed},
          {"failures", c.failures},
          {"serverBehind", c.server_behind},
          {"uidChanges", c.uid_changes},
          {"resyncs", c.resyncs},
          {"repaired", c.repaired},
          {"state", informer.state()}};
}

/// Parses MicroTime/Time text back to a time point (UTC), for lease expiry.
std::optional<WallClock> parseTime(const std::string& text) {
  std::tm parts{};
  if (text.size() < 20 || !strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts)) return std::nullopt;
  WallClock time = std::chrono::system_clock::from_time_t(timegm(&parts));
  if (text.size() > 20 && text[19] == '.') {
    const std::string digits = text.substr(20, text.find('Z') - 20);
    double fraction = std::stod("0." + digits);
    time += std::chrono::microseconds(static_cast<long long>(fraction * 1e6));
  }
  return time;
}

class Probe {
 public:
  Probe(boost::asio::io_context& io, ApiClientOptions options, const std::string& lease_namespace,
        std::chrono::seconds watch_timeout, std::uint32_t page_size, Duration resync)
      : io_(io),
        log_(spdlog::stderr_logger_mt("probe")),
        api_(io, std::move(options)),
        services_(io, api_, informerOptions("/api/v1/services", watch_timeout, page_size, resync),
                  log_),
        slices_(io, api_,
                informerOptions("/apis/discovery.k8s.io/v1/endpointslices", watch_timeout,
                                page_size, resync),
                log_),
        nodes_(io, api_, informerOptions("/api/v1/nodes", watch_timeout, page_size, resync), log_),
        leases_(io, api_,
                informerOptions(
                    "/apis/coordination.k8s.io/v1/namespaces/" + lease_namespace + "/leases",
                    watch_timeout, page_size, resync),
                log_),
        status_writer_(api_),
        events_(api_, log_),
        leases_client_(api_),
        input_(io, ::dup(STDIN_FILENO)) {}

  void start() {
    recordChanges("services", services_);
    recordChanges("endpointslices", slices_);
    recordChanges("nodes", nodes_);
    recordChanges("leases", leases_);
    services_.start();
    slices_.start();
    nodes_.start();
    leases_.start();
    readCommand();
  }

 private:
  template <class T>
  void recordChanges(const std::string& resource, Informer<T>& informer) {
    auto& log = changes_[resource];
    informer.cache().addHandlers(
        {[&log](const T& o) { log.push_back("+" + o.meta.key()); },
         [&log](const T&, const T& o) { log.push_back("~" + o.meta.key()); },
         [&log](const T& o) { log.push_back("-" + o.meta.key()); },
         [&log] { log.push_back("="); }});
  }

  static InformerOptions informerOptions(std::string path, std::chrono::seconds timeout,
                                         std::uint32_t page_size, Duration resync) {
    InformerOptions options;
    options.resync_interval = resync;
    options.collection_path = std::move(path);
    options.min_watch_timeout = timeout;
    options.max_watch_timeout = timeout;
    options.page_size = page_size;
    return options;
  }

  void readCommand() {
    boost::asio::async_read_until(
        input_, buffer_, '\n', [this](const boost::system::error_code& error, std::size_t size) {
          if (error) {  // stdin closed: the test is done with us
            stopAll();
            return;
          }
          std::string line(
              boost::asio::buffers_begin(buffer_.data()),
              boost::asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(size));
          buffer_.consume(size);
          handle(json::parse(line));
          readCommand();
        });
  }

  void stopAll() {
    services_.stop();
    slices_.stop();
    nodes_.stop();
    leases_.stop();
    io_.stop();
  }

  static void answer(const json& reply) { std::cout << reply.dump() << std::endl; }

  void handle(const json& command) {
    const std::string op = command.value("op", "");
    if (op == "dump") {
      answer({{"synced",
               {{"services", services_.cache().synced()},
                {"endpointslices", slices_.cache().synced()},
                {"nodes", nodes_.cache().synced()},
                {"leases", leases_.cache().synced()}}},
              {"counters",
               {{"services", countersOf(services_)},
                {"endpointslices", countersOf(slices_)},
                {"nodes", countersOf(nodes_)},
                {"leases", countersOf(leases_)}}},
              {"objects",
               {{"services", cacheOf(services_)},
                {"endpointslices", cacheOf(slices_)},
                {"nodes", cacheOf(nodes_)},
                {"leases", cacheOf(leases_)}}},
              {"lastError", api_.lastError()}});
    } else if (op == "counts") {
      rusage usage{};
      getrusage(RUSAGE_SELF, &usage);
      auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
      };
      answer({{"synced", services_.cache().synced() && slices_.cache().synced() &&
                             nodes_.cache().synced() && leases_.cache().synced()},
              {"services", services_.cache().objects().size()},
              {"endpointslices", slices_.cache().objects().size()},
              {"nodes", nodes_.cache().objects().size()},
              {"leases", leases_.cache().objects().size()},
              {"cpuSeconds", seconds(usage.ru_utime) + seconds(usage.ru_stime)},
              {"maxRssKiB", usage.ru_maxrss}});
    } else if (op == "changes") {
      auto& log = changes_[command.value("resource", "services")];
      answer({{"changes", log}});
      log.clear();
    } else if (op == "status") {
      status_writer_.setIngress(
          command.at("namespace"), command.at("name"),
          command.at("ips").get<std::vector<std::string>>(),
          [this](const ApiResponse& response, const std::optional<Service>& stored) {
            const auto supported = status_writer_.ipModeSupported();
            answer({{"code", response.status},
                    {"error", response.ok() ? "" : response.describe()},
                    {"stored", stored ? project(*stored) : json()},
                    {"ipModeSupported", supported ? json(*supported) : json()}});
          });
    } else if (op == "event") {
      EventSpec spec;
      spec.namespace_ = command.at("namespace");
      spec.involved_name = command.at("name");
      spec.involved_uid = command.value("uid", "");
      spec.type = command.value("type", "Normal");
      spec.reason = command.at("reason");
      spec.message = command.at("message");
      spec.reporting_instance = command.value("instance", "probe");
      events_.record(spec, [](bool ok) { answer({{"ok", ok}}); });
    } else if (op == "lease" || op == "release") {
      const std::string identity = command.at("identity");
      const std::int32_t duration = command.value("duration", 15);
      const bool release = op == "release";
      leases_client_.write(
          command.at("namespace"), command.at("name"),
          [identity, duration, release](const std::optional<Lease>& current) {
            return decideLease(current, identity, duration, release);
          },
          [](LeaseWriteResult result) {
            static const char* names[] = {"written", "unchanged", "failed"};
            answer({{"outcome", names[static_cast<int>(result.outcome)]},
                    {"conflicts", result.conflicts},
                    {"error", result.error},
                    {"lease", result.lease ? project(*result.lease) : json()}});
          });
    } else {
      answer({{"error", "unknown op " + op}});
    }
  }

  /// A plain acquire-or-renew rule (the real election logic comes with the election issue):
  /// take the Lease when it is free, ours, or expired; release only our own.
  static std::optional<LeaseSpec> decideLease(const std::optional<Lease>& current,
                                              const std::string& identity, std::int32_t duration,
                                              bool release) {
    const WallClock now = std::chrono::system_clock::now();
    LeaseSpec next;
    next.lease_duration_seconds = duration;
    next.renew_time = now;
    if (release) {
      if (!current || current->holder_identity != identity) return std::nullopt;
      next.holder_identity = "";
      next.lease_transitions = current->lease_transitions;
      return next;
    }
    if (!current) {
      next.holder_identity = identity;
      next.acquire_time = now;
      return next;
    }
    const bool ours = current->holder_identity == identity;
    bool expired = current->holder_identity.empty();
    if (auto renewed = parseTime(current->renew_time)) {
      expired = expired ||
                *renewed + std::chrono::seconds(current->lease_duration_seconds.value_or(0)) < now;
    } else {
      expired = true;
    }
    if (!ours && !expired) return std::nullopt;
    next.holder_identity = identity;
    next.lease_transitions = current->lease_transitions + (ours ? 0 : 1);
    next.acquire_time = ours ? parseTime(current->acquire_time) : std::optional<WallClock>(now);
    return next;
  }

  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> log_;
  ApiClient api_;
  Informer<Service> services_;
  Informer<EndpointSlice> slices_;
  Informer<Node> nodes_;
  Informer<Lease> leases_;
  ServiceStatusWriter status_writer_;
  EventRecorder events_;
  LeaseClient leases_client_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::streambuf buffer_;
  std::map<std::string, std::vector<std::string>> changes_;
};

int run(int argc, char** argv) {
  KubernetesConfig config;
  std::string lease_namespace = "lbd-system";
  std::chrono::seconds watch_timeout{300};
  std::uint32_t page_size = 500;
  Duration resync{0};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--kubeconfig")
      config.kubeconfig = value;
    else if (flag == "--context")
      config.context = value;
    else if (flag == "--lease-namespace")
      lease_namespace = value;
    else if (flag == "--watch-timeout")
      watch_timeout = std::chrono::seconds(std::stoi(value));
    else if (flag == "--page-size")
      page_size = static_cast<std::uint32_t>(std::stoul(value));
    else if (flag == "--resync-interval")
      resync =
          std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::stod(value)));
    else if (flag == "--qps")
      config.qps = std::stod(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  auto access = loadClusterAccess(config);
  if (!access) {
    std::fprintf(stderr, "%s\n", access.error().message.c_str());
    return 1;
  }
  ApiClientOptions options;
  options.access = std::move(access.value());
  options.scheduling.limits.qps = config.qps;
  options.scheduling.limits.burst = 1000;
  options.user_agent = "lbd-k8s-probe";
  boost::asio::io_context io;
  Probe probe(io, std::move(options), lease_namespace, watch_timeout, page_size, resync);
  probe.start();
  io.run();
  return 0;
}

}  // namespace
}  // namespace lbd::k8s

int main(int argc, char** argv) {
  return lbd::k8s::run(argc, argv);
}

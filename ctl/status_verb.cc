#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "exit_codes.h"
#include "format.h"
#include "manager_client.h"
#include "verbs.h"

namespace lbctl {
namespace {

std::string kubernetesText(const DaemonStatus& status) {
  if (status.kubernetes_state == "not-configured") return "not configured";
  std::string text = status.kubernetes_state;
  if (!status.kubernetes_server.empty()) text += " (" + status.kubernetes_server + ")";
  return text;
}

/// "16/16 in flight (+0/4 Lease), 9812 queued: status 9800, event 12".
std::string queueText(const RequestQueueInfo& queue) {
  std::uint64_t bulk = 0, lease = 0, queued = 0;
  std::string per_class;
  for (const auto& c : queue.classes) {
    (c.name == "lease" ? lease : bulk) += c.in_flight;
    queued += c.queued;
    if (c.queued == 0) continue;
    per_class += (per_class.empty() ? ": " : ", ") + c.name + " " + std::to_string(c.queued);
  }
  return std::to_string(bulk) + "/" + std::to_string(queue.max_in_flight) + " in flight (+" +
         std::to_string(lease) + "/" + std::to_string(queue.lease_in_flight) + " Lease), " +
         std::to_string(queued) + " queued" + per_class;
}

/// "431 (429 Too Many Requests), 12 fenced, 3 Events dropped" or "" when all are zero.
std::string troubleText(const RequestQueueInfo& queue) {
  std::uint64_t refused = 0, fenced = 0, failed = 0, events_dropped = 0, dropped = 0;
  for (const auto& c : queue.classes) {
    refused += c.refused;
    fenced += c.fenced;
    failed += c.failed;
    (c.name == "event" ? events_dropped : dropped) += c.dropped;
  }
  std::string text;
  auto add = [&text](std::uint64_t n, const std::string& what) {
    if (n == 0) return;
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(refused, "refused (429)");
  add(fenced, "fenced (not sent: no longer leader)");
  add(failed, "failed");
  add(dropped, "dropped (queue full)");
  add(events_dropped, "Events dropped");
  return text;
}

}  // namespace

int statusVerb(const OutputOptions& options) {
  auto client = ManagerClient::connect(options.bus);
  if (auto* error = std::get_if<CtlError>(&client))
    return failed("connect to lbd", error->reason, error->exit_code);
  auto result = std::get<std::unique_ptr<ManagerClient>>(client)->status();
  if (auto* error = std::get_if<CtlError>(&result))
    return failed("get status", error->reason, error->exit_code);
  const auto& status = std::get<DaemonStatus>(result);
  // The queue comes from a method (its counters change too often for properties); an older
  // daemon without it just shows no queue.
  std::optional<Layer2Info> layer2;
  if (auto answer = std::get<std::unique_ptr<ManagerClient>>(client)->layer2();
      std::holds_alternative<Layer2Info>(answer)) {
    layer2 = std::get<Layer2Info>(std::move(answer));
    if (!layer2->enabled) layer2.reset();
  }
  // Fast failover: shown only when configured (an older daemon without it shows nothing).
  std::optional<FastFailoverInfo> fast;
  if (layer2) {
    if (auto answer = std::get<std::unique_ptr<ManagerClient>>(client)->fastFailover();
        std::holds_alternative<FastFailoverInfo>(answer)) {
      fast = std::get<FastFailoverInfo>(std::move(answer));
      if (!fast->enabled) fast.reset();
    }
  }
  std::optional<RequestQueueInfo> queue;
  if (auto answer = std::get<std::unique_ptr<ManagerClient>>(client)->requestQueue();
      std::holds_alternative<RequestQueueInfo>(answer)) {
    queue = std::get<RequestQueueInfo>(std::move(answer));
    if (queue->classes.empty()) queue.reset();
  }

  if (options.json != JsonMode::Off) {
    nlohmann::json resources = nlohmann::json::array();
    for (const auto& r : status.kubernetes_resources) {
      resources.push_back({{"resource", r.name},
                           {"synced", r.synced},
                           {"objects", r.objects},
                           {"malformed", r.malformed},
                           {"state", r.state},
                           {"resyncs", r.resyncs},
                           {"repaired", r.repaired},
                           {"server_behind", r.server_behind},
                           {"uid_changes", r.uid_changes}});
    }
    nlohmann::json requests;  // null when not configured
    if (queue) {
      requests = nlohmann::json{{"max_in_flight", queue->max_in_flight},
                                {"lease_in_flight", queue->lease_in_flight},
                                {"last_refused_at_usec", queue->last_refused_at_usec},
                                {"last_refused", queue->last_refused},
                                {"classes", nlohmann::json::array()}};
      for (const auto& c : queue->classes) {
        requests["classes"].push_back({{"class", c.name},
                                       {"queued", c.queued},
                                       {"in_flight", c.in_flight},
                                       {"sent", c.sent},
                                       {"refused", c.refused},
                                       {"fenced", c.fenced},
                                       {"dropped", c.dropped},
                                       {"failed", c.failed},
                                       {"folded", c.folded}});
      }
    }
    nlohmann::json l2;  // null without layer2 pools
    if (layer2) {
      l2 = nlohmann::json{{"heartbeat_fresh", layer2->heartbeat_fresh},
                          {"heartbeat_error", layer2->heartbeat_error},
                          {"peers", layer2->peers},
                          {"owned", layer2->owned},
                          {"announced", layer2->announced},
                          {"responders", nlohmann::json::array()}};
      for (const auto& r : layer2->responders) {
        l2["responders"].push_back({{"interface", r.interface},
                                    {"mac", r.mac},
                                    {"vips", r.vips},
                                    {"requests_seen", r.requests_seen},
                                    {"replies_sent", r.replies_sent},
                                    {"announcements_sent", r.announcements_sent},
                                    {"malformed_dropped", r.malformed_dropped},
                                    {"conflicts_seen", r.conflicts_seen},
                                    {"kernel_arp_warning", r.kernel_arp_warning}});
      }
    }
    const nlohmann::json json{
        {"version", status.version},
        {"node", status.node},
        {"config_path", status.config_path},
        {"config_hash", status.config_hash},
        {"config_error", status.config_error},
        {"config_loaded_at_usec", status.config_loaded_at_usec},
        {"started_at_usec", status.started_at_usec},
        {"kubernetes_state", status.kubernetes_state},
        {"kubernetes_server", status.kubernetes_server},
        {"kubernetes_last_error", status.kubernetes_last_error},
        {"kubernetes_resources", resources},
        {"api_requests", requests},
        {"layer2", l2},
        {"fast_failover", fast ? nlohmann::json{{"error", fast->error},
                                                {"endpoint", fast->endpoint},
                                                {"port", fast->port},
                                                {"interval_ms", fast->interval_ms},
                                                {"misses", fast->misses},
                                                {"heard", fast->heard},
                                                {"silent", fast->silent},
                                                {"sent", fast->sent},
                                                {"received", fast->received},
                                                {"forged", fast->forged},
                                                {"replayed", fast->replayed},
                                                {"malformed", fast->malformed}}
                               : nlohmann::json()},
        {"allocator_state", status.allocator_state},
        {"allocator_holder", status.allocator_holder}};
    printJson(json.dump(2), json.dump(), options.json);
    return kExitOk;
  }
  const std::uint64_t now = nowUsec();
  auto field = [](const std::string& label, const std::string& value) {
    std::cout << std::string(14 - label.size(), ' ') << label << ": "
              << (value.empty() ? "-" : value) << '\n';
  };
  field("Version", status.version);
  field("Node", status.node);
  field("Config", status.config_path);
  field("Config hash", status.config_hash);
  field("Config loaded", formatTimestamp(status.config_loaded_at_usec, now));
  if (status.config_error.empty()) {
    field("Config error", "");
  } else {
    // One problem per line, aligned under the first.
    std::string text;
    std::size_t start = 0;
    while (start <= status.config_error.size()) {
      const auto end = status.config_error.find('\n', start);
      if (!text.empty()) text += "\n" + std::string(16, ' ');
      text += status.config_error.substr(
          start, end == std::string::npos ? std::string::npos : end - start);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (options.colour) text = "\033[31m" + text + "\033[0m";
    field("Config error", text);
  }
  field("Started", formatTimestamp(status.started_at_usec, now));
  field("Kubernetes", kubernetesText(status));
  if (!status.kubernetes_last_error.empty()) field("API error", status.kubernetes_last_error);
  if (queue) {
    field("API requests", queueText(*queue));
    if (const std::string trouble = troubleText(*queue); !trouble.empty()) {
      field("API pushback", trouble);
    }
    if (queue->last_refused_at_usec != 0) {
      field("Last 429",
            formatTimestamp(queue->last_refused_at_usec, now) + ": " + queue->last_refused);
    }
  }
  for (const auto& r : status.kubernetes_resources) {
    field(r.name,
          std::string(r.synced ? "synced" : "not synced") + ", " + std::to_string(r.objects) +
              (r.objects == 1 ? " object" : " objects") +
              (r.malformed ? ", " + std::to_string(r.malformed) + " malformed skipped" : "") +
              (r.repaired ? ", " + std::to_string(r.repaired) + " repaired by resync" : "") +
              (r.server_behind ? ", server behind " + std::to_string(r.server_behind) +
                                     (r.server_behind == 1 ? " time" : " times") + " (restored?)"
                               : "") +
              " (" + r.state + ")");
  }
  if (!status.allocator_state.empty()) {
    std::string allocator = status.allocator_state;
    if (status.allocator_state == "leader") {
      allocator = "this host (leader)";
    } else if (status.allocator_state == "standby") {
      allocator = status.allocator_holder.empty()
                      ? "none elected (standby)"
                      : status.allocator_holder + " (this host: standby)";
    } else if (status.allocator_state == "disabled") {
      allocator = "disabled here: no pools configured";
    }
    field("IP allocator", allocator);
  }
  if (layer2) {
    std::string health = layer2->heartbeat_fresh ? "heartbeat fresh" : "heartbeat STALE";
    if (!layer2->heartbeat_fresh && options.colour) health = "\033[31m" + health + "\033[0m";
    if (!layer2->heartbeat_error.empty()) health += " (" + layer2->heartbeat_error + ")";
    std::string peers;
    for (const auto& peer : layer2->peers)
      peers += (peers.empty() ? "" : ", ") + peer;
    health += "; peers alive: " + (peers.empty() ? std::string("none") : peers);
    health += "; owns " + std::to_string(layer2->owned) + ", answers for " +
              std::to_string(layer2->announced) + " VIPs";
    field("Layer 2", health);
    for (const auto& r : layer2->responders) {
      field("Answering on", r.interface + " (" + r.mac + "): " + std::to_string(r.vips) +
                                " VIPs, " + std::to_string(r.requests_seen) + " requests, " +
                                std::to_string(r.replies_sent) + " replies, " +
                                std::to_string(r.announcements_sent) + " announcements, " +
                                std::to_string(r.malformed_dropped) + " malformed, " +
                                std::to_string(r.conflicts_seen) + " conflicts");
      if (!r.kernel_arp_warning.empty()) {
        field("Kernel ARP", options.colour ? "\033[33m" + r.kernel_arp_warning + "\033[0m"
                                           : r.kernel_arp_warning);
      }
    }
  }
  if (fast) {
    auto names = [](const std::vector<std::string>& list) {
      std::string out;
      for (const auto& name : list)
        out += (out.empty() ? "" : ", ") + name;
      return out.empty() ? std::string("-") : out;
    };
    std::string line =
        fast->error.empty()
            ? fast->endpoint + ", every " + std::to_string(fast->interval_ms) +
                  " ms, silent after " + std::to_string(fast->misses) +
                  "; heard: " + names(fast->heard) + "; silent: " + names(fast->silent) + "; " +
                  std::to_string(fast->sent) + " sent, " + std::to_string(fast->received) +
                  " received, " + std::to_string(fast->forged) + " forged, " +
                  std::to_string(fast->replayed) + " replayed, " + std::to_string(fast->malformed) +
                  " malformed"
            : "off: " + fast->error;
    field("Fast failover", line);
  }
  return kExitOk;
}

}  // namespace lbctl

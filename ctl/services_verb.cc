#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "format.h"
#include "manager_client.h"
#include "table.h"
#include "verbs.h"

namespace lbctl {

int servicesVerb(const OutputOptions& options) {
  auto client = ManagerClient::connect(options.bus);
  if (auto* error = std::get_if<CtlError>(&client))
    return failed("connect to lbd", error->reason, error->exit_code);
  auto result = std::get<std::unique_ptr<ManagerClient>>(client)->services();
  if (auto* error = std::get_if<CtlError>(&result))
    return failed("list services", error->reason, error->exit_code);
  const auto& services = std::get<std::vector<ServiceInfo>>(result);
  // Layer-2 VIPs: who holds each address's Lease and whether this host answers for it, side by
  // side, so a mismatch shows. An older daemon, or no layer2 pools: nothing to show.
  auto& manager = *std::get<std::unique_ptr<ManagerClient>>(client);
  std::map<std::string, VipInfo> vips;
  if (auto answer = manager.vips(); std::holds_alternative<std::vector<VipInfo>>(answer)) {
    for (auto& vip : std::get<std::vector<VipInfo>>(answer))
      vips[vip.vip] = std::move(vip);
  }
  // BGP VIPs: every host that advertises the address (the routers spread traffic over them).
  std::map<std::string, BgpVipInfo> bgp_vips;
  if (auto answer = manager.bgpVips(); std::holds_alternative<std::vector<BgpVipInfo>>(answer)) {
    for (auto& vip : std::get<std::vector<BgpVipInfo>>(answer))
      bgp_vips[vip.vip] = std::move(vip);
  }
  std::string node;
  if (auto status = manager.status(); std::holds_alternative<DaemonStatus>(status)) {
    node = std::get<DaemonStatus>(status).node;
  }
  // "host-a" (another host answers), "here", or a mismatch spelled out.
  auto announcer = [&](const std::string& ip) -> std::string {
    if (auto bgp = bgp_vips.find(ip); bgp != bgp_vips.end()) {
      std::string hosts;
      for (const auto& host : bgp->second.advertising_hosts)
        hosts += (hosts.empty() ? "" : ",") + host;
      return hosts.empty() ? "none (no eligible host)" : "bgp:" + hosts;
    }
    auto found = vips.find(ip);
    if (found == vips.end()) return "";
    const VipInfo& vip = found->second;
    const bool ours = !vip.holder.empty() && vip.holder == node;
    if (ours && vip.announcing) return "here";
    if (ours) return "here (holder, NOT answering: " + vip.state + ")";
    if (vip.announcing) return "here (answering, but holder is " + vip.holder + ")";
    return vip.holder.empty() ? "none (" + vip.state + ")" : vip.holder;
  };

  if (options.json != JsonMode::Off) {
    nlohmann::json json = nlohmann::json::array();
    for (const auto& service : services) {
      const auto slash = service.key.find('/');
      json.push_back({{"namespace", service.key.substr(0, slash)},
                      {"name", service.key.substr(slash + 1)},
                      {"ips", service.ips},
                      {"pool", service.pool},
                      {"state", service.state},
                      {"reason", service.reason},
                      {"message", service.message},
                      {"vips", [&] {
                         nlohmann::json rows = nlohmann::json::array();
                         for (const auto& ip : service.ips) {
                           if (auto bgp = bgp_vips.find(ip); bgp != bgp_vips.end()) {
                             rows.push_back({{"ip", ip},
                                             {"mode", "bgp"},
                                             {"advertising_hosts", bgp->second.advertising_hosts},
                                             {"advertised_here", bgp->second.advertised_here},
                                             {"not_here_because", bgp->second.ineligibility}});
                             continue;
                           }
                           auto found = vips.find(ip);
                           if (found == vips.end()) continue;
                           rows.push_back({{"ip", ip},
                                           {"mode", "layer2"},
                                           {"holder", found->second.holder},
                                           {"announcing_here", found->second.announcing},
                                           {"state", found->second.state},
                                           {"interfaces", found->second.interfaces}});
                         }
                         return rows;
                       }()}});
    }
    printJson(json.dump(2), json.dump(), options.json);
    return kExitOk;
  }
  Table table({{"service"}, {"ips"}, {"pool"}, {"state"}, {"announced-by"}, {"reason"}});
  std::size_t pending = 0;
  for (const auto& service : services) {
    std::string ips;
    for (const auto& ip : service.ips)
      ips += (ips.empty() ? "" : ",") + ip;
    std::string state = service.state;
    if (state == "pending") {
      ++pending;
      if (options.colour) state = "\033[33m" + state + "\033[0m";
    }
    // The reason word, then the sentence: what a user needs to fix it without kubectl.
    std::string reason = service.reason;
    if (!service.message.empty()) reason += (reason.empty() ? "" : ": ") + service.message;
    std::string announced;
    for (const auto& ip : service.ips) {
      const std::string who = announcer(ip);
      if (who.empty()) continue;
      if (announced.find(who) == std::string::npos)
        announced += (announced.empty() ? "" : ",") + who;
    }
    table.addRow({service.key, ips, service.pool, state, announced, reason});
  }
  std::cout << table.render(options.legend, options.colour);
  if (options.legend) {
    std::cout << '\n'
              << services.size() << (services.size() == 1 ? " service" : " services") << " listed, "
              << pending << " pending.\n";
  }
  return kExitOk;
}

}  // namespace lbctl

#include <iostream>
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
                      {"message", service.message}});
    }
    printJson(json.dump(2), json.dump(), options.json);
    return kExitOk;
  }
  Table table({{"service"}, {"ips"}, {"pool"}, {"state"}, {"reason"}});
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
    table.addRow({service.key, ips, service.pool, state, reason});
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

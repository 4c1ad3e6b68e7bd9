#include <iostream>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "format.h"
#include "manager_client.h"
#include "table.h"
#include "verbs.h"

namespace lbctl {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : separator) + item;
  return text;
}

}  // namespace

int poolsVerb(const OutputOptions& options) {
  auto client = ManagerClient::connect(options.bus);
  if (auto* error = std::get_if<CtlError>(&client))
    return failed("connect to lbd", error->reason, error->exit_code);
  auto result = std::get<std::unique_ptr<ManagerClient>>(client)->pools();
  if (auto* error = std::get_if<CtlError>(&result))
    return failed("list pools", error->reason, error->exit_code);
  const auto& pools = std::get<std::vector<PoolInfo>>(result);

  if (options.json != JsonMode::Off) {
    nlohmann::json json = nlohmann::json::array();
    for (const auto& pool : pools) {
      json.push_back({{"name", pool.name},
                      {"mode", pool.mode},
                      {"families", pool.families},
                      {"size", jsonCount(pool.size)},
                      {"used", pool.used},
                      {"free", jsonCount(pool.free)},
                      {"ranges", pool.ranges}});
    }
    printJson(json.dump(2), json.dump(), options.json);
    return kExitOk;
  }
  using Align = Table::Align;
  Table table({{"name"},
               {"mode"},
               {"families"},
               {"size", Align::Right},
               {"used", Align::Right},
               {"free", Align::Right},
               {"ranges"}});
  for (const auto& pool : pools) {
    table.addRow({pool.name, pool.mode, join(pool.families, ","), humanCount(pool.size),
                  std::to_string(pool.used), humanCount(pool.free), join(pool.ranges, " ")});
  }
  std::cout << table.render(options.legend, options.colour);
  if (options.legend)
    std::cout << '\n' << pools.size() << (pools.size() == 1 ? " pool" : " pools") << " listed.\n";
  return kExitOk;
}

}  // namespace lbctl

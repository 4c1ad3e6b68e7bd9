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
  auto& manager = *std::get<std::unique_ptr<ManagerClient>>(client);
  auto result = manager.pools();
  if (auto* error = std::get_if<CtlError>(&result))
    return failed("list pools", error->reason, error->exit_code);
  const auto& pools = std::get<std::vector<PoolInfo>>(result);
  auto usage_result = manager.poolUsage();
  if (auto* error = std::get_if<CtlError>(&usage_result))
    return failed("list pool usage", error->reason, error->exit_code);
  const auto& usage = std::get<std::vector<std::pair<std::string, FamilyUsage>>>(usage_result);
  auto usageOf = [&](const std::string& pool) {
    std::vector<FamilyUsage> rows;
    for (const auto& [name, row] : usage) {
      if (name == pool) rows.push_back(row);
    }
    return rows;
  };

  if (options.json != JsonMode::Off) {
    nlohmann::json json = nlohmann::json::array();
    for (const auto& pool : pools) {
      json.push_back({{"name", pool.name},
                      {"mode", pool.mode},
                      {"families", pool.families},
                      {"size", jsonCount(pool.size)},
                      {"used", pool.used},
                      {"free", jsonCount(pool.free)},
                      {"ranges", pool.ranges},
                      {"usage", [&] {
                         nlohmann::json rows = nlohmann::json::array();
                         for (const auto& row : usageOf(pool.name)) {
                           rows.push_back({{"family", row.family},
                                           {"size", jsonCount(row.size)},
                                           {"used", row.used},
                                           {"free", jsonCount(row.free)}});
                         }
                         return rows;
                       }()}});
    }
    printJson(json.dump(2), json.dump(), options.json);
    return kExitOk;
  }
  using Align = Table::Align;
  // One line per pool and address family: IPv4 and IPv6 run out separately.
  Table table({{"name"},
               {"mode"},
               {"family"},
               {"size", Align::Right},
               {"used", Align::Right},
               {"free", Align::Right},
               {"ranges"}});
  for (const auto& pool : pools) {
    for (const auto& row : usageOf(pool.name)) {
      std::vector<std::string> ranges;
      for (const auto& range : pool.ranges) {
        const bool v6 = range.find(':') != std::string::npos;
        if (v6 == (row.family == "ipv6")) ranges.push_back(range);
      }
      table.addRow({pool.name, pool.mode, row.family, humanCount(row.size),
                    std::to_string(row.used), humanCount(row.free), join(ranges, " ")});
    }
  }
  std::cout << table.render(options.legend, options.colour);
  if (options.legend)
    std::cout << '\n' << pools.size() << (pools.size() == 1 ? " pool" : " pools") << " listed.\n";
  return kExitOk;
}

}  // namespace lbctl

#include "core/config/config.h"

namespace lbd {

std::string_view toString(PoolMode mode) {
  return mode == PoolMode::Layer2 ? "layer2" : "bgp";
}

const Pool* Config::findPool(std::string_view name) const {
  for (const auto& pool : pools) {
    if (pool.name == name) return &pool;
  }
  return nullptr;
}

}  // namespace lbd

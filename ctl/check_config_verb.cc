#include <iostream>

#include "exit_codes.h"
#include "io/config/config_files.h"
#include "verbs.h"

namespace lbctl {

int checkConfigVerb(const OutputOptions& /*options*/, const std::string& config_path,
                    const std::optional<std::string>& pools_dir) {
  auto config = lbd::loadConfig(config_path, pools_dir);
  if (!config) {
    for (const auto& diagnostic : config.error())
      std::cerr << diagnostic.toString() << '\n';
    return kExitInvalidConfig;
  }
  std::cout << config_path << ": configuration is valid (" << config->pools.size()
            << (config->pools.size() == 1 ? " pool, " : " pools, ") << config->bgp_peers.size()
            << (config->bgp_peers.size() == 1 ? " BGP peer)\n" : " BGP peers)\n");
  return kExitOk;
}

}  // namespace lbctl

// lbd: bare-metal LoadBalancer daemon for Kubernetes. See lbd(8).
#include <exception>
#include <iostream>
#include <variant>

#include "app/daemon.h"
#include "app/daemon_options.h"
#include "app/exit_codes.h"
#include "app/logging.h"

int main(int argc, char** argv) {
  auto parsed = lbd::parseDaemonOptions(argc, argv);
  if (auto* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const auto& options = std::get<lbd::DaemonOptions>(parsed);

  if (options.check_config) return lbd::checkConfig(options);

  lbd::setupLogging(options.log_target, options.log_level);
  try {
    lbd::Daemon daemon(options);
    return daemon.run();
  } catch (const std::exception& error) {
    // Adapters catch what they expect; anything reaching here is a bug, but systemd should
    // still learn why lbd died.
    std::cerr << "lbd: fatal: " << error.what() << '\n';
    return lbd::kExitFailure;
  }
}

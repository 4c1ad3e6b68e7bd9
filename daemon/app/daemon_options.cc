#include "app/daemon_options.h"

#include <CLI/CLI.hpp>
#include <map>

#include "app/exit_codes.h"
#include "lbd_version.h"

namespace lbd {

std::variant<DaemonOptions, int> parseDaemonOptions(int argc, char** argv) {
  DaemonOptions options;
  options.config_path = kDefaultConfigPath;

  CLI::App app{"lbd: bare-metal LoadBalancer daemon for Kubernetes (see lbd(8))", "lbd"};
  app.set_version_flag("--version", std::string("lbd ") + kVersion);
  app.add_option("-c,--config", options.config_path, "Main configuration file")
      ->capture_default_str();
  std::string pools_dir;
  auto* pools_dir_option = app.add_option("--pools-dir", pools_dir,
                                          "Directory of extra *.toml files [<config dir>/pools.d]");
  std::string check_path;
  auto* check_option =
      app.add_option("--check-config", check_path,
                     "Validate the configuration (PATH, or --config), report every problem, exit")
          ->expected(0, 1)
          ->type_name("[PATH]");
  app.add_option("--bus", options.bus, "D-Bus to serve on: system, session, or an address")
      ->capture_default_str();
  const std::map<std::string, LogTarget> targets{
      {"auto", LogTarget::Auto}, {"console", LogTarget::Console}, {"journal", LogTarget::Journal}};
  app.add_option("--log-target", options.log_target,
                 "Where logs go: auto (journal under systemd), console, journal")
      ->transform(CLI::CheckedTransformer(targets, CLI::ignore_case));
  app.add_option("--log-level", options.log_level, "trace, debug, info, warning or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (pools_dir_option->count() > 0) options.pools_dir = pools_dir;
  if (check_option->count() > 0) {
    options.check_config = true;
    if (!check_path.empty()) options.config_path = check_path;
  }
  return options;
}

}  // namespace lbd

#pragma once
// lbd's command line.

#include <optional>
#include <string>
#include <variant>

namespace lbd {

enum class LogTarget { Auto, Console, Journal };

struct DaemonOptions {
  std::string config_path;               // main file; default kDefaultConfigPath
  std::optional<std::string> pools_dir;  // default: <dir of config_path>/pools.d
  bool check_config = false;             // validate, report, exit
  std::string bus = "system";            // "system", "session" or a D-Bus address
  LogTarget log_target = LogTarget::Auto;
  std::string log_level = "info";  // spdlog level name
};

/// Parses argv. Returns the options, or the exit code to leave with right away (after --help,
/// --version, or a usage error, each already printed).
std::variant<DaemonOptions, int> parseDaemonOptions(int argc, char** argv);

}  // namespace lbd

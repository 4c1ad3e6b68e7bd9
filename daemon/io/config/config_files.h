#pragma once
// Reads the configuration files from disk: the main file and the *.toml files of its pools.d
// directory (sorted by name), and hands their text to the pure parser.

#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/config_parser.h"
#include "core/result.h"

namespace lbd {

/// The pools directory used when none is given: "<directory of main_path>/pools.d".
std::string defaultPoolsDir(const std::string& main_path);

/// Reads the main file and every regular, non-hidden `*.toml` file in the pools directory
/// (which may be missing). Unreadable files are diagnostics, like any other problem.
Result<std::vector<ConfigSource>, Diagnostics> readConfigSources(
    const std::string& main_path, std::optional<std::string> pools_dir = {});

/// readConfigSources + parseConfig: every problem in every file, or a valid Config.
Result<Config, Diagnostics> loadConfig(const std::string& main_path,
                                       std::optional<std::string> pools_dir = {});

}  // namespace lbd

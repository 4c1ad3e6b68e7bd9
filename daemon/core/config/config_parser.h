#pragma once
// TOML text -> validated Config. Pure: the caller reads the files (io/config) and passes their
// text here, so every rule is unit-testable and fuzzable without touching the disk.

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/diagnostic.h"
#include "core/result.h"

namespace lbd {

struct ConfigSource {
  std::string path;  // shown in diagnostics
  std::string text;
  bool is_main = false;  // the main file may hold every section; pools.d files only
                         // [[pool]], [[bgp.peer]] and [[bgp.advertisement]]
};

/// Parses and validates all sources together. Every problem in every file is reported, in
/// source order, not just the first.
Result<Config, Diagnostics> parseConfig(const std::vector<ConfigSource>& sources);

}  // namespace lbd

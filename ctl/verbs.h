#pragma once
// One function per lbctl verb; each returns the exit code.

#include <cstdint>
#include <optional>
#include <string>

#include "output_options.h"

namespace lbctl {

int statusVerb(const OutputOptions& options);
int poolsVerb(const OutputOptions& options);
int servicesVerb(const OutputOptions& options);
int peersVerb(const OutputOptions& options);
int reloadVerb(const OutputOptions& options);
int checkConfigVerb(const OutputOptions& options, const std::string& config_path,
                    const std::optional<std::string>& pools_dir);

/// Prints "Failed to <what>: <reason>" on stderr and returns `exit_code`.
int failed(const std::string& what, const std::string& reason, int exit_code);
/// CLOCK_REALTIME in microseconds, the unit of the daemon's timestamps ("5min ago").
std::uint64_t nowUsec();
/// Writes `json` to stdout in the chosen mode.
void printJson(const std::string& dumped_pretty, const std::string& dumped_short, JsonMode mode);

}  // namespace lbctl

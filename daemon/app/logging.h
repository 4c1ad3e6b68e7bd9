#pragma once
// Sets up spdlog once at start-up: to the journal (structured fields) or to stderr.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "app/daemon_options.h"

namespace lbd {

void setupLogging(LogTarget target, const std::string& level);

/// A logger for one component ("config", "bus", ...): same sinks and level as the default
/// logger; its name becomes the journal field LBD_COMPONENT.
std::shared_ptr<spdlog::logger> componentLogger(const std::string& component);

}  // namespace lbd

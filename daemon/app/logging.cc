#include "app/logging.h"

#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "io/sd/journal_sink.h"

namespace lbd {

void setupLogging(LogTarget target, const std::string& level) {
  const bool journal =
      target == LogTarget::Journal || (target == LogTarget::Auto && sd::stderrIsJournal());
  spdlog::sink_ptr sink;
  if (journal) {
    sink = std::make_shared<sd::JournalSink>();
  } else {
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    // No timestamps when stderr is not a terminal: whoever collects it (journald, a test
    // harness) stamps lines itself.
    console->set_pattern(isatty(2) ? "%H:%M:%S.%e %^%l%$: %v" : "%l: %v");
    sink = console;
  }
  auto logger = std::make_shared<spdlog::logger>("lbd", sink);
  logger->set_level(spdlog::level::from_str(level == "warning" ? "warn" : level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

std::shared_ptr<spdlog::logger> componentLogger(const std::string& component) {
  return spdlog::default_logger()->clone(component);
}

}  // namespace lbd

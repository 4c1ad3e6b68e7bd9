#pragma once
// spdlog sink that writes to the systemd journal with structured fields, so operators can
// filter with `journalctl -u lbd LBD_COMPONENT=config` or `CONFIG_FILE=/etc/lbd/lbd.toml`.
//
// Fields on every entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=lbd, LBD_COMPONENT (the logger
// name), CODE_FILE/CODE_LINE/CODE_FUNC when known, plus any fields of an active JournalFields
// scope on this thread.

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/sinks/base_sink.h>

namespace lbd::sd {

/// Extra journal fields attached to every entry logged on this thread while the scope lives.
/// Field names follow journal rules: upper case, digits and '_', not starting with '_'.
class JournalFields {
 public:
  explicit JournalFields(std::vector<std::pair<std::string, std::string>> fields);
  ~JournalFields();
  JournalFields(const JournalFields&) = delete;
  JournalFields& operator=(const JournalFields&) = delete;

  /// Fields of every live scope on this thread, outermost first.
  static std::vector<std::pair<std::string, std::string>> current();

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
  const JournalFields* outer_;
};

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override {}
};

/// True when stderr is connected to the journal (systemd sets JOURNAL_STREAM to its dev:inode).
bool stderrIsJournal();

}  // namespace lbd::sd

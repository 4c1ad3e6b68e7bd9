#include "io/sd/journal_sink.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>

namespace lbd::sd {
namespace {

thread_local const JournalFields* innermost_scope = nullptr;

int syslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

}  // namespace

JournalFields::JournalFields(std::vector<std::pair<std::string, std::string>> fields)
    : fields_(std::move(fields)), outer_(innermost_scope) {
  innermost_scope = this;
}

JournalFields::~JournalFields() {
  innermost_scope = outer_;
}

std::vector<std::pair<std::string, std::string>> JournalFields::current() {
  std::vector<const JournalFields*> scopes;
  for (const JournalFields* scope = innermost_scope; scope != nullptr; scope = scope->outer_) {
    scopes.push_back(scope);
  }
  std::vector<std::pair<std::string, std::string>> all;
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    all.insert(all.end(), (*it)->fields_.begin(), (*it)->fields_.end());
  }
  return all;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& message) {
  std::vector<std::string> fields;
  fields.push_back("MESSAGE=" + std::string(message.payload.data(), message.payload.size()));
  fields.push_back("PRIORITY=" + std::to_string(syslogPriority(message.level)));
  fields.push_back("SYSLOG_IDENTIFIER=lbd");
  if (message.logger_name.size() > 0) {
    fields.push_back("LBD_COMPONENT=" +
                     std::string(message.logger_name.data(), message.logger_name.size()));
  }
  if (!message.source.empty()) {
    fields.push_back(std::string("CODE_FILE=") + message.source.filename);
    fields.push_back("CODE_LINE=" + std::to_string(message.source.line));
    fields.push_back(std::string("CODE_FUNC=") + message.source.funcname);
  }
  for (const auto& [name, value] : JournalFields::current()) {
    fields.push_back(name + "=" + value);
  }
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (auto& field : fields)
    iov.push_back({field.data(), field.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

bool stderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return st.st_dev == device && st.st_ino == inode;
}

}  // namespace lbd::sd

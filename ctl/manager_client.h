#pragma once
// lbctl's side of io.lbd1: connects to the bus, calls the daemon, and turns D-Bus errors into
// one-line messages with lbctl's exit codes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lbctl {

/// A failure to show the user: "Failed to <what>: <reason>" with an exit code.
struct CtlError {
  int exit_code;
  std::string reason;
};

struct ResourceInfo {
  std::string name;
  bool synced = false;
  std::uint64_t objects = 0;
  std::uint64_t malformed = 0;
  std::string state;
};

struct DaemonStatus {
  std::string version;
  std::string node;
  std::string config_path;
  std::string config_hash;
  std::string config_error;
  std::uint64_t config_loaded_at_usec = 0;
  std::uint64_t started_at_usec = 0;
  std::string kubernetes_state;
  std::string kubernetes_server;
  std::string kubernetes_last_error;
  std::vector<ResourceInfo> kubernetes_resources;
};

struct PoolInfo {
  std::string name;
  std::string mode;
  std::vector<std::string> families;
  std::string size;  // exact decimal
  std::uint64_t used = 0;
  std::string free;  // exact decimal
  std::vector<std::string> ranges;
};

class ManagerClient {
 public:
  /// "system", "session" or a D-Bus address.
  static std::variant<std::unique_ptr<ManagerClient>, CtlError> connect(const std::string& bus);
  ~ManagerClient();

  std::variant<DaemonStatus, CtlError> status();
  std::variant<std::vector<PoolInfo>, CtlError> pools();
  std::optional<CtlError> reload();

  struct Impl;

 private:
  explicit ManagerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lbctl

#include <iostream>

#include "exit_codes.h"
#include "manager_client.h"
#include "verbs.h"

namespace lbctl {

int reloadVerb(const OutputOptions& options) {
  auto client = ManagerClient::connect(options.bus);
  if (auto* error = std::get_if<CtlError>(&client))
    return failed("connect to lbd", error->reason, error->exit_code);
  if (auto error = std::get<std::unique_ptr<ManagerClient>>(client)->reload()) {
    return failed("reload configuration", error->reason, error->exit_code);
  }
  return kExitOk;
}

}  // namespace lbctl

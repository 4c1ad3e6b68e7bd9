#include <iostream>

#include "verbs.h"

namespace lbctl {

int failed(const std::string& what, const std::string& reason, int exit_code) {
  std::cerr << "Failed to " << what << ": " << reason << '\n';
  return exit_code;
}

void printJson(const std::string& dumped_pretty, const std::string& dumped_short, JsonMode mode) {
  std::cout << (mode == JsonMode::Pretty ? dumped_pretty : dumped_short) << '\n';
}

}  // namespace lbctl

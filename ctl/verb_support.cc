#include <chrono>
#include <iostream>

#include "verbs.h"

namespace lbctl {

int failed(const std::string& what, const std::string& reason, int exit_code) {
  std::cerr << "Failed to " << what << ": " << reason << '\n';
  return exit_code;
}

std::uint64_t nowUsec() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void printJson(const std::string& dumped_pretty, const std::string& dumped_short, JsonMode mode) {
  std::cout << (mode == JsonMode::Pretty ? dumped_pretty : dumped_short) << '\n';
}

}  // namespace lbctl

#pragma once
// Reads fixtures from tests/data (recorded from a real kube-apiserver v1.28.7).
#include <fstream>
#include <sstream>
#include <string>

namespace lbd::testing {

inline std::string readTestData(const std::string& relative) {
  std::ifstream in(std::string(LBD_TEST_DATA) + "/" + relative, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace lbd::testing

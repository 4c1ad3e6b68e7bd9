// Fuzzes the whole configuration parser: any bytes as the main file must give a Config or
// diagnostics, never a crash, a hang or an exception.
#include <cstdint>
#include <string>

#include "core/config/config_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = lbd::parseConfig({lbd::ConfigSource{"fuzz.toml", std::move(text), true}});
  if (!config) {
    for (const auto& diagnostic : config.error())
      (void)diagnostic.toString();
  }
  return 0;
}

// Fuzzes the label selector parser; a parsed selector must survive a round trip through its
// canonical text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/label_selector.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto selector = lbd::LabelSelector::parse(text)) {
    auto again = lbd::LabelSelector::parse(selector->toString());
    if (!again || !(again.value() == selector.value())) std::abort();
    (void)selector->matches({{"app", "web"}});
  }
  return 0;
}

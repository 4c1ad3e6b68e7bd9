#pragma once
// Options every verb honours.

#include <string>

namespace lbctl {

enum class JsonMode { Off, Pretty, Short };

struct OutputOptions {
  JsonMode json = JsonMode::Off;
  bool legend = true;   // header line and "N ... listed." footer
  bool colour = false;  // only when stdout is a terminal and NO_COLOR is unset
  std::string bus = "system";
};

}  // namespace lbctl

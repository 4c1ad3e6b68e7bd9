#include "core/config/diagnostic.h"

namespace lbd {

std::string Diagnostic::toString() const {
  std::string text = where.file;
  if (where.line > 0) {
    text += ":" + std::to_string(where.line);
    if (where.column > 0) text += ":" + std::to_string(where.column);
  }
  text += ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

std::string toString(const Diagnostics& diagnostics) {
  std::string text;
  for (const auto& diagnostic : diagnostics) {
    if (!text.empty()) text += '\n';
    text += diagnostic.toString();
  }
  return text;
}

}  // namespace lbd

#include "table.h"

#include <algorithm>

namespace lbctl {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::addRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (auto& cell : cells) {
    if (cell.empty()) cell = "-";
  }
  rows_.push_back(std::move(cells));
}

std::string Table::render(bool header, bool colour) const {
  std::vector<std::size_t> widths(columns_.size(), 0);
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (header) widths[c] = columns_[c].header.size();
    for (const auto& row : rows_)
      widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string& cell = cells[c];
      const std::size_t pad = widths[c] - cell.size();
      const bool last = c + 1 == cells.size();
      if (columns_[c].align == Align::Right) {
        out += std::string(pad, ' ') + cell;
      } else {
        out += cell;
        if (!last) out += std::string(pad, ' ');
      }
      if (!last) out += ' ';
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + "\n";
  };
  std::string out;
  if (header) {
    std::vector<std::string> titles;
    for (const auto& column : columns_)
      titles.push_back(column.header);
    const std::string text = line(titles);
    // Bold header on terminals, as networkctl does.
    out += colour ? "\033[1m" + text.substr(0, text.size() - 1) + "\033[0m\n" : text;
  }
  for (const auto& row : rows_)
    out += line(row);
  return out;
}

}  // namespace lbctl

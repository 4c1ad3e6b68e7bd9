#pragma once
// networkctl-style tables: lower-case header, columns padded to their widest cell, "-" for
// empty cells, numbers right-aligned.

#include <string>
#include <vector>

namespace lbctl {

class Table {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string header;
    Align align = Align::Left;
  };

  explicit Table(std::vector<Column> columns);
  void addRow(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }
  /// The rendered table; the header is omitted when `header` is false. Lines end in '\n'
  /// and carry no trailing spaces.
  std::string render(bool header, bool colour) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace lbctl

#include "io/config/config_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lbd {
namespace {

namespace fs = std::filesystem;

Result<std::string, Diagnostic> readFile(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    return Unexpected{Diagnostic{SourceLocation{path, 0, 0}, "", "cannot read: it is a directory"}};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Unexpected{Diagnostic{SourceLocation{path, 0, 0}, "",
                                 std::string("cannot read: ") + std::strerror(errno)}};
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return Unexpected{Diagnostic{SourceLocation{path, 0, 0}, "",
                                 std::string("cannot read: ") + std::strerror(errno)}};
  }
  return buffer.str();
}

}  // namespace

std::string defaultPoolsDir(const std::string& main_path) {
  const fs::path parent = fs::path(main_path).parent_path();
  return (parent.empty() ? fs::path("pools.d") : parent / "pools.d").string();
}

Result<std::vector<ConfigSource>, Diagnostics> readConfigSources(
    const std::string& main_path, std::optional<std::string> pools_dir) {
  std::vector<ConfigSource> sources;
  Diagnostics problems;
  if (auto text = readFile(main_path)) {
    sources.push_back(ConfigSource{main_path, std::move(text.value()), true});
  } else {
    problems.push_back(std::move(text).error());
  }

  const std::string directory = pools_dir.value_or(defaultPoolsDir(main_path));
  std::error_code error;
  if (fs::exists(directory, error)) {
    std::vector<std::string> files;
    for (fs::directory_iterator it(directory, error), end; !error && it != end;
         it.increment(error)) {
      const std::string name = it->path().filename().string();
      // Hidden files are editor swap files and the like; *.toml~ backups do not end in .toml.
      if (name.empty() || name.front() == '.' || it->path().extension() != ".toml") continue;
      if (!it->is_regular_file(error)) continue;
      files.push_back(it->path().string());
    }
    if (error) {
      problems.push_back(Diagnostic{SourceLocation{directory, 0, 0}, "",
                                    "cannot list the directory: " + error.message()});
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      if (auto text = readFile(file)) {
        sources.push_back(ConfigSource{file, std::move(text.value()), false});
      } else {
        problems.push_back(std::move(text).error());
      }
    }
  }
  if (!problems.empty()) return Unexpected{std::move(problems)};
  return sources;
}

Result<Config, Diagnostics> loadConfig(const std::string& main_path,
                                       std::optional<std::string> pools_dir) {
  auto sources = readConfigSources(main_path, std::move(pools_dir));
  if (!sources) return Unexpected{std::move(sources).error()};
  return parseConfig(sources.value());
}

}  // namespace lbd

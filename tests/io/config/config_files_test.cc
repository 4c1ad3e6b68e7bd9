#include "io/config/config_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lbd {
namespace {

namespace fs = std::filesystem;

class ConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lbd-config-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "pools.d");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& relative, const std::string& text) {
    std::ofstream(dir_ / relative) << text;
  }
  std::string path(const std::string& relative) const { return (dir_ / relative).string(); }
  fs::path dir_;
};

TEST_F(ConfigFilesTest, ReadsMainThenSortedTomlFilesOnly) {
  write("lbd.toml", "[bgp]\nasn = 65001\n");
  write("pools.d/20-b.toml", "[[pool]]\nname = \"b\"\naddresses = [\"192.0.2.8/29\"]\n");
  write("pools.d/10-a.toml", "[[pool]]\nname = \"a\"\naddresses = [\"192.0.2.0/29\"]\n");
  write("pools.d/30-c.toml.sample", "not toml at all [[[");
  write("pools.d/.40-d.toml", "hidden [[[");
  write("pools.d/50-e.toml~", "backup [[[");
  fs::create_directory(dir_ / "pools.d" / "60-dir.toml");
  auto config = loadConfig(path("lbd.toml"));
  ASSERT_TRUE(config) << toString(config.error());
  EXPECT_EQ(config->files, (std::vector<std::string>{path("lbd.toml"), path("pools.d/10-a.toml"),
                                                     path("pools.d/20-b.toml")}));
  ASSERT_EQ(config->pools.size(), 2u);
  EXPECT_EQ(config->pools[0].name, "a");
}

TEST_F(ConfigFilesTest, MissingPoolsDirIsFine) {
  fs::remove_all(dir_ / "pools.d");
  write("lbd.toml", "");
  EXPECT_TRUE(loadConfig(path("lbd.toml")));
}

TEST_F(ConfigFilesTest, ExplicitPoolsDir) {
  write("lbd.toml", "");
  fs::create_directories(dir_ / "other");
  write("other/x.toml", "[[pool]]\nname = \"x\"\naddresses = [\"192.0.2.1\"]\n");
  auto config = loadConfig(path("lbd.toml"), path("other"));
  ASSERT_TRUE(config);
  EXPECT_EQ(config->pools.size(), 1u);
  EXPECT_EQ(defaultPoolsDir("/etc/lbd/lbd.toml"), "/etc/lbd/pools.d");
  EXPECT_EQ(defaultPoolsDir("lbd.toml"), "pools.d");
}

TEST_F(ConfigFilesTest, UnreadableFilesAreDiagnosticsNotCrashes) {
  auto missing = loadConfig(path("nope.toml"));
  ASSERT_FALSE(missing);
  ASSERT_EQ(missing.error().size(), 1u);
  EXPECT_EQ(missing.error()[0].toString(),
            path("nope.toml") + ": cannot read: No such file or directory");

  fs::create_directory(dir_ / "dir.toml");
  auto directory = loadConfig(path("dir.toml"));
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error()[0].toString(), path("dir.toml") + ": cannot read: it is a directory");
}

TEST_F(ConfigFilesTest, ProblemsOfEveryFileTogether) {
  write("lbd.toml", "[node]\nnmae = \"x\"\n");
  write("pools.d/a.toml", "[[pool]]\nname = \"a\"\n");
  auto config = loadConfig(path("lbd.toml"));
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 2u);
  EXPECT_EQ(config.error()[0].toString(),
            path("lbd.toml") + ":2:1: node.nmae: unknown key (did you mean \"name\"?)");
  EXPECT_EQ(config.error()[1].where.file, path("pools.d/a.toml"));
}

}  // namespace
}  // namespace lbd

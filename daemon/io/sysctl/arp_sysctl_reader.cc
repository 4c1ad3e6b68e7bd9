#include "io/sysctl/arp_sysctl_reader.h"

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace lbd::sysctl {
namespace {

Result<int> readInteger(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail("cannot read " + path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty())
    return fail(path.string() + " holds \"" + text + "\", not an integer");
  return value;
}

// Interface names come from the kernel and config; never let one walk out of conf/.
bool validConfName(std::string_view name) {
  return !name.empty() && name.size() < 16 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace

Result<l2::ArpSysctls> readArpSysctls(std::string_view conf,
                                      const std::filesystem::path& proc_sys) {
  if (!validConfName(conf)) return fail("\"" + std::string(conf) + "\" is not an interface name");
  const auto directory = proc_sys / "net/ipv4/conf" / std::string(conf);
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error))
    return fail("no IPv4 settings for " + std::string(conf) + " (" + directory.string() +
                " does not exist)");
  auto ignore = readInteger(directory / "arp_ignore");
  if (!ignore) return Unexpected{ignore.error()};
  auto announce = readInteger(directory / "arp_announce");
  if (!announce) return Unexpected{announce.error()};
  return l2::ArpSysctls{*ignore, *announce};
}

Result<l2::KernelArpVerdict> checkKernelArp(std::string_view interface,
                                            const std::filesystem::path& proc_sys) {
  if (interface == "all" || interface == "default")
    return fail("\"" + std::string(interface) + "\" is not an interface name");
  auto all = readArpSysctls("all", proc_sys);
  if (!all) return Unexpected{all.error()};
  auto own = readArpSysctls(interface, proc_sys);
  if (!own) return Unexpected{own.error()};
  return l2::judgeKernelArp(interface, *all, *own);
}

}  // namespace lbd::sysctl

#include "dataplane/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <sstream>

#include "dataplane/port_setup.h"

namespace sbc::dataplane {
namespace {
bool g_initialised = false;
}

Status init_eal(const std::vector<std::string>& args) {
  if (g_initialised) return ok_status();
  std::vector<std::string> storage;
  storage.push_back("sbcd");
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int rc = rte_eal_init(static_cast<int>(storage.size()), argv.data());
  if (rc < 0) return make_error("rte_eal_init: " + std::string(rte_strerror(rte_errno)));
  g_initialised = true;
  return ok_status();
}

bool eal_initialised() {
  return g_initialised;
}

void cleanup_eal() {
  if (!g_initialised) return;
  std::string dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  g_initialised = false;
  if (!dir.empty() && rmdir(dir.c_str()) == 0) {
    auto slash = dir.rfind('/');
    if (slash != std::string::npos && slash > 0) rmdir(dir.substr(0, slash).c_str());
  }
}

std::vector<std::string> split_eal_args(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<std::string> eal_args_for_ports(const std::vector<std::string>& base,
                                            const std::vector<std::string>& ports) {
  std::vector<std::string> out = base;
  bool pci = false;
  for (const auto& p : ports) {
    std::string name = p.substr(0, p.find(','));
    if (is_pci_address(name)) {
      out.push_back("-a");
      out.push_back(p);
      pci = true;
    }
  }
  bool has_no_pci = false;
  for (const auto& a : base) has_no_pci |= a == "--no-pci";
  if (!pci && !has_no_pci) out.push_back("--no-pci");
  return out;
}

}  // namespace sbc::dataplane

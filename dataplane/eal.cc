#include "dataplane/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>

#include <sstream>

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

std::vector<std::string> split_eal_args(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

}  // namespace sbc::dataplane

// EAL initialisation, once per process (FACTS.md: re-init fails).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace sbc::dataplane {

// `args` are EAL options only; a dummy program name is put in front
// (rte_eal_init treats argv[0] as the program and would lose the first option).
Status init_eal(const std::vector<std::string>& args);
bool eal_initialised();
// rte_eal_cleanup, then removes the runtime directory EAL made even with
// --no-shconf (/var/run/dpdk/rte) if it is empty, and its parent if that is
// empty too: nothing is left behind. Another process's files are never
// touched (rmdir fails on a non-empty directory).
void cleanup_eal();

// Splits "--no-huge -m 512 --lcores=0@0" on blanks.
std::vector<std::string> split_eal_args(const std::string& text);

// The operator's EAL options plus what the legs' ports imply: an allow-list
// entry (-a) per PCI port, or --no-pci when no leg uses one (nothing to scan,
// and no NIC is taken by surprise).
std::vector<std::string> eal_args_for_ports(const std::vector<std::string>& base,
                                            const std::vector<std::string>& ports);

}  // namespace sbc::dataplane

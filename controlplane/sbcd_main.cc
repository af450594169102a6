// sbcd: the session border controller daemon.
#include <cstdio>
#include <string>
#include <vector>

#include "controlplane/log.h"
#include "controlplane/sbcd.h"
#include "controlplane/sbcd_options.h"
#include "controlplane/signal_watcher.h"
#include "controlplane/version.h"
#include "policy/loader.h"

using namespace sbc;
using namespace sbc::controlplane;

namespace {
int check_policy(const SbcdOptions& o) {
  auto loaded = policy::load_policy_file(o.policy_file);
  int errors = 0, warnings = 0;
  for (const auto& d : loaded.diagnostics) {
    fprintf(stderr, "%s\n", d.to_string().c_str());
    (d.severity == policy::Diagnostic::Severity::error ? errors : warnings)++;
  }
  if (errors || (o.strict && warnings)) {
    fprintf(stderr, "%s: %d error(s), %d warning(s)\n", o.policy_file.c_str(), errors, warnings);
    return 1;
  }
  printf("%s: ok (%d warning(s))\n", o.policy_file.c_str(), warnings);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked mask and
  // signals reach only the event loop's signalfd.
  block_control_signals();

  auto options = parse_sbcd_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    fprintf(stderr, "sbcd: %s\n%s", options.error().message.c_str(), sbcd_usage().c_str());
    return 2;
  }
  switch (options->mode) {
    case SbcdOptions::Mode::help:
      fputs(sbcd_usage().c_str(), stdout);
      return 0;
    case SbcdOptions::Mode::version:
      puts("sbcd " SBC_VERSION);
      return 0;
    case SbcdOptions::Mode::check:
      return check_policy(*options);
    case SbcdOptions::Mode::run:
      break;
  }
  log::set_level(options->log_level);
  auto sbcd = Sbcd::start(*options);
  if (!sbcd) {
    log::error("start_failed", {{"reason", sbcd.error().message}});
    return 1;
  }
  (*sbcd)->run();
  log::info("stopped");
  return 0;
}

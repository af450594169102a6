// sbcd: the session border controller daemon.
#include <cstdio>
#include <string>
#include <vector>

#include "controlplane/log.h"
#include "controlplane/sbcd.h"
#include "controlplane/sbcd_options.h"
#include "controlplane/signal_watcher.h"
#include "controlplane/version.h"
#include "policy/policy_check.h"

using namespace sbc;
using namespace sbc::controlplane;

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
      return policy::check_policy_file(options->policy_file, options->strict, stdout, stderr);
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

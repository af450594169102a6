#include "controlplane/sbcd_options.h"

#include <cstdlib>

namespace sbc::controlplane {

std::string sbcd_usage() {
  return "usage: sbcd --policy FILE [options]     run the SBC\n"
         "       sbcd --check FILE [--strict]     validate a policy and exit\n"
         "       sbcd --version\n"
         "options:\n"
         "  --admin-socket PATH   sbcctl's socket (default /run/sbcd/admin.sock)\n"
         "  --admin-group GROUP   members of GROUP may use sbcctl (default: sbcd's user only)\n"
         "  --debug-commands      allow `sbcctl debug` (stall MS: blocks the control loop to\n"
         "                        check overload shedding; off in production)\n"
         "  --metrics ADDR:PORT   Prometheus endpoint (default 127.0.0.1:9464; 'off' disables)\n"
         "  --no-dataplane        control-plane-only mode: SIP on kernel sockets, no DPDK\n"
         "  --eal 'ARGS'          DPDK EAL options (default '-l 0-1 --main-lcore 0 --no-huge\n"
         "                        -m 512 --no-shconf --no-telemetry')\n"
         "  --media-idle-timeout S     seconds without media before MediaIdle (default 30)\n"
         "  --media-one-way-timeout S  seconds one side is silent before OneWay (default 10)\n"
         "  --overload-lag S      the control loop this late sheds new non-emergency calls\n"
         "                        with 503 (default 0.5; 0: never)\n"
         "  --overload-hold S     ... until it stayed under half of it this long (default 5)\n"
         "  --neighbour-timeout S  seconds a media next hop may go unconfirmed by the kernel\n"
         "                        (re-resolved meanwhile) before it is removed (default 30)\n"
         "  --offload-pinhole-rules N  exact media pinholes offered to each NIC as rte_flow\n"
         "                        rules at most; more stay software only (default 4096; 0: none)\n"
         "  --call-records PATH   append one JSON line per ended call (reopened on reload)\n"
         "  --failover-timeout S  seconds without a provisional response before the next\n"
         "                        route candidate is tried (default: the policy's\n"
         "                        timers.failover, 4 s unless set)\n"
         "  --log-level LEVEL     debug, info, warn or error (default info)\n"
         "  --log-rate-limit N    lines per event per second, the rest summed up in one\n"
         "                        log_suppressed line (default 20; 0: no limit)\n"
         "  --registrations-db F  SQLite file for phone registrations\n"
         "                        (default /var/lib/sbc/registrations.db)\n"
         "  --realm REALM         digest realm, and the domain of phones' AORs (default sbc)\n"
         "  --digest ALGS         digest algorithms to offer: sha256,md5 (default), sha256 or "
         "md5\n"
         "  --outbound-retry MIN,MAX  seconds before retrying a failed registration to a\n"
         "                        carrier, doubling up to MAX (default 5,300)\n"
         "  --resolv-conf FILE    nameservers for trunks named by DNS, resolv.conf format\n"
         "                        (default /etc/resolv.conf)\n";
}

Result<SbcdOptions> parse_sbcd_options(const std::vector<std::string>& args) {
  SbcdOptions o;
  bool have_policy = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* what) -> Result<std::string> {
      if (i + 1 >= args.size()) return make_error(a + " needs " + what);
      return args[++i];
    };
    if (a == "--policy" || a == "--check") {
      auto v = value("a policy file");
      if (!v) return v.error();
      o.policy_file = *v;
      have_policy = true;
      if (a == "--check") o.mode = SbcdOptions::Mode::check;
    } else if (a == "--strict") {
      o.strict = true;
    } else if (a == "--admin-socket") {
      auto v = value("a path");
      if (!v) return v.error();
      o.admin_socket = *v;
    } else if (a == "--admin-group") {
      auto v = value("a group name");
      if (!v) return v.error();
      if (v->empty()) return make_error("--admin-group needs a group name");
      o.admin_group = *v;
    } else if (a == "--metrics") {
      auto v = value("ADDRESS:PORT or 'off'");
      if (!v) return v.error();
      if (*v != "off" && v->find(':') == std::string::npos)
        return make_error("--metrics expects ADDRESS:PORT or 'off', got '" + *v + "'");
      o.metrics_listen = *v;
    } else if (a == "--debug-commands") {
      o.debug_commands = true;
    } else if (a == "--no-dataplane") {
      o.dataplane = false;
    } else if (a == "--eal") {
      auto v = value("EAL options");
      if (!v) return v.error();
      o.eal_args = *v;
    } else if (a == "--media-idle-timeout" || a == "--media-one-way-timeout" ||
               a == "--neighbour-timeout") {
      auto v = value("seconds");
      if (!v) return v.error();
      char* end = nullptr;
      double secs = std::strtod(v->c_str(), &end);
      if (v->empty() || *end || secs <= 0)
        return make_error(a + " expects a positive number of seconds, got '" + *v + "'");
      (a == "--media-idle-timeout"      ? o.media_idle_timeout_s
       : a == "--media-one-way-timeout" ? o.media_one_way_timeout_s
                                        : o.neighbour_timeout_s) = secs;
    } else if (a == "--offload-pinhole-rules") {
      auto v = value("a rule count");
      if (!v) return v.error();
      char* end = nullptr;
      unsigned long n = std::strtoul(v->c_str(), &end, 10);
      if (v->empty() || *end || n > 1000000)
        return make_error(a + " expects a rule count (0-1000000), got '" + *v + "'");
      o.offload_pinhole_rules = static_cast<uint32_t>(n);
    } else if (a == "--overload-lag" || a == "--overload-hold") {
      auto v = value("seconds");
      if (!v) return v.error();
      char* end = nullptr;
      double secs = std::strtod(v->c_str(), &end);
      const double min = a == "--overload-lag" ? 0 : 0.1;
      if (v->empty() || *end || !(secs >= min && secs <= 3600))
        return make_error(a + " expects seconds (" + (min > 0 ? "0.1" : "0") + "-3600), got '" +
                          *v + "'");
      (a == "--overload-lag" ? o.overload_lag_s : o.overload_hold_s) = secs;
    } else if (a == "--log-level") {
      auto v = value("a level");
      if (!v) return v.error();
      if (!log::parse_level(*v, o.log_level))
        return make_error("unknown log level '" + *v + "' (debug, info, warn, error)");
    } else if (a == "--log-rate-limit") {
      auto v = value("lines per second");
      if (!v) return v.error();
      char* end = nullptr;
      unsigned long n = std::strtoul(v->c_str(), &end, 10);
      if (v->empty() || *end || (*v)[0] == '-' || n > 100000)
        return make_error("--log-rate-limit expects 0..100000 lines per second, got '" + *v + "'");
      o.log_rate_limit = static_cast<unsigned>(n);
    } else if (a == "--call-records") {
      auto v = value("a path");
      if (!v) return v.error();
      o.call_records = *v;
    } else if (a == "--failover-timeout") {
      auto v = value("seconds");
      if (!v) return v.error();
      char* end = nullptr;
      double s = strtod(v->c_str(), &end);
      if (v->empty() || *end != '\0' || !(s >= 0.1 && s <= 300))
        return make_error("--failover-timeout expects seconds between 0.1 and 300, got '" + *v +
                          "'");
      o.no_provisional_timeout = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
    } else if (a == "--registrations-db") {
      auto v = value("a file");
      if (!v) return v.error();
      o.registrations_db = *v;
    } else if (a == "--realm") {
      auto v = value("a realm");
      if (!v) return v.error();
      if (v->empty() || v->find_first_of("\" \t\r\n") != std::string::npos)
        return make_error("--realm must be a non-empty token");
      o.realm = *v;
    } else if (a == "--digest") {
      auto v = value("sha256,md5, sha256 or md5");
      if (!v) return v.error();
      if (*v == "sha256,md5")
        o.digest_sha256 = o.digest_md5 = true;
      else if (*v == "sha256")
        o.digest_sha256 = true, o.digest_md5 = false;
      else if (*v == "md5")
        o.digest_sha256 = false, o.digest_md5 = true;
      else
        return make_error("--digest takes sha256,md5, sha256 or md5, not '" + *v + "'");
    } else if (a == "--outbound-retry") {
      auto v = value("MIN,MAX seconds");
      if (!v) return v.error();
      char* end = nullptr;
      double lo = std::strtod(v->c_str(), &end);
      double hi = *end == ',' ? std::strtod(end + 1, &end) : -1;
      if (v->empty() || *end != '\0' || !(lo >= 0.1 && hi >= lo && hi <= 86400))
        return make_error(
            "--outbound-retry expects MIN,MAX seconds with 0.1 <= MIN <= MAX <= "
            "86400, got '" +
            *v + "'");
      o.outbound_retry_min = std::chrono::milliseconds(static_cast<int64_t>(lo * 1000));
      o.outbound_retry_max = std::chrono::milliseconds(static_cast<int64_t>(hi * 1000));
    } else if (a == "--resolv-conf") {
      auto v = value("a resolv.conf file");
      if (!v) return v.error();
      if (v->empty()) return make_error("--resolv-conf needs a file");
      o.resolv_conf = *v;
    } else if (a == "--version") {
      o.mode = SbcdOptions::Mode::version;
    } else if (a == "--help" || a == "-h") {
      o.mode = SbcdOptions::Mode::help;
    } else {
      return make_error("unknown argument '" + a + "'");
    }
  }
  if ((o.mode == SbcdOptions::Mode::run || o.mode == SbcdOptions::Mode::check) && !have_policy)
    return make_error("a policy file is required (--policy FILE or --check FILE)");
  if (o.strict && o.mode != SbcdOptions::Mode::check)
    return make_error("--strict goes with --check");
  return o;
}

}  // namespace sbc::controlplane

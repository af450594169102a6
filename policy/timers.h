// Every protocol timer the SBC runs, with production defaults (RFC 3261,
// RFC 4028). The lab and the tests shorten them in the policy's `timers`.
#pragma once

#include "policy/duration.h"

namespace sbc::policy {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

struct Timers {
  // SIP transactions (RFC 3261 17.1.1.1, table 4).
  Duration t1{milliseconds(500)};  // RTT estimate
  Duration t2{seconds(4)};         // maximum retransmit interval (non-INVITE, responses)
  Duration t4{seconds(5)};         // how long the network holds a message
  Duration timer_b{seconds(32)};   // INVITE transaction timeout (64*T1)
  Duration timer_c{minutes(3)};    // proxy INVITE timeout: ringing with no answer
  Duration timer_f{seconds(32)};   // non-INVITE transaction timeout (64*T1)
  // A route candidate that sends no provisional response this long is given
  // up (CANCEL) and the next one tried.
  Duration failover{seconds(4)};
  // Session timers (RFC 4028).
  Duration session_expires{seconds(1800)};
  Duration min_se{seconds(90)};
  // Registrations accepted from phones.
  Duration registration_min{seconds(60)};
  Duration registration_max{seconds(3600)};
  Duration registration_default{seconds(600)};
  // OPTIONS probing of peers that do not set their own interval.
  Duration probe_interval{seconds(30)};
  Duration probe_timeout{seconds(5)};
  // Keepalive toward phones behind NAT (OPTIONS or CRLF) so the pinhole in
  // their router stays open.
  Duration nat_keepalive{seconds(25)};
  // Trunks and registrars named by DNS (RFC 3263): a name is looked up again
  // when its answer's TTL runs out, that TTL held within [dns_ttl_min,
  // dns_ttl_max] so a zero TTL cannot become a query storm nor a week-long
  // one outlive a carrier's move. A lookup that fails is retried after
  // dns_retry (the last good answer stays in use meanwhile); one with no
  // answer within dns_timeout has failed.
  Duration dns_ttl_min{seconds(30)};
  Duration dns_ttl_max{hours(1)};
  Duration dns_retry{seconds(10)};
  Duration dns_timeout{seconds(5)};
};

}  // namespace sbc::policy

// One DNS question and its answer, asynchronously: the seam between the trunk
// resolver's logic (unit-tested over a fake) and Sofia's sresolv
// (sres_dns_query.h), which never blocks the event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/ip_address.h"

namespace sbc::controlplane {

enum class DnsType { a, srv };

struct DnsAnswer {
  enum class Status {
    ok,            // records of the type asked for
    no_such_name,  // NXDOMAIN
    no_records,    // the name exists but has no record of that type
    timeout,       // no answer in time
    failed,        // server failure, refusal, a malformed answer, no server configured
  };
  struct Srv {
    uint16_t priority = 0;
    uint16_t weight = 0;
    uint16_t port = 0;
    std::string target;
    friend bool operator==(const Srv&, const Srv&) = default;
  };
  Status status = Status::failed;
  std::vector<Srv> srv;        // SRV questions
  std::vector<Ipv4Address> a;  // A questions
  uint32_t ttl = 0;            // the smallest TTL of the records kept
};

const char* to_string(DnsAnswer::Status s);

class DnsQuery {
 public:
  using Id = uint64_t;
  using Done = std::function<void(const DnsAnswer&)>;
  virtual ~DnsQuery() = default;
  // `done` runs once, on a later turn of the event loop, never inside query().
  virtual Id query(DnsType type, const std::string& name, Done done) = 0;
  // `done` will not run. Unknown or finished ids are ignored.
  virtual void cancel(Id id) = 0;
};

}  // namespace sbc::controlplane

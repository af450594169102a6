// DnsQuery over Sofia-SIP's sresolv: its sockets and retransmission timer sit
// on the su_root of the event loop (sres_resolver_create), so a lookup never
// blocks the control plane. The resolver configuration (nameservers) comes
// from a resolv.conf-format file, `sbcd --resolv-conf` (default
// /etc/resolv.conf), re-read by sresolv when it changes.
#pragma once

#include <sofia-sip/sresolv.h>

#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "controlplane/dns_query.h"
#include "controlplane/event_loop.h"

namespace sbc::controlplane {

// sresolv's records for one question, as a DnsAnswer: only records of the
// type asked for (and of the name asked, when any carry it: other names come
// from additional sections or a CNAME chain); error records give the status.
DnsAnswer answer_from_records(DnsType type, const std::string& name, sres_record_t* const* records);

class SresDnsQuery final : public DnsQuery {
 public:
  static Result<std::unique_ptr<SresDnsQuery>> create(EventLoop& loop,
                                                      const std::string& resolv_conf);
  ~SresDnsQuery() override;
  SresDnsQuery(const SresDnsQuery&) = delete;
  SresDnsQuery& operator=(const SresDnsQuery&) = delete;

  Id query(DnsType type, const std::string& name, Done done) override;
  void cancel(Id id) override;

 private:
  struct Pending;
  explicit SresDnsQuery(EventLoop& loop);
  static void on_answer(sres_context_t* context, sres_query_t* q, sres_record_t** answers);
  static void discard(sres_context_t* resolver, sres_query_t* q, sres_record_t** answers);
  void fail_later(Id id);

  EventLoop& loop_;
  sres_resolver_t* res_ = nullptr;
  Id next_id_ = 1;
  std::map<Id, std::unique_ptr<Pending>> pending_;
};

}  // namespace sbc::controlplane

// What sresolv's records become: only the type asked for, the name asked
// when records carry it, error records as statuses, nothing trusted blindly.
#include "controlplane/sres_dns_query.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <deque>

using namespace sbc;
using namespace sbc::controlplane;
using S = DnsAnswer::Status;

namespace {

// Records built the way sresolv hands them over (plain C structs).
struct Records {
  std::deque<sres_record_t> store;
  std::vector<sres_record_t*> list;
  sres_common_t& add(uint16_t type, const char* name, uint32_t ttl, uint16_t status = 0) {
    store.emplace_back();
    sres_record_t& r = store.back();
    std::memset(&r, 0, sizeof r);
    r.sr_record->r_type = type;
    r.sr_record->r_name = const_cast<char*>(name);
    r.sr_record->r_ttl = ttl;
    r.sr_record->r_status = status;
    list.push_back(&r);
    return *r.sr_record;
  }
  void a(const char* name, const char* addr, uint32_t ttl = 60) {
    add(sres_type_a, name, ttl);
    inet_pton(AF_INET, addr, &store.back().sr_a->a_addr);
  }
  void srv(const char* name, uint16_t prio, uint16_t weight, uint16_t port, const char* target,
           uint32_t ttl = 60) {
    add(sres_type_srv, name, ttl);
    sres_srv_record_t* s = store.back().sr_srv;
    s->srv_priority = prio;
    s->srv_weight = weight;
    s->srv_port = port;
    s->srv_target = const_cast<char*>(target);
  }
  sres_record_t* const* get() {
    list.push_back(nullptr);
    return list.data();
  }
};

}  // namespace

TEST(SresAnswer, ARecordsOfTheNameAskedWithTheSmallestTtl) {
  Records r;
  r.a("carrier.test.", "198.18.2.10", 300);
  r.a("CARRIER.test", "198.18.2.11", 30);
  r.a("carrier.test", "198.18.2.10", 300);  // a duplicate
  r.a("elsewhere.test", "198.18.9.9", 1);   // an additional record for another name
  r.add(sres_type_cname, "carrier.test", 5);
  DnsAnswer a = answer_from_records(DnsType::a, "carrier.test", r.get());
  EXPECT_EQ(a.status, S::ok);
  ASSERT_EQ(a.a.size(), 2u);
  EXPECT_EQ(a.a[0].to_string(), "198.18.2.10");
  EXPECT_EQ(a.a[1].to_string(), "198.18.2.11");
  EXPECT_EQ(a.ttl, 30u);
}

TEST(SresAnswer, AnAliasesRecordsCountWhenNoneCarryTheNameAsked) {
  Records r;  // what sresolv gives after following a CNAME
  r.a("real.carrier.test", "198.18.2.10", 60);
  DnsAnswer a = answer_from_records(DnsType::a, "carrier.test", r.get());
  EXPECT_EQ(a.status, S::ok);
  ASSERT_EQ(a.a.size(), 1u);
}

TEST(SresAnswer, SrvRecords) {
  Records r;
  r.srv("_sip._udp.carrier.test", 10, 60, 5070, "a.carrier.test.", 120);
  r.srv("_sip._udp.carrier.test", 20, 0, 5080, "b.carrier.test.", 90);
  r.a("a.carrier.test", "198.18.2.10", 1);  // additional section: not an SRV
  DnsAnswer a = answer_from_records(DnsType::srv, "_sip._udp.carrier.test", r.get());
  EXPECT_EQ(a.status, S::ok);
  ASSERT_EQ(a.srv.size(), 2u);
  EXPECT_EQ(a.srv[0], (DnsAnswer::Srv{10, 60, 5070, "a.carrier.test."}));
  EXPECT_EQ(a.ttl, 90u);
  EXPECT_TRUE(a.a.empty());
}

TEST(SresAnswer, ErrorRecordsBecomeStatuses) {
  auto status = [](uint16_t sres_status) {
    Records r;
    r.add(sres_type_a, "carrier.test", 0, sres_status);
    return answer_from_records(DnsType::a, "carrier.test", r.get()).status;
  };
  EXPECT_EQ(status(SRES_NAME_ERR), S::no_such_name);
  EXPECT_EQ(status(SRES_RECORD_ERR), S::no_records);
  EXPECT_EQ(status(SRES_TIMEOUT_ERR), S::timeout);
  EXPECT_EQ(status(SRES_SERVER_ERR), S::failed);
  EXPECT_EQ(status(SRES_AUTH_ERR), S::failed);
  EXPECT_EQ(status(SRES_NETWORK_ERR), S::failed);
}

TEST(SresAnswer, NothingUsableIsNoRecordsAndNoListIsAFailure) {
  Records r;
  r.srv("_sip._udp.carrier.test", 10, 0, 5060, "a.carrier.test");  // asked for A
  EXPECT_EQ(answer_from_records(DnsType::a, "carrier.test", r.get()).status, S::no_records);
  Records empty;
  EXPECT_EQ(answer_from_records(DnsType::a, "carrier.test", empty.get()).status, S::no_records);
  EXPECT_EQ(answer_from_records(DnsType::a, "carrier.test", nullptr).status, S::failed);
}

TEST(SresAnswer, ASrvRecordWithNoTargetIsKeptAsEmpty) {
  Records r;
  r.srv("_sip._udp.carrier.test", 0, 0, 0, nullptr);
  DnsAnswer a = answer_from_records(DnsType::srv, "_sip._udp.carrier.test", r.get());
  ASSERT_EQ(a.srv.size(), 1u);
  EXPECT_EQ(a.srv[0].target, "") << "the resolver treats it like '.': no service";
}

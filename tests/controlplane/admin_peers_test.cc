// `sbcctl peers` rendering from hand-made rows: the CPS and LAST FAILURE
// columns and their JSON, beside the columns that were there before.
#include "controlplane/admin_peers.h"

#include <gtest/gtest.h>

#include <regex>

using namespace sbc::controlplane;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'100));

PeerView peer(const char* name, const char* kind, const char* leg, const char* health,
              const char* registration) {
  PeerView v;
  v.name = name;
  v.kind = kind;
  v.leg = leg;
  v.health = health;
  v.registration = registration;
  return v;
}

PeerView trunk() {
  PeerView v = peer("carA", "trunk", "core", "up", "-");
  v.address = "198.18.2.10:5060";
  v.channels_max = 30;
  v.channels_in_use = 2;
  v.calls_in_window = 7;
  v.window_seconds = 10;
  v.cps_max = 5;
  v.last_failure =
      PeerFailure{503, "Service Unavailable", "outbound", kNow - std::chrono::seconds(42)};
  return v;
}

}  // namespace

TEST(PeersReply, TableShowsCpsAgainstTheCapAndTheLastFailure) {
  PeerView phone = peer("alice", "phone", "access", "-", "never");
  auto r = peers_reply({trunk(), phone}, false, kNow);
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.body.find("CPS         REGISTRATION             LAST FAILURE\n"), std::string::npos)
      << r.body;
  EXPECT_TRUE(std::regex_search(
      r.body, std::regex("\ncarA +trunk +core +198\\.18\\.2\\.10:5060 +- +up +- +2/30 +0\\.7/5 +- +"
                         "503 Service Unavailable, outbound, 42s ago\n")))
      << r.body;
  EXPECT_TRUE(std::regex_search(
      r.body, std::regex("\nalice +phone +access +- +- +- +- +0/- +0\\.0/- +never +-\n")))
      << r.body;
}

TEST(PeersReply, ATrunkNamedByDnsShowsItsStateAndAnswers) {
  PeerView v = peer("carC", "trunk", "core", "up", "-");
  v.address = "carrier.example";
  v.dns_state = "stale";
  PeerDnsView d;
  d.key = "dns";
  d.name = "carrier.example";
  d.state = "stale";
  d.addresses = {"198.18.2.10:5060"};
  d.status = PeerDnsView::Status{true, "timeout", 30, 4.5, 3, 1};
  v.dns.push_back(d);
  auto table = peers_reply({v}, false, kNow);
  EXPECT_TRUE(std::regex_search(table.body,
                                std::regex("\ncarC +trunk +core +carrier\\.example +stale +up ")))
      << table.body;
  auto json = peers_reply({v}, true, kNow);
  EXPECT_NE(
      json.body.find("\"dns\":{\"name\":\"carrier.example\",\"state\":\"stale\","
                     "\"addresses\":[\"198.18.2.10:5060\"],\"srv\":true,\"error\":\"timeout\","
                     "\"ttl_seconds\":30,\"next_lookup_in_seconds\":4.5,\"lookups_ok\":3,"
                     "\"lookups_failed\":1}"),
      std::string::npos)
      << json.body;
}

TEST(PeersReply, JsonCarriesTheWindowTheCapAndTheFailure) {
  auto r = peers_reply({trunk()}, true, kNow);
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.body.find("\"cps\":{\"now\":0.69999999999999996,\"calls_in_window\":7,"
                        "\"window_seconds\":10,\"max\":5},"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\"last_failure\":{\"status\":503,\"reason\":\"Service Unavailable\","
                        "\"direction\":\"outbound\",\"at_unix_seconds\":1700000058,"
                        "\"seconds_ago\":42}"),
            std::string::npos)
      << r.body;
  PeerView quiet = trunk();
  quiet.cps_max = 0;
  quiet.last_failure.reset();
  auto q = peers_reply({quiet}, true, kNow);
  EXPECT_NE(q.body.find("\"max\":null},\"last_failure\":null}"), std::string::npos) << q.body;
}

TEST(PeersReply, AgoIsShortAtEveryScale) {
  using std::chrono::seconds;
  EXPECT_EQ(ago_text(seconds(0)), "0s");
  EXPECT_EQ(ago_text(seconds(119)), "119s");
  EXPECT_EQ(ago_text(seconds(600)), "10m");
  EXPECT_EQ(ago_text(seconds(3 * 3600)), "3h");
  EXPECT_EQ(ago_text(seconds(5 * 86400)), "5d");
  EXPECT_EQ(ago_text(-seconds(3)), "0s") << "a wall clock stepped back";
}

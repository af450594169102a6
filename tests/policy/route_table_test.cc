#include "policy/route_table.h"

#include <gtest/gtest.h>

namespace sbc::policy {
namespace {

Route route(std::string prefix, std::string from_peer = "", std::string from_group = "") {
  Route r;
  r.prefix = std::move(prefix);
  r.from_peer = std::move(from_peer);
  r.from_group = std::move(from_group);
  return r;
}

const auto kAny = [](const Route&) { return true; };

TEST(RouteTable, LongestPrefixWins) {
  std::vector<Route> routes = {route("4"), route("49"), route("4930"), route("")};
  RouteTable t(routes);
  EXPECT_EQ(t.longest_match(routes, "4930123", kAny), 2);
  EXPECT_EQ(t.longest_match(routes, "4940", kAny), 1);
  EXPECT_EQ(t.longest_match(routes, "41", kAny), 0);
  EXPECT_EQ(t.longest_match(routes, "1", kAny), 3);  // default
  EXPECT_EQ(t.longest_match(routes, "", kAny), 3);
  EXPECT_EQ(t.longest_match(routes, "493", kAny), 1);  // shorter than 4930: not a match
}

TEST(RouteTable, NoDefaultMeansNoMatch) {
  std::vector<Route> routes = {route("6"), route("8")};
  RouteTable t(routes);
  EXPECT_EQ(t.longest_match(routes, "7000", kAny), -1);
  EXPECT_EQ(t.longest_match(routes, "6000", kAny), 0);
  RouteTable empty;
  EXPECT_EQ(empty.longest_match(routes, "6000", kAny), -1);
}

TEST(RouteTable, SourceFilterFallsBackToShorterPrefix) {
  std::vector<Route> routes = {route("8", ""), route("89", "pbx")};
  RouteTable t(routes);
  auto from = [](std::string name) {
    return [name](const Route& r) { return r.from_peer.empty() || r.from_peer == name; };
  };
  EXPECT_EQ(t.longest_match(routes, "8900", from("pbx")), 1);
  EXPECT_EQ(t.longest_match(routes, "8900", from("other")), 0);
}

TEST(RouteTable, MoreSpecificSourceWinsAtEqualPrefix) {
  std::vector<Route> routes = {route("1"), route("1", "", "agents"), route("1", "a1")};
  RouteTable t(routes);
  auto src = [](std::string name, std::string group) {
    return [=](const Route& r) {
      if (!r.from_peer.empty()) return r.from_peer == name;
      if (!r.from_group.empty()) return r.from_group == group;
      return true;
    };
  };
  EXPECT_EQ(t.longest_match(routes, "123", src("a1", "agents")), 2);
  EXPECT_EQ(t.longest_match(routes, "123", src("a2", "agents")), 1);
  EXPECT_EQ(t.longest_match(routes, "123", src("x", "")), 0);
}

TEST(RouteTable, SpecialDialCharacters) {
  std::vector<Route> routes = {route("+49"), route("*7"), route("#")};
  RouteTable t(routes);
  EXPECT_EQ(t.longest_match(routes, "+4930", kAny), 0);
  EXPECT_EQ(t.longest_match(routes, "*72", kAny), 1);
  EXPECT_EQ(t.longest_match(routes, "#1", kAny), 2);
  EXPECT_EQ(t.longest_match(routes, "49", kAny), -1);
  EXPECT_EQ(t.longest_match(routes, "+4a", kAny), -1);  // stops at a non-dial character
}

}  // namespace
}  // namespace sbc::policy

namespace sbc::policy {
namespace {

TEST(RouteTable, LookupByIdsMatchesLongestMatch) {
  std::vector<Route> routes = {route("1"), route("1", "", "agents"), route("1", "a1"),
                               route("12", "", "other"), route("")};
  routes[1].from_group_id = 7;
  routes[2].from_peer_id = 3;
  routes[3].from_group_id = 9;
  RouteTable t(routes);
  EXPECT_EQ(t.lookup("123", 3, {7}), 2);     // the named peer
  EXPECT_EQ(t.lookup("123", 4, {7}), 1);     // its group
  EXPECT_EQ(t.lookup("123", 4, {}), 0);      // any source
  EXPECT_EQ(t.lookup("123", 4, {5, 9}), 3);  // longer prefix for group 9
  EXPECT_EQ(t.lookup("9", kNoPeer, {}), 4);  // default, unidentified caller
  EXPECT_EQ(t.lookup("1", kNoPeer, {}), 0);
  RouteTable empty;
  EXPECT_EQ(empty.lookup("1", 3, {}), -1);
}

}  // namespace
}  // namespace sbc::policy

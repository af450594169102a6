#include "controlplane/sbcd_options.h"

#include <gtest/gtest.h>

using namespace sbc::controlplane;

TEST(SbcdOptions, Defaults) {
  auto o = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->mode, SbcdOptions::Mode::run);
  EXPECT_EQ(o->policy_file, "p.yaml");
  EXPECT_EQ(o->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(o->admin_socket, "/run/sbcd/admin.sock");
  EXPECT_TRUE(o->dataplane);
}

TEST(SbcdOptions, CheckAndStrict) {
  auto o = parse_sbcd_options({"--check", "p.yaml", "--strict"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->mode, SbcdOptions::Mode::check);
  EXPECT_TRUE(o->strict);
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p.yaml", "--strict"}).ok());
}

TEST(SbcdOptions, Errors) {
  EXPECT_FALSE(parse_sbcd_options({}).ok());
  EXPECT_FALSE(parse_sbcd_options({"--policy"}).ok());
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--bogus"}).ok());
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--metrics", "9464"}).ok());
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--log-level", "loud"}).ok());
  EXPECT_TRUE(parse_sbcd_options({"--policy", "p", "--metrics", "off", "--no-dataplane"}).ok());
  EXPECT_TRUE(parse_sbcd_options({"--version"}).ok());
}

TEST(SbcdOptions, CallRecordsAndFailoverTimeout) {
  auto d = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->call_records, "");
  EXPECT_FALSE(d->no_provisional_timeout.has_value()) << "the policy's timers.failover then";
  auto o = parse_sbcd_options({"--policy", "p.yaml", "--call-records", "/var/log/sbc/calls.jsonl",
                               "--failover-timeout", "2.5"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->call_records, "/var/log/sbc/calls.jsonl");
  EXPECT_EQ(o->no_provisional_timeout, std::chrono::milliseconds(2500));
  for (const char* bad : {"0", "0.05", "301", "abc", "2s", ""})
    EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--failover-timeout", bad}).ok()) << bad;
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--call-records"}).ok());
}

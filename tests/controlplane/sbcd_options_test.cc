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

TEST(SbcdOptions, OutboundRetry) {
  auto d = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outbound_retry_min, std::chrono::seconds(5));
  EXPECT_EQ(d->outbound_retry_max, std::chrono::seconds(300));
  auto o = parse_sbcd_options({"--policy", "p.yaml", "--outbound-retry", "0.2,1"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->outbound_retry_min, std::chrono::milliseconds(200));
  EXPECT_EQ(o->outbound_retry_max, std::chrono::seconds(1));
  for (const char* bad : {"5", "5,", ",5", "0,5", "10,5", "1,100000", "a,b", "1,2x", ""})
    EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--outbound-retry", bad}).ok()) << bad;
}

TEST(SbcdOptions, ResolvConf) {
  auto d = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->resolv_conf, "/etc/resolv.conf");
  auto o = parse_sbcd_options({"--policy", "p.yaml", "--resolv-conf", "/tmp/lab-resolv.conf"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->resolv_conf, "/tmp/lab-resolv.conf");
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--resolv-conf"}).ok());
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--resolv-conf", ""}).ok());
}

TEST(SbcdOptions, AdminGroup) {
  auto d = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->admin_group, "") << "no group: the socket is sbcd's user's only";
  auto o = parse_sbcd_options({"--policy", "p.yaml", "--admin-group", "sbcadmin"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->admin_group, "sbcadmin");
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--admin-group"}).ok());
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--admin-group", ""}).ok());
}

TEST(SbcdOptions, OverloadShedding) {
  auto d = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(d->overload_lag_s, 0.5);
  EXPECT_DOUBLE_EQ(d->overload_hold_s, 5);
  auto o =
      parse_sbcd_options({"--policy", "p.yaml", "--overload-lag", "0", "--overload-hold", "0.5"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_DOUBLE_EQ(o->overload_lag_s, 0);  // never shed
  EXPECT_DOUBLE_EQ(o->overload_hold_s, 0.5);
  for (const char* bad : {"-1", "x", "", "3601"})
    EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--overload-lag", bad}).ok()) << bad;
  EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--overload-hold", "0"}).ok());
  EXPECT_FALSE(d->debug_commands);
  auto dbg = parse_sbcd_options({"--policy", "p.yaml", "--debug-commands"});
  ASSERT_TRUE(dbg.ok());
  EXPECT_TRUE(dbg->debug_commands);
}

TEST(SbcdOptions, LogRateLimit) {
  auto d = parse_sbcd_options({"--policy", "p.yaml"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->log_rate_limit, 20u);
  auto o = parse_sbcd_options({"--policy", "p.yaml", "--log-rate-limit", "0"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->log_rate_limit, 0u);
  for (const char* bad : {"-1", "x", "", "1e3", "100001"})
    EXPECT_FALSE(parse_sbcd_options({"--policy", "p", "--log-rate-limit", bad}).ok()) << bad;
}

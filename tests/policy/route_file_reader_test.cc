// Route plans from CSV files: the same model and checks as YAML routes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/loader.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using testing::dump;
using testing::find;

class RouteFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sbc_policy_routes_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  LoadResult load_with(const std::string& csv) {
    std::ofstream(dir_ / "plan.csv") << csv;
    LoadOptions o;
    o.base_dir = dir_.string();
    return load_policy_text(std::string(testing::kLegs) + R"(peers:
  - {name: carrier-a, kind: trunk, leg: core, address: 198.18.2.10}
  - {name: carrier-b, kind: trunk, leg: core, address: 198.18.2.20}
  - {name: pbx, kind: trunk, leg: access, address: 198.18.1.10, groups: [internal]}
routes:
  - {prefix: "7", from: carrier-a, to: pbx}
route_files:
  - csv: plan.csv
)",
                            (dir_ / "p.yaml").string(), o);
  }
  std::filesystem::path dir_;
};

TEST_F(RouteFiles, RowsBecomeRoutes) {
  auto r = load_with(
      "# least-cost plan\nprefix,to,from_group,strip,prepend,emergency,caller_id\n"
      "default,carrier-a;carrier-b,internal,,,,\n"
      "4930,carrier-b;carrier-a,internal,2,0,false,+4930555\n"
      "112,carrier-a;carrier-b,internal,,,true,\n");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  const Policy& p = *r.policy;
  ASSERT_EQ(p.routes.size(), 4u);  // one from YAML, three from the file
  const Route& berlin = p.routes[2];
  EXPECT_EQ(berlin.prefix, "4930");
  EXPECT_EQ(p.peers[berlin.to[0]].name, "carrier-b");
  EXPECT_EQ(berlin.manipulation.apply_called("4930123"), "030123");
  EXPECT_EQ(*berlin.manipulation.caller_id, "+4930555");
  EXPECT_EQ(berlin.defined_at.line, 4);
  EXPECT_TRUE(p.routes[3].emergency);
  EXPECT_EQ(p.route_table.longest_match(p.routes, "49301",
                                        [](const Route& x) { return x.from_group == "internal"; }),
            2);
}

TEST_F(RouteFiles, ErrorsNameFileLineAndColumn) {
  auto r = load_with(
      "prefix,to,from\n"
      "12a,carrier-a,\n"
      "49,ghost,\n"
      "50,carrier-a;carrier-a,\n"
      "51,carrier-a,nobody\n");
  EXPECT_EQ(r.policy, nullptr);
  const auto* prefix = find(r.diagnostics, "invalid number prefix '12a'");
  ASSERT_NE(prefix, nullptr) << dump(r.diagnostics);
  EXPECT_NE(prefix->file.find("plan.csv"), std::string::npos);
  EXPECT_EQ(prefix->line, 2);
  EXPECT_EQ(prefix->field, "routes.prefix");
  EXPECT_EQ(find(r.diagnostics, "unknown peer 'ghost'")->line, 3);
  EXPECT_NE(find(r.diagnostics, "listed twice"), nullptr);
  EXPECT_EQ(find(r.diagnostics, "unknown peer 'nobody'")->field, "routes.from");
  auto header = load_with("prefix,destination\n1,carrier-a\n");
  EXPECT_NE(find(header.diagnostics, "unknown column 'destination'"), nullptr);
  EXPECT_NE(find(header.diagnostics, "missing required column 'to'"), nullptr);
}

TEST_F(RouteFiles, LintSeesFileRoutes) {
  auto r = load_with("prefix,to,from\n7,pbx,carrier-a\n");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_NE(find(r.diagnostics, "same prefix and source"), nullptr) << dump(r.diagnostics);
}

}  // namespace
}  // namespace sbc::policy

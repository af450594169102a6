// Hostile and broken input: a clear error, never a crash, in bounded time
// and memory.
#include "policy/yaml_guard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "policy/loader.h"
#include "tests/policy/policy_test_util.h"

namespace sbc::policy {
namespace {

using testing::dump;
using testing::find;

LoadResult load_raw(const std::string& text) {
  LoadOptions o;
  o.allow_member_files = false;
  return load_policy_text(text, "hostile.yaml", o);
}

TEST(YamlGuard, EmptyFile) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "---\n", "~\n"}) {
    auto r = load_raw(text);
    EXPECT_EQ(r.policy, nullptr) << text;
    EXPECT_NE(find(r.diagnostics, "empty"), nullptr) << text << dump(r.diagnostics);
  }
}

TEST(YamlGuard, BinaryGarbage) {
  std::mt19937 rng(42);
  std::string bytes(4096, '\0');
  for (int round = 0; round < 20; ++round) {
    for (char& c : bytes) c = static_cast<char>(rng());
    auto r = load_raw(bytes);
    EXPECT_EQ(r.policy, nullptr);
    EXPECT_FALSE(r.diagnostics.empty());
  }
  auto nul = load_raw(std::string("interfaces: []\0", 15));
  EXPECT_NE(find(nul.diagnostics, "NUL"), nullptr);
}

TEST(YamlGuard, NotUtf8) {
  auto r = load_raw("interfaces:\n  - name: caf\xe9\n");
  EXPECT_EQ(r.policy, nullptr);
  const auto* d = find(r.diagnostics, "not valid UTF-8");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->line, 2);
  EXPECT_EQ(d->column, 14);
  // Overlong encoding of '/' and a UTF-16 surrogate are invalid too.
  EXPECT_NE(find(load_raw("a: \xc0\xaf\n").diagnostics, "UTF-8"), nullptr);
  EXPECT_NE(find(load_raw("a: \xed\xa0\x80\n").diagnostics, "UTF-8"), nullptr);
  // Valid multi-byte text is fine (it fails later for other reasons).
  EXPECT_EQ(find(load_raw("a: \xc3\xa9\xe2\x82\xac\n").diagnostics, "UTF-8"), nullptr);
}

TEST(YamlGuard, HundredMegabyteFileIsRefusedBeforeParsing) {
  char path[] = "/tmp/sbc_policy_big_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  // Sparse: 100 MB of size without writing 100 MB.
  ASSERT_EQ(ftruncate(fd, 100ll << 20), 0);
  close(fd);
  auto r = load_policy_file(path);
  unlink(path);
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "larger than"), nullptr) << dump(r.diagnostics);
  auto text = load_raw(std::string(kMaxPolicyBytes + 1, ' '));
  EXPECT_NE(find(text.diagnostics, "at most"), nullptr);
}

TEST(YamlGuard, DeepFlowNesting) {
  // yaml-cpp recurses per level; 100,000 levels would overflow the stack.
  const std::string deep = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  auto r = load_raw(deep);
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "nested"), nullptr) << dump(r.diagnostics);
}

TEST(YamlGuard, DeepBlockNesting) {
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  auto r = load_raw(deep);
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_FALSE(r.diagnostics.empty());
  std::string compact;
  for (int i = 0; i < 5000; ++i) compact += "- ";
  compact += "x\n";
  auto c = load_raw(compact);
  EXPECT_NE(find(c.diagnostics, "too deep"), nullptr) << dump(c.diagnostics);
  // Moderately deep but within the parser-event limit: exact message.
  std::string mid = "a: " + std::string(40, '{');
  for (int i = 0; i < 40; ++i) mid += "}";
  auto m = load_raw(mid + "\n");
  EXPECT_NE(find(m.diagnostics, "nested"), nullptr) << dump(m.diagnostics);
}

TEST(YamlGuard, AliasBombIsNotExpanded) {
  // "Billion laughs": nine levels of nine aliases each.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) bomb += (k ? ", " : "") + prev;
    bomb += "]\n";
  }
  auto r = load_raw(bomb);
  EXPECT_EQ(r.policy, nullptr);
  EXPECT_NE(find(r.diagnostics, "expands to more than"), nullptr) << dump(r.diagnostics);
}

TEST(YamlGuard, SmallAliasesStillWork) {
  // Aliases are legal YAML and operators use them; only explosive ones are refused.
  auto r = testing::load(R"(peers:
  - name: a
    kind: trunk
    leg: core
    address: 198.18.2.10
    codecs: &audio [pcma, pcmu]
  - name: b
    kind: trunk
    leg: core
    address: 198.18.2.20
    codecs: *audio
)");
  ASSERT_NE(r.policy, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(r.policy->peers[1].codecs, (std::vector<std::string>{"pcma", "pcmu"}));
}

TEST(YamlGuard, DuplicateKeysAreErrorsWithAllOthers) {
  auto r = testing::load(R"(peers:
  - name: t
    kind: trunk
    leg: core
    address: 198.18.2.10
    channels: 10
    channels: 20
    colour: red
)");
  EXPECT_EQ(r.policy, nullptr);
  const auto* d = find(r.diagnostics, "duplicate key 'channels'");
  ASSERT_NE(d, nullptr) << dump(r.diagnostics);
  EXPECT_EQ(d->line, 14);
  EXPECT_EQ(d->field, "peers[0].channels");
  // The load went on and found the other error in the same run.
  EXPECT_NE(find(r.diagnostics, "unknown key 'colour'"), nullptr);
  auto top = load_raw("interfaces: []\ninterfaces: []\n");
  EXPECT_NE(find(top.diagnostics, "duplicate key 'interfaces'"), nullptr);
}

TEST(YamlGuard, SyntaxErrorHasPosition) {
  auto r = load_raw("interfaces:\n  - name: a\n   bad: [\n");
  EXPECT_EQ(r.policy, nullptr);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_NE(r.diagnostics[0].message.find("YAML syntax"), std::string::npos);
  EXPECT_GT(r.diagnostics[0].line, 0);
}

TEST(YamlGuard, MoreThanOneDocument) {
  auto r = load_raw("interfaces: []\n---\ninterfaces: []\n");
  EXPECT_NE(find(r.diagnostics, "more than one YAML document"), nullptr) << dump(r.diagnostics);
  auto end = load_raw("interfaces: []\n...\npeers: []\n");
  EXPECT_NE(find(end.diagnostics, "after the end of the document"), nullptr)
      << dump(end.diagnostics);
  // One document with its markers is fine.
  auto one = load_raw(std::string("%YAML 1.2\n---\n") + testing::kLegs + "...\n");
  EXPECT_NE(one.policy, nullptr) << dump(one.diagnostics);
}

TEST(YamlGuard, StrayCommaAfterATagTerminates) {
  // yaml-cpp's LoadAll never returns on these (fuzz_policy_loader found
  // them): the loader must answer, with or without an error.
  for (const char* text : {"!k:,\n", "!k: ,\n", "!:,\n", "!k:,,,,\n k: j\n:\n interf"}) {
    auto r = load_raw(text);
    EXPECT_EQ(r.policy, nullptr) << text;
    EXPECT_FALSE(r.diagnostics.empty()) << text;
  }
}

TEST(YamlGuard, CommaAtLineStartIsRefusedBeforeYamlCppLoopsOnIt) {
  // yaml-cpp 0.7 never returns on these (found by fuzz_policy_loader).
  for (const char* text : {",", ",a: b\n", "   ,a: {b: c}\n", "[a]\n,\n", "{a: b}\n,\n"}) {
    auto r = load_raw(text);
    EXPECT_EQ(r.policy, nullptr) << text;
    EXPECT_NE(find(r.diagnostics, "may not start with ','"), nullptr)
        << text << dump(r.diagnostics);
  }
  // Inside flow collections, quotes and block scalars a comma is just text.
  Diagnostics d;
  EXPECT_TRUE(
      check_yaml_text("a: [b\n  ,c]\nd: \"e\n  ,f\"\ng: |\n  ,h\n  ,i\nj: >-\n  ,k\n", "c.yaml", d))
      << dump(d);
  auto block = testing::load("media:\n  latching: |\n    ,strict\n");
  EXPECT_EQ(find(block.diagnostics, "may not start"), nullptr) << dump(block.diagnostics);
}

TEST(YamlGuard, QuotedBracketsAreNotNesting) {
  Diagnostics d;
  const std::string text = "a: \"" + std::string(100, '[') + "\"\nb: '" + std::string(100, '{') +
                           "'\nc: x # " + std::string(100, '[') + "\n";
  EXPECT_TRUE(check_yaml_text(text, "q.yaml", d)) << dump(d);
}

}  // namespace
}  // namespace sbc::policy

// Checks on a policy text before yaml-cpp builds a tree from it, so hostile
// or broken input costs bounded time and memory and gets a clear error:
//  - the text must be UTF-8 (yaml-cpp would pass bad bytes through);
//  - nesting is bounded before yaml-cpp's recursive descent sees it;
//  - aliases may not expand to more than kMaxExpandedNodes (a "billion
//    laughs" document is tiny as text and exponential when walked);
//  - duplicate keys are reported (yaml-cpp keeps both and returns the first);
//  - one document per file.
// The last three need a pass over parser events, as costly as the parse
// itself; it runs only when the text holds an alias. Otherwise duplicate
// keys are found by YamlReader::expect_map and extra documents by the
// loader.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "policy/diagnostic.h"

namespace sbc::policy {

inline constexpr int kMaxYamlDepth = 32;  // a policy needs about 6
inline constexpr size_t kMaxExpandedNodes = 4'000'000;

// Records every problem found; returns false when the text must not be
// parsed further (duplicate keys are recorded but do not stop the load).
bool check_yaml_text(std::string_view text, const std::string& file, Diagnostics& out);

}  // namespace sbc::policy

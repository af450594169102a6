// libFuzzer target: any bytes as a template's members CSV file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/member_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sbc::policy::Diagnostics out;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto rows = sbc::policy::parse_members_csv(text, "fuzz.csv", out);
  for (const auto& row : rows)
    if (row.name.empty() || row.password.empty() == row.ha1.empty()) __builtin_trap();
  return 0;
}

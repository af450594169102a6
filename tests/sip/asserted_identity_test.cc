// P-Asserted-Identity and Privacy at the trust boundary (RFC 3325 section 9).
#include "sip/asserted_identity.h"

#include <gtest/gtest.h>

using namespace sbc::sip;

namespace {
const CallerIdentity kCarrier{"<sip:+493012345@198.18.2.10>", "", false};
const CallerIdentity kCarrierPrivate{"<sip:+493012345@198.18.2.10>", "id", false};
const CallerIdentity kPhoneForged{"<sip:+4930999@evil>", "", false};
const char* kSbc = "<sip:alice@198.18.2.1>";
}  // namespace

TEST(AssertedIdentity, TrustedToTrustedPassesAsItIs) {
  auto out = identity_toward_callee(kCarrierPrivate, true, true, kSbc);
  EXPECT_EQ(out.asserted, kCarrierPrivate.asserted);
  EXPECT_EQ(out.privacy, "id");
  EXPECT_FALSE(out.anonymous) << "the trust domain applies the privacy";
}

TEST(AssertedIdentity, AnUntrustedCallersOwnAssertionIsReplacedByTheSbcs) {
  auto out = identity_toward_callee(kPhoneForged, false, true, kSbc);
  EXPECT_EQ(out.asserted, kSbc);
  auto none = identity_toward_callee({}, false, true, kSbc);
  EXPECT_EQ(none.asserted, kSbc) << "set from the verified identity";
}

TEST(AssertedIdentity, NeverTowardAnUntrustedPeer) {
  auto out = identity_toward_callee(kCarrier, true, false, kSbc);
  EXPECT_TRUE(out.asserted.empty());
  EXPECT_FALSE(out.anonymous);
  auto priv = identity_toward_callee(kCarrierPrivate, true, false, kSbc);
  EXPECT_TRUE(priv.asserted.empty());
  EXPECT_TRUE(priv.anonymous) << "Privacy: id honoured: the From user is withheld too";
  EXPECT_EQ(priv.privacy, "id");
}

TEST(AssertedIdentity, PrivacyLevels) {
  EXPECT_TRUE(privacy_hides_identity("id"));
  EXPECT_TRUE(privacy_hides_identity("ID"));
  EXPECT_TRUE(privacy_hides_identity("header; id"));
  EXPECT_TRUE(privacy_hides_identity("user"));
  EXPECT_FALSE(privacy_hides_identity("none"));
  EXPECT_FALSE(privacy_hides_identity(""));
  EXPECT_FALSE(privacy_hides_identity("identity"));
  EXPECT_FALSE(privacy_hides_identity("critical"));
}

TEST(AssertedIdentity, ValuesWithLineBreaksAreDropped) {
  CallerIdentity evil{"<sip:1@x>\r\nX-Injected: 1", "id\r\nX: y", false};
  auto out = identity_toward_callee(evil, true, true, kSbc);
  EXPECT_TRUE(out.asserted.empty());
  EXPECT_TRUE(out.privacy.empty());
  EXPECT_TRUE(safe_header_value(std::string(600, 'a')).empty());
}

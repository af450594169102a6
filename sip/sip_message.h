// Parses raw bytes into a Sofia SIP message the way the transport layer does
// (one complete datagram), for tests and fuzzing of everything that consumes
// parsed requests.
#pragma once

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>

#include <memory>
#include <string_view>

namespace sbc::sip {

struct MsgDeleter {
  void operator()(msg_t* m) const { msg_destroy(m); }
};
using MsgPtr = std::unique_ptr<msg_t, MsgDeleter>;

// Null when the bytes are not one complete SIP message.
MsgPtr parse_sip_message(std::string_view bytes);
const sip_t* sip_of(const MsgPtr& m);

}  // namespace sbc::sip

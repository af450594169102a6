#include "sip/sip_message.h"

#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip_header.h>

#include <cstring>

namespace sbc::sip {

MsgPtr parse_sip_message(std::string_view bytes) {
  MsgPtr msg(msg_create(sip_default_mclass(), MSG_DO_EXTRACT_COPY));
  if (!msg) return nullptr;
  void* buf = msg_buf_alloc(msg.get(), bytes.size() + 1);
  if (!buf) return nullptr;
  std::memcpy(buf, bytes.data(), bytes.size());
  msg_buf_commit(msg.get(), bytes.size(), /*eos=*/1);
  if (msg_extract(msg.get()) <= 0) return nullptr;
  return msg;
}

const sip_t* sip_of(const MsgPtr& m) {
  return m ? sip_object(m.get()) : nullptr;
}

}  // namespace sbc::sip

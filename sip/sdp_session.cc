#include "sip/sdp_session.h"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_string.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sbc::sip {
namespace {

sdp_media_t* nth_media(sdp_session_t* s, size_t i) {
  sdp_media_t* m = s ? s->sdp_media : nullptr;
  for (; m && i; --i) m = m->m_next;
  return m;
}

std::optional<Ipv4Address> ipv4_of(const sdp_connection_t* c) {
  if (!c || c->c_addrtype != sdp_addr_ip4 || !c->c_address) return std::nullopt;
  auto a = Ipv4Address::parse(c->c_address);
  if (!a) return std::nullopt;
  return *a;
}

sdp_connection_t* new_connection(su_home_t* home, Ipv4Address a) {
  auto* c = static_cast<sdp_connection_t*>(su_zalloc(home, sizeof(sdp_connection_t)));
  c->c_size = sizeof(sdp_connection_t);
  c->c_nettype = sdp_net_in;
  c->c_addrtype = sdp_addr_ip4;
  c->c_address = su_strdup(home, a.to_string().c_str());
  return c;
}

sdp_attribute_t* new_attribute(su_home_t* home, const char* name, const std::string& value) {
  auto* a = static_cast<sdp_attribute_t*>(su_zalloc(home, sizeof(sdp_attribute_t)));
  a->a_size = sizeof(sdp_attribute_t);
  a->a_name = su_strdup(home, name);
  a->a_value = value.empty() ? nullptr : su_strdup(home, value.c_str());
  return a;
}

void remove_all(sdp_attribute_t** list, const char* name) {
  while (sdp_attribute_remove(list, name)) {
  }
}

// b=AS and b=TIAS of the session (index 0) and of each m= section (1..n),
// read from the text: Debian's Sofia (1.12.11) stores "AS" as an unknown
// modifier named "AS" and every other one (TIAS, RR, RS) as sdp_bw_as with
// no name, so its structures cannot tell TIAS from RR. 0: absent.
std::vector<SdpSession::Bandwidth> bandwidth_lines(std::string_view body) {
  std::vector<SdpSession::Bandwidth> out(1);
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\r\n", pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 2;
    if (line.starts_with("m=")) out.emplace_back();
    if (!line.starts_with("b=")) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(2, colon - 2);
    const std::string_view text = line.substr(colon + 1);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) continue;
    const uint32_t value = static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
    auto is = [&](std::string_view want) {
      return name.size() == want.size() &&
             std::equal(name.begin(), name.end(), want.begin(),
                        [](char a, char b) { return (a >= 'a' && a <= 'z' ? a - 32 : a) == b; });
    };
    if (is("AS"))
      out.back().as_kbps = value;
    else if (is("TIAS"))
      out.back().tias_bps = value;
  }
  return out;
}

MediaDirection direction_of(unsigned mode) {
  switch (mode & 3) {
    case sdp_inactive:
      return MediaDirection::inactive;
    case sdp_sendonly:
      return MediaDirection::sendonly;
    case sdp_recvonly:
      return MediaDirection::recvonly;
    default:
      return MediaDirection::sendrecv;
  }
}

// Sofia's parser loops for ever, allocating, on an m= line whose format list
// reaches a byte that is not a token character (its token() returns without
// advancing). Found by tests/fuzz/sip/sdp_rewrite_fuzz.cc with a 107-byte
// body: one UDP packet would hang the event loop. So every m= line is checked
// against RFC 4566's grammar before Sofia sees the body:
//   m=<token> <port>[/<count>] <proto>[/<proto>...] <fmt> [<fmt> ...]
bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-!#$%&'*+.^_`{|}~").find(c) != std::string_view::npos;
}

bool media_line_is_well_formed(std::string_view line) {
  size_t i = 2;  // after "m="
  auto skip_spaces = [&] {
    size_t start = i;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i > start;
  };
  auto token = [&] {
    size_t start = i;
    while (i < line.size() && is_token_char(line[i])) ++i;
    return i > start;
  };
  // proto = token *("/" token): a leading or doubled '/' would print as
  // "<port> /x", which reads back as a port count.
  auto proto = [&] {
    if (!token()) return false;
    while (i < line.size() && line[i] == '/') {
      ++i;
      if (!token()) return false;
    }
    return true;
  };
  auto digits = [&] {
    size_t start = i;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
    return i > start && i - start <= 5;
  };
  if (!token() || !skip_spaces() || !digits()) return false;
  if (i < line.size() && line[i] == '/') {
    ++i;
    if (!digits()) return false;
  }
  if (!skip_spaces() || !proto()) return false;
  while (i < line.size()) {
    if (!skip_spaces()) return false;
    if (i < line.size() && !token()) return false;
  }
  return true;
}

// Sofia (Debian's 1.12.11) also loops for ever on a non-RTP m= line that
// ends in white space (its token() strips the blanks and returns an empty
// token without failing), and it strips leading blanks from every line, so
// " m=" is a media line to it. Phones do send trailing blanks, so rather than
// refuse them the body is rewritten line by line, without leading or trailing
// blanks and with CRLF endings, before it is checked and parsed. Found by
// tests/fuzz/sip/sdp_rewrite_fuzz.cc (minimal input "v=0\no=- 1 9IN IP4 0\n
// m=E 1 1\t\t", which took 19 GB and 145 s).
Result<std::string> normalized_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;  // Sofia skips blank lines too
    line = line.substr(first, line.find_last_not_of(" \t") - first + 1);
    if (line.starts_with("m=") && !media_line_is_well_formed(line))
      return make_error("invalid SDP: malformed m= line");
    out.append(line);
    out.append("\r\n");
  }
  return out;
}

}  // namespace

const char* to_string(MediaDirection d) {
  switch (d) {
    case MediaDirection::inactive:
      return "inactive";
    case MediaDirection::sendonly:
      return "sendonly";
    case MediaDirection::recvonly:
      return "recvonly";
    case MediaDirection::sendrecv:
      return "sendrecv";
  }
  return "?";
}

Result<SdpSession> SdpSession::parse(std::string_view text) {
  if (text.empty()) return make_error("empty SDP body");
  if (text.size() > kMaxBytes)
    return make_error("SDP body of " + std::to_string(text.size()) + " bytes exceeds " +
                      std::to_string(kMaxBytes));
  auto body = normalized_lines(text);
  if (!body) return body.error();
  SdpSession s;
  s.home_ = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  if (!s.home_) return make_error("out of memory");
  // sdp_f_mode_always on print only; here the parser folds a=sendrecv & co
  // into m_mode. sdp_f_c_missing is not given: every stream needs an address.
  sdp_parser_t* p = sdp_parse(s.home_, body->data(), static_cast<issize_t>(body->size()), 0);
  if (!p) return make_error("SDP parser could not be created");
  if (const char* err = sdp_parsing_error(p)) {
    std::string msg = std::string("invalid SDP: ") + err;
    sdp_parser_free(p);
    return make_error(msg);
  }
  // Own a copy in our home so the parser can go.
  s.sdp_ = sdp_session_dup(s.home_, sdp_session(p));
  sdp_parser_free(p);
  if (!s.sdp_) return make_error("invalid SDP: no session description");
  if (!s.sdp_->sdp_media) return make_error("SDP offers no media stream");
  s.bandwidth_ = bandwidth_lines(*body);
  s.refresh();
  return s;
}

SdpSession::SdpSession(SdpSession&& o) noexcept
    : home_(o.home_),
      sdp_(o.sdp_),
      streams_(std::move(o.streams_)),
      bandwidth_(std::move(o.bandwidth_)) {
  o.home_ = nullptr;
  o.sdp_ = nullptr;
}

SdpSession& SdpSession::operator=(SdpSession&& o) noexcept {
  if (this != &o) {
    if (home_) su_home_unref(home_);
    home_ = o.home_;
    sdp_ = o.sdp_;
    streams_ = std::move(o.streams_);
    bandwidth_ = std::move(o.bandwidth_);
    o.home_ = nullptr;
    o.sdp_ = nullptr;
  }
  return *this;
}

SdpSession::~SdpSession() {
  if (home_) su_home_unref(home_);
}

void SdpSession::refresh() {
  streams_.clear();
  for (sdp_media_t* m = sdp_->sdp_media; m; m = m->m_next) {
    SdpStream st;
    st.media = m->m_type_name ? m->m_type_name : "";
    st.proto = m->m_proto_name ? m->m_proto_name : "";
    st.address = ipv4_of(m->m_connections ? m->m_connections : sdp_->sdp_connection);
    st.port = static_cast<uint16_t>(m->m_port > 65535 ? 0 : m->m_port);
    st.rtcp_mux = sdp_attribute_find(m->m_attributes, "rtcp-mux") != nullptr;
    st.rtcp_port = st.rtcp_mux ? st.port : static_cast<uint16_t>(st.port ? st.port + 1 : 0);
    if (auto* a = sdp_attribute_find(m->m_attributes, "rtcp"); a && a->a_value && !st.rtcp_mux) {
      unsigned v = 0;
      auto [end, ec] = std::from_chars(a->a_value, a->a_value + std::strlen(a->a_value), v);
      (void)end;
      if (ec == std::errc() && v > 0 && v <= 65535) st.rtcp_port = static_cast<uint16_t>(v);
    }
    st.direction = direction_of(m->m_mode);
    st.has_crypto = sdp_attribute_find(m->m_attributes, "crypto") != nullptr;
    const sdp_attribute_t* ptime = sdp_attribute_find(m->m_attributes, "ptime");
    if (!ptime) ptime = sdp_attribute_find(sdp_->sdp_attributes, "ptime");
    if (ptime && ptime->a_value) {
      unsigned v = 0;
      auto [end, ec] =
          std::from_chars(ptime->a_value, ptime->a_value + std::strlen(ptime->a_value), v);
      (void)end;
      if (ec == std::errc() && v > 0 && v <= 1000) st.ptime_ms = v;
    }
    // Media level first, then session level.
    const size_t k = streams_.size() + 1;
    const Bandwidth media = k < bandwidth_.size() ? bandwidth_[k] : Bandwidth{};
    st.bandwidth_as_kbps = media.as_kbps ? media.as_kbps : bandwidth_[0].as_kbps;
    st.bandwidth_tias_bps = media.tias_bps ? media.tias_bps : bandwidth_[0].tias_bps;
    for (sdp_rtpmap_t* r = m->m_rtpmaps; r; r = r->rm_next) {
      SdpCodec c;
      c.payload_type = static_cast<uint8_t>(r->rm_pt);
      c.name = r->rm_encoding ? r->rm_encoding : "";
      c.clock_rate = static_cast<uint32_t>(r->rm_rate);
      c.params = r->rm_params ? r->rm_params : "";
      c.fmtp = r->rm_fmtp ? r->rm_fmtp : "";
      st.codecs.push_back(std::move(c));
    }
    streams_.push_back(std::move(st));
  }
}

void SdpSession::set_origin(std::string_view username, uint64_t session_id, uint64_t version,
                            Ipv4Address address) {
  auto* o = static_cast<sdp_origin_t*>(su_zalloc(home_, sizeof(sdp_origin_t)));
  o->o_size = sizeof(sdp_origin_t);
  o->o_username = su_strndup(home_, username.data(), static_cast<isize_t>(username.size()));
  o->o_id = session_id;
  o->o_version = version;
  o->o_address = new_connection(home_, address);
  sdp_->sdp_origin = o;
}

Status SdpSession::set_endpoint(size_t i, Ipv4Address address, uint16_t rtp_port,
                                uint16_t rtcp_port) {
  sdp_media_t* m = nth_media(sdp_, i);
  if (!m) return make_error("no media stream " + std::to_string(i));
  m->m_port = rtp_port;
  m->m_number_of_ports = 0;
  m->m_connections = new_connection(home_, address);
  sdp_->sdp_connection = new_connection(home_, address);
  // Any a=rtcp names the other side's port (and maybe address): replace it.
  remove_all(&m->m_attributes, "rtcp");
  if (!sdp_attribute_find(m->m_attributes, "rtcp-mux") && rtcp_port != rtp_port + 1)
    sdp_attribute_append(&m->m_attributes, new_attribute(home_, "rtcp", std::to_string(rtcp_port)));
  refresh();
  return ok_status();
}

void SdpSession::set_direction(size_t i, MediaDirection d) {
  if (sdp_media_t* m = nth_media(sdp_, i)) {
    m->m_mode = static_cast<unsigned>(d == MediaDirection::inactive   ? sdp_inactive
                                      : d == MediaDirection::sendonly ? sdp_sendonly
                                      : d == MediaDirection::recvonly ? sdp_recvonly
                                                                      : sdp_sendrecv);
    refresh();
  }
}

Status SdpSession::keep_codecs(size_t i, const std::vector<uint8_t>& payload_types) {
  sdp_media_t* m = nth_media(sdp_, i);
  if (!m) return make_error("no media stream " + std::to_string(i));
  sdp_rtpmap_t* kept = nullptr;
  sdp_rtpmap_t** tail = &kept;
  for (uint8_t pt : payload_types) {
    for (sdp_rtpmap_t** r = &m->m_rtpmaps; *r; r = &(*r)->rm_next) {
      if ((*r)->rm_pt == pt) {
        sdp_rtpmap_t* found = *r;
        *r = found->rm_next;
        found->rm_next = nullptr;
        *tail = found;
        tail = &found->rm_next;
        break;
      }
    }
  }
  if (!kept) return make_error("no acceptable codec left in stream " + std::to_string(i));
  m->m_rtpmaps = kept;
  refresh();
  return ok_status();
}

Status SdpSession::swap_payload_types(size_t i, uint8_t p, uint8_t q) {
  sdp_media_t* m = nth_media(sdp_, i);
  if (!m) return make_error("no media stream " + std::to_string(i));
  if (p > 127 || q > 127) return make_error("payload types are 0-127");
  for (sdp_rtpmap_t* r = m->m_rtpmaps; r; r = r->rm_next) {
    if (r->rm_pt == p)
      r->rm_pt = q;
    else if (r->rm_pt == q)
      r->rm_pt = p;
    else
      continue;
    // A static type's rtpmap line may be implied; numbered otherwise it
    // needs one printed.
    r->rm_predef = 0;
  }
  refresh();
  return ok_status();
}

void SdpSession::reject(size_t i) {
  if (sdp_media_t* m = nth_media(sdp_, i)) {
    m->m_port = 0;
    m->m_rejected = 1;
    refresh();
  }
}

void SdpSession::strip_ice() {
  static const char* kIce[] = {"candidate",    "ice-ufrag",         "ice-pwd",
                               "ice-options",  "remote-candidates", "ice-lite",
                               "ice-mismatch", "end-of-candidates"};
  for (const char* name : kIce) {
    remove_all(&sdp_->sdp_attributes, name);
    for (sdp_media_t* m = sdp_->sdp_media; m; m = m->m_next) remove_all(&m->m_attributes, name);
  }
}

Result<std::string> SdpSession::print() const {
  // mode_always: Sofia's printer drops a=sendrecv otherwise (FACTS.md).
  sdp_printer_t* pr = sdp_print(home_, sdp_, nullptr, 0, sdp_f_mode_always);
  if (!pr) return make_error("SDP printer could not be created");
  if (const char* err = sdp_printing_error(pr)) {
    std::string msg = std::string("SDP printing failed: ") + err;
    sdp_printer_free(pr);
    return make_error(msg);
  }
  std::string out(sdp_message(pr), static_cast<size_t>(sdp_message_size(pr)));
  sdp_printer_free(pr);
  return out;
}

}  // namespace sbc::sip

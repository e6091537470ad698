// libFuzzer target for the SIP parser and TCP framing: any bytes, both transports. Built with
// clang (-fsanitize=fuzzer,address,undefined) by run.sh; the RFC 4475 messages seed the corpus.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace callguard::sip;
  const char* p = reinterpret_cast<const char*>(data);
  Message m;
  ParseOptions udp;
  Parse(p, size, udp, &m);
  if (m.error == ParseError::kNone && m.is_request) {
    // Touch what screening reads, so that a bad view would be caught by ASan.
    std::string user;
    Unescape(m.ruri.user, &user);
    for (int i = 0; i < m.via_count && i < kMaxVias; ++i) user.append(m.vias[i].branch);
    for (int i = 0; i < m.pai_count; ++i) Unescape(m.pai[i].uri.user, &user);
  }
  ParseOptions tcp;
  tcp.datagram = false;
  int64_t n = FrameLength(p, size, 65536);
  if (n > 0 && static_cast<size_t>(n) <= size) Parse(p, static_cast<size_t>(n), tcp, &m);
  return 0;
}

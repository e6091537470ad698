// SIP message parser (RFC 3261 §7, §20, §25) written for call screening: it reads one message
// from a buffer the caller owns and fills a Message whose fields are views into that buffer (no
// copies, no allocation). It extracts what screening needs: the start line, every Via, From, To,
// Call-ID, CSeq, Contact, Max-Forwards, P-Asserted-Identity, Identity, Priority,
// Resource-Priority, Content-Length/Type and the body, in long or compact form, with folded lines
// and comma-separated values. Everything else is counted and skipped.
//
// It is strict where a mistake would change a screening answer (start line, scalar ranges, the
// headers a transaction needs, a body length that cannot be known) and liberal where RFC 4475
// allows it (a Date in another zone, unquoted display names with commas, spaces inside <>).
// Parse() never reads outside [data, data + size), never loops without progress, and returns a
// ParseError that names the header at fault. Folded values keep their CRLF inside the view;
// the helpers in uri.h treat CRLF + WSP as whitespace. Thread-safe (pure function).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/uri.h"

namespace callguard::sip {

// A Via value: "SIP/2.0/UDP host:port;branch=...;received=...;rport".
struct Via {
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", or any token
  std::string_view host;
  std::string_view port;  // empty when absent
  std::string_view branch;
  std::string_view received;
  std::string_view rport;  // value ("" when the flag has no value)
  bool has_rport = false;
  std::string_view value;  // the whole via-parm, for copying into responses
};

// Fixed capacities: a message with more values than this is answered, not stored in full
// (`*_count` keeps the true number; only the first kMax* are kept).
inline constexpr int kMaxVias = 64;
inline constexpr int kMaxContacts = 8;
inline constexpr int kMaxIdentities = 4;
inline constexpr int kMaxPai = 4;

enum class ParseError : uint8_t {
  kNone = 0,
  kEmpty,            // no bytes, or only CRLF keep-alives
  kStartLine,        // malformed request or status line
  kVersion,          // "SIP/x.y" other than 2.0 (answer 505)
  kHeader,           // malformed header line or value
  kMissingHeader,    // a mandatory header is absent
  kDuplicateHeader,  // a single-valued header appears twice
  kScalarRange,      // CSeq, Max-Forwards, Content-Length or Expires out of range
  kCSeqMismatch,     // CSeq method differs from the request method
  kContentLength,    // body length unknowable or larger than the data
  kTooLarge,         // more than the configured maximum size
  kIncomplete,       // (stream framing only) more bytes are needed
};
std::string_view ToString(ParseError e);

struct Message {
  bool is_request = false;
  // Request line.
  std::string_view method;
  std::string_view request_uri;
  Uri ruri;
  // Status line.
  int status_code = 0;
  std::string_view reason;

  Via vias[kMaxVias];
  int via_count = 0;
  std::string_view via_headers[kMaxVias];  // each raw Via header value, in order, for responses
  int via_header_count = 0;
  NameAddr from;
  NameAddr to;
  std::string_view from_header;  // raw values, copied verbatim into responses
  std::string_view to_header;
  std::string_view call_id;
  uint32_t cseq = 0;
  std::string_view cseq_method;
  std::string_view cseq_header;
  NameAddr contacts[kMaxContacts];
  int contact_count = 0;
  bool contact_star = false;
  int max_forwards = -1;  // -1 when absent
  NameAddr pai[kMaxPai];
  int pai_count = 0;
  std::string_view identities[kMaxIdentities];  // each Identity header value (RFC 8224)
  int identity_count = 0;
  std::string_view priority;           // Priority header value ("emergency", "urgent", ...)
  std::string_view resource_priority;  // Resource-Priority header value (RFC 4412)
  std::string_view require;            // Require header value, when present
  std::string_view content_type;
  int64_t content_length = -1;  // -1 when absent
  std::string_view body;
  std::string_view date;
  // Set by a trusted proxy in front (deploy/kamailio): the route the call came in on.
  std::string_view x_ingress;         // X-Callguard-Ingress
  std::string_view x_trunk;           // X-Callguard-Trunk
  std::string_view x_origin_ip;       // X-Callguard-Origin-IP
  std::string_view x_origin_country;  // X-Callguard-Origin-Country
  int header_count = 0;               // header fields seen (all names)
  size_t size = 0;                    // bytes of this message (start line to end of body)

  // Where a parse error was found (header name or "start-line") and a short description.
  ParseError error = ParseError::kNone;
  std::string_view error_where;
  const char* error_detail = "";
};

struct ParseOptions {
  // Datagram: the message ends at the end of the buffer; a Content-Length larger than what is
  // there is an error, and a missing one means "the rest". Stream: Content-Length is mandatory
  // and bytes after the body belong to the next message.
  bool datagram = true;
  size_t max_size = 65536;
};

// Parses one message from data[0, size). Returns kNone on success. On error, msg->error*,
// and whatever was parsed before the error, are set (a response can still be built when the
// Via, From, To, Call-ID and CSeq were read).
ParseError Parse(const char* data, size_t size, const ParseOptions& opt, Message* msg);

// Stream framing: the size of the first complete message in data[0, size) (headers plus
// Content-Length bytes), 0 when more bytes are needed, or -1 when the bytes cannot be a SIP
// message (no Content-Length, a header section over max_size, a bad length).
int64_t FrameLength(const char* data, size_t size, size_t max_size);

}  // namespace callguard::sip

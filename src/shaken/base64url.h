// base64url without padding (RFC 4648 §5), as JWS (RFC 7515) uses it. Decoding is strict: only
// the URL-safe alphabet, no padding, no white space, no impossible trailing bits.
#pragma once

#include <string>
#include <string_view>

namespace callguard::shaken {

std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace callguard::shaken

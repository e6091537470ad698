#include "investigate/signing.h"

#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdio>

#include "shaken/base64url.h"

using callguard::shaken::Base64UrlDecode;
using callguard::shaken::Base64UrlEncode;

namespace callguard::investigate {

namespace {
std::string Hex(const unsigned char* d, size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(hex[d[i] >> 4]);
    out.push_back(hex[d[i] & 15]);
  }
  return out;
}

std::string RawPublic(EVP_PKEY* key) {
  unsigned char raw[64];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) return "";
  return std::string(reinterpret_cast<char*>(raw), len);
}
}  // namespace

Result<Pkey> LoadSigningKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return Status::IoError(path + ": cannot open the signing key");
  Pkey k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!k) return Status::InvalidArgument(path + ": not a PEM private key");
  if (EVP_PKEY_id(k.get()) != EVP_PKEY_ED25519)
    return Status::InvalidArgument(path +
                                   ": the signing key must be Ed25519 (openssl genpkey -algorithm "
                                   "ed25519): its signatures are deterministic, so exports are "
                                   "reproducible");
  return k;
}

Result<Pkey> LoadPublicKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return Status::IoError(path + ": cannot open the public key");
  Pkey k(PEM_read_PUBKEY(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!k || EVP_PKEY_id(k.get()) != EVP_PKEY_ED25519)
    return Status::InvalidArgument(path + ": not a PEM Ed25519 public key");
  return k;
}

std::string PublicKeyText(EVP_PKEY* key) { return Base64UrlEncode(RawPublic(key)); }

Result<Pkey> PublicKeyFromText(const std::string& text) {
  std::string raw;
  if (!Base64UrlDecode(text, &raw) || raw.size() != 32)
    return Status::InvalidArgument("public key: expected 32 bytes of base64url");
  Pkey k(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!k) return Status::InvalidArgument("public key: not an Ed25519 key");
  return k;
}

std::string KeyId(EVP_PKEY* key) { return Sha256HexOf(RawPublic(key)).substr(0, 16); }

Result<std::string> Sign(EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[64];
  size_t len = sizeof sig;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
            EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Status::InvalidArgument("signing failed");
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(sig), len));
}

bool VerifySignature(EVP_PKEY* pub, std::string_view data, const std::string& signature) {
  std::string sig;
  if (!Base64UrlDecode(signature, &sig)) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pub) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string DeriveSecret(EVP_PKEY* key, std::string_view purpose) {
  unsigned char raw[64];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_private_key(key, raw, &len) != 1) return "";
  std::string k(reinterpret_cast<char*>(raw), len);
  OPENSSL_cleanse(raw, sizeof raw);
  std::string out = HmacSha256Hex(k, purpose);
  OPENSSL_cleanse(k.data(), k.size());
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return Hex(out, len);
}

std::string Sha256HexOf(std::string_view data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return Hex(d, sizeof d);
}

Result<std::string> ReadShareKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::IoError(path + ": cannot open the shared pseudonym key");
  std::string k;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && k.size() < (1 << 16)) k.append(buf, n);
  std::fclose(f);
  while (!k.empty() && std::isspace(static_cast<unsigned char>(k.back()))) k.pop_back();
  size_t b = 0;
  while (b < k.size() && std::isspace(static_cast<unsigned char>(k[b]))) ++b;
  k.erase(0, b);
  if (k.size() < 16)
    return Status::InvalidArgument(path + ": the shared key must be at least 16 bytes");
  return k;
}

}  // namespace callguard::investigate

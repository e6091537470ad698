// Keys, signatures and pseudonyms for what leaves the operator: Ed25519 (deterministic, so a
// signed export is reproducible byte for byte) over OpenSSL, and keyed HMAC-SHA256 pseudonyms.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "callguard/status.h"

namespace callguard::investigate {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An Ed25519 private key from a PEM file (`openssl genpkey -algorithm ed25519 -out key.pem`).
Result<Pkey> LoadSigningKey(const std::string& path);
// An Ed25519 public key from a PEM file (`openssl pkey -in key.pem -pubout`).
Result<Pkey> LoadPublicKey(const std::string& path);
// The raw 32-byte public key, base64url.
std::string PublicKeyText(EVP_PKEY* key);
Result<Pkey> PublicKeyFromText(const std::string& text);
// Short key id: the first 16 hex digits of SHA-256 of the raw public key.
std::string KeyId(EVP_PKEY* key);
Result<std::string> Sign(EVP_PKEY* key, std::string_view data);  // base64url signature
bool VerifySignature(EVP_PKEY* pub, std::string_view data, const std::string& signature);
// A secret derived from the private key for one purpose (pseudonym keys of exports).
std::string DeriveSecret(EVP_PKEY* key, std::string_view purpose);

// The key partners share for pseudonyms: a file's content, surrounding whitespace removed; at
// least 16 bytes.
Result<std::string> ReadShareKey(const std::string& path);

std::string HmacSha256Hex(std::string_view key, std::string_view data);
std::string Sha256HexOf(std::string_view data);

}  // namespace callguard::investigate

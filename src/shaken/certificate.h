// STI certificates (ATIS-1000080, RFC 8226) and the trust list they must chain to, over OpenSSL.
//
// A Certificate holds the leaf (the service provider's certificate, whose key signs PASSporTs)
// and any intermediates that came with it in the same PEM, plus what verification needs from
// it: whether the key is EC P-256, and the Service Provider Code from its TNAuthList extension
// (OID 1.3.6.1.5.5.7.1.26, a DER SEQUENCE OF TNEntry; an SPC is [0] EXPLICIT IA5String).
// Immutable once loaded; share it between threads freely. TrustStore: the configured STI-CA
// certificates; Verify() is thread-safe.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "callguard/status.h"

namespace callguard::shaken {

enum class TnAuthList { kAbsent, kMalformed, kNoSpc, kOk };

class Certificate {
 public:
  // The first certificate in `pem` is the leaf; the rest are intermediates.
  static Result<std::shared_ptr<const Certificate>> FromPem(std::string_view pem);
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  X509* leaf() const { return leaf_; }
  STACK_OF(X509) * intermediates() const { return chain_; }
  EVP_PKEY* key() const { return key_; }
  bool is_p256() const { return p256_; }
  TnAuthList tn_auth_list() const { return tn_auth_; }
  const std::string& spc() const { return spc_; }
  int64_t not_before() const { return not_before_; }
  int64_t not_after() const { return not_after_; }
  const std::string& fingerprint() const { return fingerprint_; }  // SHA-256 of the leaf (DER)
  // Checks an ECDSA P-256 SHA-256 signature in JWS form (raw r||s, 64 bytes) over `data`.
  bool VerifyEs256(std::string_view data, std::string_view raw_signature) const;

 private:
  Certificate() = default;
  X509* leaf_ = nullptr;
  STACK_OF(X509) * chain_ = nullptr;
  EVP_PKEY* key_ = nullptr;  // owned by leaf_
  bool p256_ = false;
  TnAuthList tn_auth_ = TnAuthList::kAbsent;
  std::string spc_;
  int64_t not_before_ = 0;
  int64_t not_after_ = 0;
  std::string fingerprint_;
};

class TrustStore {
 public:
  TrustStore();
  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;
  // Adds every certificate in `pem` as a trust anchor.
  Status AddPem(std::string_view pem, const std::string& where);
  Status AddFile(const std::string& path);
  // Adds certificate revocation lists (PEM). Once any is added, every chain is checked against
  // the CRL of the leaf's issuer, which must then be present (OpenSSL's X509_V_FLAG_CRL_CHECK).
  Status AddCrlPem(std::string_view pem, const std::string& where);
  Status AddCrlFile(const std::string& path);
  size_t size() const { return count_; }
  // Verifies the certificate's chain to an anchor as of Unix time `at`. On failure *why says
  // what OpenSSL found (expired, not yet valid, untrusted issuer...). A chain that verified is
  // remembered with the window in which all its certificates are valid, so the same certificate
  // at another time inside that window costs a lookup, not a second ECDSA verification.
  bool Verify(const Certificate& cert, int64_t at, std::string* why) const;

 private:
  X509_STORE* store_;
  size_t count_ = 0;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::pair<int64_t, int64_t>> verified_;  // by fingerprint
};

// Signs `data` with an EC P-256 private key (PEM): the raw 64-byte r||s JWS signature.
Result<std::string> SignEs256(std::string_view private_key_pem, std::string_view data);

}  // namespace callguard::shaken

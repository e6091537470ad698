#include "shaken/certificate.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace callguard::shaken {

namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

int64_t AsnTimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

// A minimal DER reader: one TLV at a time, never past the end.
struct Der {
  const uint8_t* p;
  const uint8_t* end;
  bool Next(uint8_t* tag, const uint8_t** value, size_t* len) {
    if (end - p < 2) return false;
    *tag = *p++;
    size_t l = *p++;
    if (l & 0x80) {
      int n = l & 0x7f;
      if (n == 0 || n > 4 || end - p < n) return false;
      l = 0;
      for (int i = 0; i < n; ++i) l = (l << 8) | *p++;
    }
    if (static_cast<size_t>(end - p) < l) return false;
    *value = p;
    *len = l;
    p += l;
    return true;
  }
};

// TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry;
// TNEntry ::= CHOICE { spc [0] ServiceProviderCode, range [1] TelephoneNumberRange,
//                      one [2] TelephoneNumber } (RFC 8226 §9, EXPLICIT TAGS)
TnAuthList ParseTnAuthList(const uint8_t* data, size_t size, std::string* spc) {
  Der outer{data, data + size};
  uint8_t tag;
  const uint8_t* v;
  size_t len;
  if (!outer.Next(&tag, &v, &len) || tag != 0x30 || outer.p != outer.end || len == 0)
    return TnAuthList::kMalformed;
  Der entries{v, v + len};
  bool any = false;
  while (entries.p < entries.end) {
    if (!entries.Next(&tag, &v, &len)) return TnAuthList::kMalformed;
    any = true;
    if (tag == 0xA0) {  // spc [0] EXPLICIT IA5String
      Der inner{v, v + len};
      uint8_t t2;
      const uint8_t* v2;
      size_t l2;
      if (!inner.Next(&t2, &v2, &l2) || t2 != 0x16 || l2 == 0) return TnAuthList::kMalformed;
      if (spc->empty()) spc->assign(reinterpret_cast<const char*>(v2), l2);
    } else if (tag != 0xA1 && tag != 0xA2) {
      return TnAuthList::kMalformed;
    }
  }
  if (!any) return TnAuthList::kMalformed;
  return spc->empty() ? TnAuthList::kNoSpc : TnAuthList::kOk;
}

}  // namespace

Certificate::~Certificate() {
  if (chain_) sk_X509_pop_free(chain_, X509_free);
  if (leaf_) X509_free(leaf_);
}

Result<std::shared_ptr<const Certificate>> Certificate::FromPem(std::string_view pem) {
  std::shared_ptr<Certificate> c(new Certificate());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Status::IoError("out of memory");
  c->leaf_ = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  if (!c->leaf_) {
    BIO_free(bio);
    ERR_clear_error();
    return Status::ParseError("not a PEM certificate");
  }
  c->chain_ = sk_X509_new_null();
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) sk_X509_push(c->chain_, x);
  ERR_clear_error();  // the loop ends on an expected "no start line"
  BIO_free(bio);
  c->key_ = X509_get0_pubkey(c->leaf_);
  if (c->key_ && EVP_PKEY_base_id(c->key_) == EVP_PKEY_EC) {
    char group[64] = {};
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(c->key_, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &glen) == 1)
      c->p256_ = std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256";
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(c->leaf_, EVP_sha256(), md, &md_len) == 1)
    c->fingerprint_.assign(reinterpret_cast<const char*>(md), md_len);
  c->not_before_ = AsnTimeToUnix(X509_get0_notBefore(c->leaf_));
  c->not_after_ = AsnTimeToUnix(X509_get0_notAfter(c->leaf_));
  static ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.26", 1);
  int idx = X509_get_ext_by_OBJ(c->leaf_, oid, -1);
  if (idx >= 0) {
    X509_EXTENSION* ext = X509_get_ext(c->leaf_, idx);
    ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    c->tn_auth_ = ParseTnAuthList(ASN1_STRING_get0_data(data),
                                  static_cast<size_t>(ASN1_STRING_length(data)), &c->spc_);
  }
  return std::shared_ptr<const Certificate>(std::move(c));
}

bool Certificate::VerifyEs256(std::string_view data, std::string_view raw) const {
  if (!p256_ || raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_len <= 0) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

TrustStore::TrustStore() : store_(X509_STORE_new()) {}
TrustStore::~TrustStore() { X509_STORE_free(store_); }

Status TrustStore::AddPem(std::string_view pem, const std::string& where) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  size_t added = 0;
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store_, x);
    X509_free(x);
    ++added;
  }
  ERR_clear_error();
  BIO_free(bio);
  if (added == 0) return Status::ParseError(where + ": no PEM certificate");
  count_ += added;
  return Status::Ok();
}

Status TrustStore::AddFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return AddPem(ss.str(), path);
}

Status TrustStore::AddCrlPem(std::string_view pem, const std::string& where) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  size_t added = 0;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_crl(store_, crl);
    X509_CRL_free(crl);
    ++added;
  }
  ERR_clear_error();
  BIO_free(bio);
  if (added == 0) return Status::ParseError(where + ": no PEM certificate revocation list");
  X509_STORE_set_flags(store_, X509_V_FLAG_CRL_CHECK);
  std::lock_guard<std::mutex> lock(mu_);
  verified_.clear();  // earlier verdicts did not look at revocation
  return Status::Ok();
}

Status TrustStore::AddCrlFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return AddCrlPem(ss.str(), path);
}

bool TrustStore::Verify(const Certificate& cert, int64_t at, std::string* why) const {
  if (!cert.fingerprint().empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = verified_.find(cert.fingerprint());
    if (it != verified_.end() && at >= it->second.first && at <= it->second.second) return true;
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  if (!ctx || X509_STORE_CTX_init(ctx, store_, cert.leaf(), cert.intermediates()) != 1) {
    *why = OpenSslError();
    X509_STORE_CTX_free(ctx);
    return false;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at));
  bool ok = X509_verify_cert(ctx) == 1;
  if (!ok) {
    *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  } else if (!cert.fingerprint().empty()) {
    // The window in which every certificate of the verified chain is valid.
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
      X509* x = sk_X509_value(chain, i);
      lo = std::max(lo, AsnTimeToUnix(X509_get0_notBefore(x)));
      hi = std::min(hi, AsnTimeToUnix(X509_get0_notAfter(x)));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (verified_.size() > 100000) verified_.clear();  // bounded
    verified_[cert.fingerprint()] = {lo, hi};
  }
  X509_STORE_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

Result<std::string> SignEs256(std::string_view key_pem, std::string_view data) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return Status::ParseError("not a PEM private key: " + OpenSslError());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string der;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1;
  if (ok) {
    der.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    der.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok)
    return Status::InvalidArgument("signing failed (is it an EC P-256 key?): " + OpenSslError());
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return Status::InvalidArgument("bad signature encoding");
  std::string raw(64, '\0');
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  bool fits = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32) == 32 &&
              BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32) == 32;
  ECDSA_SIG_free(sig);
  if (!fits) return Status::InvalidArgument("not a P-256 key");
  return raw;
}

}  // namespace callguard::shaken

// gen_calls: writes a large synthetic call-record file (the canonical CSV contract) for the
// throughput benchmark and the demo. It is a load generator, not the traffic simulator: the
// populations are simple (subscribers calling within small communities, couriers, overseas
// scam callers with spoofed domestic IDs, a sequential robocaller), enough to exercise every
// detector at realistic ratios. Deterministic for a seed.
//
// usage: gen_calls --calls N --numbers M [--seed S] [--out FILE]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  double LogNormal(double mu, double sigma) {
    double u1 = Uniform() + 1e-12, u2 = Uniform();
    return std::exp(mu + sigma * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
};

// Subscriber i's number: a Chinese mobile number, spread over real 13x-19x ranges.
void Subscriber(uint64_t i, char* out) {
  static const int kPrefixes[] = {130, 131, 132, 133, 135, 136, 137, 138, 139, 150,
                                  151, 152, 155, 156, 157, 158, 159, 176, 177, 178,
                                  180, 181, 182, 183, 185, 186, 187, 188, 189, 199};
  int p = kPrefixes[i % 30];
  std::snprintf(out, 20, "+86%d%08llu", p, static_cast<unsigned long long>((i / 30) % 100000000));
}

void Rfc3339(int64_t t, char* out) {
  int64_t days = t / 86400, rem = t % 86400;
  int64_t z = days + 719468, era = z / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  std::snprintf(out, 48, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t calls = 1000000, numbers = 500000, seed = 1;
  const char* out_path = "-";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--calls"))
      calls = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--numbers"))
      numbers = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--seed"))
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--out"))
      out_path = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: gen_calls --calls N --numbers M [--seed S] [--out FILE]\n");
      return 2;
    }
  }
  FILE* out = std::strcmp(out_path, "-") ? std::fopen(out_path, "w") : stdout;
  if (!out) {
    std::perror(out_path);
    return 1;
  }
  static char buf[1 << 20];
  std::setvbuf(out, buf, _IOFBF, sizeof buf);
  Rng rng{seed};
  const uint64_t kScammers = std::max<uint64_t>(20, numbers / 20000);
  const uint64_t kCouriers = std::max<uint64_t>(10, numbers / 40000);
  const int64_t start = 1772409600;  // 2026-03-02T00:00:00Z (08:00 in China)
  const double span = 86400.0;
  std::fputs(
      "call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,origin_country,"
      "origin_ip,label\n",
      out);
  char caller[24], callee[24], ts[48];
  uint64_t robo_next = 0;
  for (uint64_t k = 0; k < calls; ++k) {
    int64_t t = start + static_cast<int64_t>(span * k / calls);
    Rfc3339(t, ts);
    double r = rng.Uniform();
    const char* ingress = "mobile";
    const char* country = "CN";
    const char* label = "legit";
    char ip[20] = "";
    bool answered;
    double dur, ring;
    if (r < 0.03) {
      // Overseas call centre: spoofed domestic mobile IDs rotated among a pool, fresh leads.
      uint64_t s = rng.Below(kScammers);
      Subscriber(numbers + 1000000 + s, caller);
      Subscriber(rng.Below(numbers), callee);
      ingress = "international";
      country = "KH";
      std::snprintf(ip, sizeof ip, "103.%d.%d.%d", 20 + static_cast<int>(s % 3),
                    static_cast<int>(s % 200), static_cast<int>(rng.Below(250)));
      label = "scam";
      answered = rng.Uniform() < 0.25;
      dur =
          answered ? (rng.Uniform() < 0.1 ? rng.LogNormal(7.0, 0.6) : rng.LogNormal(2.2, 0.6)) : 0;
      ring = answered ? rng.LogNormal(2, 0.4) : 20 + rng.Below(15);
    } else if (r < 0.035) {
      // Robocaller dialling a block of numbers in sequence.
      std::snprintf(caller, sizeof caller, "+86170%08llu",
                    static_cast<unsigned long long>(rng.Below(3)));
      std::snprintf(callee, sizeof callee, "+86138%08llu",
                    static_cast<unsigned long long>(10000000 + (robo_next++ % 80000000)));
      ingress = "voip";
      label = "scam";
      answered = rng.Uniform() < 0.3;
      dur = answered ? rng.LogNormal(2.5, 0.5) : 0;
      ring = answered ? 4 : 25;
    } else if (r < 0.07) {
      // Couriers: many short answered calls to fresh customers, some of whom call back.
      uint64_t c = rng.Below(kCouriers);
      Subscriber(numbers + c, caller);
      Subscriber(rng.Below(numbers), callee);
      if (rng.Uniform() < 0.2) std::swap(caller, callee);  // a customer calls the courier back
      answered = rng.Uniform() < 0.7;
      dur = answered ? rng.LogNormal(3.0, 0.5) : 0;
      ring = answered ? rng.LogNormal(2, 0.4) : 30;
    } else {
      // Ordinary subscribers calling within small communities (so contacts repeat and call back).
      uint64_t a = rng.Below(numbers);
      uint64_t community = a / 40;
      uint64_t b = community * 40 + rng.Below(40);
      if (b >= numbers || b == a) b = rng.Below(numbers);
      Subscriber(a, caller);
      Subscriber(b, callee);
      answered = rng.Uniform() < 0.8;
      dur = answered ? rng.LogNormal(4.5, 1.0) : 0;
      ring = answered ? rng.LogNormal(2, 0.5) : 30;
    }
    std::fprintf(out, "c%llu,%s,%s,%s,%d,%.0f,%.0f,%s,%s,%s,%s\n",
                 static_cast<unsigned long long>(k), ts, caller, callee, answered ? 1 : 0, dur,
                 ring, ingress, country, ip, label);
  }
  if (std::fflush(out) != 0) {
    std::perror("write");
    return 1;
  }
  return 0;
}

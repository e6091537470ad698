// The `callguard` program: dispatches to one subcommand per file in src/cli/.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage = R"(usage: callguard <command> [options]

callguard screens telephone calls for scams: it scores call records and live SIP call set-up
with one causal engine and gives every call a risk score, an action and the reasons.

commands:
  score         score call records into verdicts (JSON Lines)
  serve         screen live calls: SIP redirect server, HTTP API, CDR intake
  shaken        verify a STIR/SHAKEN-signed INVITE, or sign one (for tests)
  token         create, list and revoke API tokens
  simulate      simulate a network with scam operations (labelled call records)
  eval          measure detection quality of verdicts against labelled call records
  investigate   group risky numbers into operations, grade victims, plan warnings
  case          export a case as a signed evidence pack, verify one
  share         export/import indicators as STIX 2.1 (numbers in clear or pseudonymised)
  state reset   forget one number's threshold counters in a saved engine state
  version       print the version

Run `callguard <command> --help` for a command's options.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help") ||
      !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "score") return callguard::RunScore(argc - 2, argv + 2);
  if (cmd == "shaken") return callguard::RunShaken(argc - 2, argv + 2);
  if (cmd == "serve") return callguard::RunServe(argc - 2, argv + 2);
  if (cmd == "token") return callguard::RunToken(argc - 2, argv + 2);
  if (cmd == "investigate") return callguard::RunInvestigate(argc - 2, argv + 2);
  if (cmd == "case") return callguard::RunCase(argc - 2, argv + 2);
  if (cmd == "share") return callguard::RunShare(argc - 2, argv + 2);
  if (cmd == "simulate") return callguard::RunSimulate(argc - 2, argv + 2);
  if (cmd == "eval") return callguard::RunEval(argc - 2, argv + 2);
  if (cmd == "state") {
    if (argc >= 3 && !std::strcmp(argv[2], "reset"))
      return callguard::RunStateReset(argc - 3, argv + 3);
    std::fprintf(stderr, "usage: callguard state reset --state FILE --number NUMBER\n");
    return 2;
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("callguard 0.1.0\n");
    return 0;
  }
  std::fprintf(stderr, "callguard: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}

// The subcommands of the `callguard` program; each takes the arguments after its name and
// returns the process exit code (0 success, 1 could not run, 2 usage error).
#pragma once

namespace callguard {

int RunScore(int argc, char** argv);
int RunStateReset(int argc, char** argv);
int RunSimulate(int argc, char** argv);
int RunEval(int argc, char** argv);
int RunServe(int argc, char** argv);
int RunShaken(int argc, char** argv);
int RunToken(int argc, char** argv);
int RunInvestigate(int argc, char** argv);
int RunCase(int argc, char** argv);
int RunShare(int argc, char** argv);

}  // namespace callguard

#include "engine/profile_table.h"

#include "core/hash.h"
#include "engine/state_table_impl.h"

namespace callguard {

uint64_t StateTableHash(uint64_t x) { return Mix64(x); }

template class StateTable<Profile>;

}  // namespace callguard

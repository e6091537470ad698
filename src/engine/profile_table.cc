#include "engine/profile_table.h"

#include "core/hash.h"
#include "engine/robin_hood_table_impl.h"

namespace callguard {

uint64_t RobinHoodHash(uint64_t x) { return Mix64(x); }

template class RobinHoodTable<Profile>;

}  // namespace callguard

// How gtest prints the collective vocabulary in parameterised test names and failures
// ("float32", not "4-byte object <09-00 00-00>"). Found by argument-dependent lookup.
#pragma once

#include <ostream>

#include "core/types.hpp"

namespace fb {

inline void PrintTo(DType dtype, std::ostream* os) {
  *os << to_string(dtype);
}
inline void PrintTo(ReduceOp op, std::ostream* os) {
  *os << to_string(op);
}
inline void PrintTo(Collective collective, std::ostream* os) {
  *os << to_string(collective);
}

}  // namespace fb

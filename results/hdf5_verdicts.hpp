// Private: qualify verdicts, /verdicts/<name> (results/SCHEMA.md). Hdf5Writer,
// record_verdicts and read_file call these; none of them flushes.
// Not part of the public API; include results/results.hpp instead.
#pragma once

#include <hdf5.h>

#include <string>

#include "results/hdf5_util.hpp"
#include "results/results.hpp"

namespace fb::results::detail {

// Throws std::invalid_argument for a bad name.
void validate_verdicts(const std::string& name, const VerdictSet& verdicts);
// Creates /verdicts (when missing) and /verdicts/<name> in the file `root`, replacing a set
// of that name.
void write_verdict_set(hid_t root, const std::string& name, const VerdictSet& verdicts,
                       const Context& ctx);
VerdictSet read_verdict_set(hid_t group, const std::string& name, const Context& ctx);

}  // namespace fb::results::detail

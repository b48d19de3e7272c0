// --resume: can this command continue that file? Points measured another way must never be
// appended to series whose attributes say otherwise, so everything that changes the numbers
// has to match what the file recorded: the kind of file, the rank count, and every series the
// command would measure, attribute by attribute (collective, algorithm, transport, dtype, op,
// ranks, iterations, warm-up, memory, staging, the pipeline parameters, the timing method).
// The sizes may differ: a resumed run may extend the sweep. Planned series the file lacks
// (those the interrupted run had not begun) are allowed; a series of the file that the
// command would not measure means another command, and is refused.
#pragma once

#include <string>
#include <vector>

#include "harness/sinks.hpp"
#include "results/results.hpp"

namespace fb {

// The first difference, as one line for the user ("" when the file can be continued).
// `planned`: the headers the resumed command would write, in plan order.
std::string resume_mismatch(const results::FileData& file, int world_size,
                            const std::vector<SeriesHeader>& planned);

}  // namespace fb

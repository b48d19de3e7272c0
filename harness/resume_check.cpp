#include "harness/resume_check.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace fb {

namespace {

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

// The first attribute of `planned` that differs from `recorded`, as "name: file X, now Y".
std::string first_difference(const results::SeriesInfo& recorded,
                             const results::SeriesInfo& planned) {
  const std::pair<const char*, std::pair<std::string, std::string>> text[] = {
      {"collective", {recorded.collective, planned.collective}},
      {"algorithm", {recorded.algorithm, planned.algorithm}},
      {"transport", {recorded.transport, planned.transport}},
      {"dtype", {recorded.dtype, planned.dtype}},
      {"op", {recorded.op, planned.op}},
      {"memory", {recorded.memory, planned.memory}},
      {"staging", {recorded.staging, planned.staging}},
      {"timing", {recorded.timing, planned.timing}},
  };
  for (const auto& [name, values] : text) {
    if (values.first != values.second) {
      return std::string(name) + ": the file has " + quoted(values.first) + ", this command " +
             quoted(values.second);
    }
  }
  const std::pair<const char*, std::pair<std::int64_t, std::int64_t>> numbers[] = {
      {"ranks", {recorded.n_ranks, planned.n_ranks}},
      {"iterations (-n)", {recorded.iterations, planned.iterations}},
      {"warm-up iterations (-w)", {recorded.warmup, planned.warmup}},
  };
  for (const auto& [name, values] : numbers) {
    if (values.first != values.second) {
      return std::string(name) + ": the file has " + std::to_string(values.first) +
             ", this command " + std::to_string(values.second);
    }
  }
  const std::map<std::string, std::int64_t> before(recorded.parameters.begin(),
                                                   recorded.parameters.end());
  const std::map<std::string, std::int64_t> now(planned.parameters.begin(),
                                                planned.parameters.end());
  for (const auto& [name, value] : now) {
    const auto it = before.find(name);
    if (it == before.end()) return "parameter " + name + " is not in the file";
    if (it->second != value) {
      return "parameter " + name + ": the file has " + std::to_string(it->second) +
             ", this command " + std::to_string(value);
    }
  }
  for (const auto& [name, value] : before) {
    if (now.count(name) == 0) {
      return "parameter " + name + " (" + std::to_string(value) +
             " in the file) is not set by this command";
    }
  }
  // Last: the description also says how the pipeline parameters were chosen, so a differing
  // parameter is named above rather than as a differing sentence here.
  if (recorded.description != planned.description) {
    return "description: the file has " + quoted(recorded.description) + ", this command " +
           quoted(planned.description);
  }
  if (recorded.skipped != planned.skipped) {
    return "the file recorded the series as " +
           (recorded.skipped.empty() ? std::string("measured")
                                     : "skipped (" + recorded.skipped + ")") +
           ", this command " +
           (planned.skipped.empty() ? std::string("measures it")
                                    : "skips it (" + planned.skipped + ")");
  }
  return {};
}

}  // namespace

std::string resume_mismatch(const results::FileData& file, int world_size,
                            const std::vector<SeriesHeader>& planned) {
  if (!file.p2p_series.empty() || !file.matrices.empty()) {
    return "the file holds point-to-point results (from `fabricbench p2p`); `run --resume` "
           "continues only files written by `fabricbench run`";
  }
  if (file.run.world_size != world_size) {
    return "the file was measured on " + std::to_string(file.run.world_size) +
           " ranks, this run has " + std::to_string(world_size);
  }
  std::map<std::string, const results::SeriesData*> recorded;
  for (const auto& series : file.series)
    recorded.emplace(series.name, &series);
  std::set<std::string> planned_names;
  for (const auto& header : planned) {
    planned_names.insert(header.name);
    const auto it = recorded.find(header.name);
    // Not begun before the interruption: it starts afresh, under its own attributes.
    if (it == recorded.end()) continue;
    const auto why = first_difference(it->second->info, header.info);
    if (!why.empty()) return "series " + header.name + ": " + why;
  }
  for (const auto& series : file.series) {
    if (planned_names.count(series.name) == 0) {
      return "the file's series " + series.name + " is not measured by this command";
    }
  }
  return {};
}

}  // namespace fb

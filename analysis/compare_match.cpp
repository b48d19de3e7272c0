// compare: what identifies a series, what differs between two runs, and whether it matters.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "analysis/compare.hpp"
#include "analysis/compare_detail.hpp"

namespace fb::analysis {

namespace {

using Severity = Difference::Severity;

// Parameters that are part of a collective series' identity rather than of its tuning.
bool is_identity_parameter(std::string_view name) {
  return name == "in_place" || name == "root" || name == "nodes" || name == "ranks_per_node";
}

std::optional<std::int64_t> parameter(const results::SeriesInfo& info, std::string_view name) {
  for (const auto& [key, value] : info.parameters)
    if (key == name) return value;
  return std::nullopt;
}

// The dot-separated components of a series name after the first five
// (collective.algorithm.transport.dtype.op): inplace, root<N>, cuda, nodes<M>x<K>.
std::vector<std::string> name_suffixes(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream ss(name);
  std::string part;
  while (std::getline(ss, part, '.'))
    parts.push_back(part);
  if (parts.size() <= 5) return {};
  return {parts.begin() + 5, parts.end()};
}

std::optional<std::string> suffix_value(const std::vector<std::string>& suffixes,
                                        std::string_view prefix) {
  for (const auto& s : suffixes) {
    if (s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0 &&
        std::isdigit(static_cast<unsigned char>(s[prefix.size()])) != 0) {
      return s.substr(prefix.size());
    }
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items, const char* separator = ",") {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string parameters_text(const results::SeriesInfo& info) {
  std::string out;
  for (const auto& [key, value] : info.parameters)
    if (!is_identity_parameter(key))
      out += (out.empty() ? "" : " ") + key + "=" + std::to_string(value);
  return out.empty() ? "(none)" : out;
}

void add(std::vector<Difference>& out, Severity severity, const std::string& scope,
         const std::string& what, const std::string& a, const std::string& b,
         const std::string& note = "") {
  out.push_back(Difference{severity, scope, what, a, b, note});
}

// Iterations, warmup and rank count: the shared numeric fields of both kinds of series.
template <typename Info>
void add_count_differences(const Info& a, const Info& b, const std::string& scope,
                           std::vector<Difference>& out) {
  if (a.iterations != b.iterations) {
    add(out, Severity::kWarn, scope, "iterations", std::to_string(a.iterations),
        std::to_string(b.iterations), "more samples narrow the intervals; the medians compare");
  }
  if (a.warmup != b.warmup) {
    add(out, Severity::kWarn, scope, "warmup", std::to_string(a.warmup), std::to_string(b.warmup),
        "warm-up iterations change first-touch and connection costs");
  }
}

// Launcher bookkeeping that differs on every launch (job ids, URIs, session directories,
// the rank's own coordinates) and says nothing about how the run was set up.
bool is_per_launch_variable(std::string_view key) {
  const auto starts = [key](std::string_view prefix) {
    return key.substr(0, prefix.size()) == prefix;
  };
  if (starts("OMPI_") && !starts("OMPI_MCA_")) return true;
  for (const char* prefix : {"OMPI_MCA_orte_", "OMPI_MCA_ess", "OMPI_MCA_pmix",
                             "OMPI_MCA_initial_wdir", "OMPI_MCA_shmem_RUNTIME_QUERY_hint"}) {
    if (starts(prefix)) return true;
  }
  for (const char* name :
       {"SLURM_JOB_ID", "SLURM_JOBID", "SLURM_JOB_NODELIST", "SLURM_NODELIST",
        "SLURM_JOB_PARTITION", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_TASK_PID",
        "SLURM_LAUNCH_NODE_IPADDR", "SLURM_SUBMIT_DIR", "SLURM_JOB_START_TIME",
        "SLURM_JOB_END_TIME", "SLURM_CLUSTER_NAME", "SLURM_SUBMIT_HOST"}) {
    if (key == name) return true;
  }
  return starts("SLURM_STEP") || starts("SLURM_SRUN_COMM");
}

std::map<std::string, std::string> environment_map(const std::vector<std::string>& environment) {
  std::map<std::string, std::string> out;
  for (const auto& entry : environment) {
    const auto eq = entry.find('=');
    const std::string key = entry.substr(0, eq);
    if (is_per_launch_variable(key)) continue;
    out[key] = eq == std::string::npos ? "" : entry.substr(eq + 1);
  }
  return out;
}

}  // namespace

std::string Difference::message() const {
  std::string out = scope == "run" ? std::string() : scope + ": ";
  const bool plural =
      what == "pipeline parameters" || what == "iterations" || what == "ranks in the job";
  out += a == b ? what + (plural ? " are " : " is ") + a + " in both"
                : what + (plural ? " differ (A " : " differs (A ") + a + ", B " + b + ")";
  if (!note.empty()) out += ": " + note;
  return out;
}

std::vector<Field> series_identity(const results::SeriesData& series) {
  const auto& info = series.info;
  const auto suffixes = name_suffixes(series.name);
  std::vector<Field> id{{"collective", info.collective},
                        {"algorithm", info.algorithm},
                        {"transport", info.transport},
                        {"dtype", info.dtype},
                        {"op", info.op},
                        {"ranks", std::to_string(info.n_ranks)}};
  bool in_place = std::find(suffixes.begin(), suffixes.end(), "inplace") != suffixes.end();
  if (const auto p = parameter(info, "in_place")) in_place = *p != 0;
  id.emplace_back("in_place", in_place ? "yes" : "no");
  if (const auto root = parameter(info, "root")) {
    id.emplace_back("root", std::to_string(*root));
  } else if (const auto from_name = suffix_value(suffixes, "root")) {
    id.emplace_back("root", *from_name);
  }
  id.emplace_back("memory", info.memory.empty() ? "host" : info.memory);
  const auto nodes = parameter(info, "nodes");
  const auto per_node = parameter(info, "ranks_per_node");
  if (nodes && per_node) {
    id.emplace_back("nodes", std::to_string(*nodes) + "x" + std::to_string(*per_node));
  } else if (const auto from_name = suffix_value(suffixes, "nodes")) {
    id.emplace_back("nodes", *from_name);
  } else {
    id.emplace_back("nodes", "all");
  }
  return id;
}

std::vector<Field> series_identity(const results::P2PSeriesData& series) {
  const auto& info = series.info;
  return {{"test", info.test},
          {"transport", info.transport},
          {"pairs", join(info.pairs)},
          {"window", std::to_string(info.window)}};
}

namespace detail {

std::vector<std::string> distinct_hosts(const std::vector<std::string>& hostnames) {
  std::vector<std::string> out;
  for (const auto& h : hostnames)
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  return out;
}

void add_run_differences(const results::FileData& a, const results::FileData& b,
                         std::vector<Difference>& out) {
  if (a.schema_version != b.schema_version) {
    add(out, Severity::kWarn, "run", "schema_version", std::to_string(a.schema_version),
        std::to_string(b.schema_version), "both are read the same way; times are defined alike");
  }
  const auto hosts_a = distinct_hosts(a.run.hostnames).size();
  const auto hosts_b = distinct_hosts(b.run.hostnames).size();
  if (hosts_a != hosts_b) {
    add(out, Severity::kRefuse, "run", "host count", std::to_string(hosts_a),
        std::to_string(hosts_b),
        "ranks share hosts differently, so different traffic crosses the network");
  }
  if (a.run.world_size != b.run.world_size) {
    add(out, Severity::kWarn, "run", "world size", std::to_string(a.run.world_size),
        std::to_string(b.run.world_size), "series match only at equal rank counts");
  }
  if (a.run.status != b.run.status || a.run.status != "complete") {
    add(out, Severity::kWarn, "run", "status", a.run.status, b.run.status,
        "an incomplete run lacks the points it did not reach");
  }
}

void add_series_differences(const results::SeriesData& a, const results::SeriesData& b,
                            std::vector<Difference>& out) {
  const std::string& scope = a.name;
  if (a.info.timing != b.info.timing) {
    add(out, Severity::kRefuse, scope, "timing", a.info.timing, b.info.timing,
        "the samples measure different things");
  }
  const auto tuning = [](const results::SeriesInfo& info) {
    std::map<std::string, std::int64_t> m;
    for (const auto& [key, value] : info.parameters)
      if (!is_identity_parameter(key)) m[key] = value;
    return m;
  };
  if (tuning(a.info) != tuning(b.info)) {
    add(out, Severity::kRefuse, scope, "pipeline parameters", parameters_text(a.info),
        parameters_text(b.info), "the algorithm ran differently");
  }
  if (a.info.staging != b.info.staging) {
    add(out, Severity::kWarn, scope, "staging", a.info.staging.empty() ? "(none)" : a.info.staging,
        b.info.staging.empty() ? "(none)" : b.info.staging);
  }
  add_count_differences(a.info, b.info, scope, out);
  if (!a.info.skipped.empty() || !b.info.skipped.empty()) {
    const auto state = [](const results::SeriesInfo& info) {
      return info.skipped.empty() ? std::string("measured") : "skipped: " + info.skipped;
    };
    add(out, Severity::kWarn, scope, "measurement", state(a.info), state(b.info));
  }
  for (const auto* s : {&a, &b}) {
    for (const auto& p : s->points) {
      if (p.wrong > 0) {
        const std::string wrong = std::to_string(p.wrong) + " wrong elements";
        add(out, Severity::kWarn, scope,
            "correctness at " + std::to_string(p.size_bytes) + " bytes", s == &a ? wrong : "-",
            s == &b ? wrong : "-", "a wrong result may have been faster for the wrong reason");
      }
    }
  }
  if (a.info.timing == "back-to-back" || b.info.timing == "back-to-back") {
    Difference d{Severity::kWarn,
                 scope,
                 "timing",
                 a.info.timing,
                 b.info.timing,
                 "back-to-back samples repeat each batch's mean once per call; intervals and "
                 "p-values count the copies as independent and are too narrow"};
    out.push_back(d);
  }
}

void add_series_differences(const results::P2PSeriesData& a, const results::P2PSeriesData& b,
                            std::vector<Difference>& out) {
  add_count_differences(a.info, b.info, a.name, out);
  if (a.info.n_ranks != b.info.n_ranks) {
    add(out, Severity::kWarn, a.name, "ranks in the job", std::to_string(a.info.n_ranks),
        std::to_string(b.info.n_ranks), "the other ranks idle during the test");
  }
}

std::vector<ProvenanceDifference> provenance_differences(const results::RunInfo& a,
                                                         const results::RunInfo& b) {
  std::vector<ProvenanceDifference> out;
  const auto text = [](const std::string& s) { return s.empty() ? std::string("(unset)") : s; };
  const auto compare = [&](const char* field, const std::string& va, const std::string& vb) {
    if (va != vb) out.push_back({field, text(va), text(vb)});
  };
  compare("tool_version", a.tool_version, b.tool_version);
  compare("git_revision", a.git_revision, b.git_revision);
  compare("mpi_version", a.mpi_version, b.mpi_version);
  compare("ucx_version", a.ucx_version, b.ucx_version);
  compare("hdf5_version", a.hdf5_version, b.hdf5_version);
  compare("cuda_runtime_version", a.cuda_runtime_version, b.cuda_runtime_version);
  compare("nccl_version", a.nccl_version, b.nccl_version);
  compare("hosts", join(distinct_hosts(a.hostnames)), join(distinct_hosts(b.hostnames)));
  compare("cpu_bindings", join(a.cpu_bindings, " "), join(b.cpu_bindings, " "));
  compare("cuda_devices", join(distinct_hosts(a.cuda_devices), "; "),
          join(distinct_hosts(b.cuda_devices), "; "));
  compare("slurm_job_id", a.slurm_job_id, b.slurm_job_id);
  compare("slurm_nodelist", a.slurm_nodelist, b.slurm_nodelist);
  compare("slurm_partition", a.slurm_partition, b.slurm_partition);
  const auto env_a = environment_map(a.environment);
  const auto env_b = environment_map(b.environment);
  std::set<std::string> keys;
  for (const auto& [key, value] : env_a)
    keys.insert(key);
  for (const auto& [key, value] : env_b)
    keys.insert(key);
  for (const auto& key : keys) {
    const auto ia = env_a.find(key);
    const auto ib = env_b.find(key);
    const std::string va = ia == env_a.end() ? "(unset)" : ia->second;
    const std::string vb = ib == env_b.end() ? "(unset)" : ib->second;
    if (va != vb) out.push_back({"env " + key, va, vb});
  }
  compare("command_line", a.command_line, b.command_line);
  return out;
}

}  // namespace detail
}  // namespace fb::analysis

#include "harness/cli/options_common.hpp"

#include <memory>

#include "harness/cli/option_text.hpp"
#include "harness/cli/size_parse.hpp"
#include "transports/registry.hpp"

namespace fb::cli {

const ChoiceTable<Progress>& progress_choices() {
  static const ChoiceTable<Progress> table{
      {"auto", Progress::automatic}, {"on", Progress::on}, {"off", Progress::off}};
  return table;
}

void parse_topology(const RawCommonOptions& raw, CommonOptions& o) {
  if (raw.topology.empty()) return;
  try {
    o.topology = std::make_shared<const topo::Topology>(topo::read_topology(raw.topology));
  } catch (const topo::TopologyError& e) {
    throw BadInput(std::string("--topology: ") + e.what());
  }
}

Selection<std::string> usable_transports(const std::string& text) {
  Selection<std::string> out;
  out.from_all = mentions_all(text);
  const bool from_all = out.from_all;
  for (const auto& name : from_all ? transport_names() : split(text)) {
    const auto* entry = find_transport(name);
    if (entry == nullptr) {
      throw BadInput("unknown transport '" + name + "' (known: " + join(transport_names()) +
                     ", all)");
    }
    const auto reason = entry->unavailable_reason();
    if (!reason) {
      out.add(name);
    } else if (!from_all) {
      throw BadInput("transport '" + name + "' is not available here: " + *reason +
                     " (available: " + join(available_transport_names()) + ")");
    }
  }
  if (out.empty())
    throw BadInput("no usable transport (available: " + join(available_transport_names()) + ")");
  return out;
}

void parse_sweep(const RawCommonOptions& raw, CommonOptions& o) {
  o.min_bytes = size_option(raw.min_bytes, "--min-bytes");
  o.max_bytes = size_option(raw.max_bytes, "--max-bytes");
  if (o.min_bytes > o.max_bytes) {
    throw BadInput("--min-bytes (" + raw.min_bytes + ") is larger than --max-bytes (" +
                   raw.max_bytes + ")");
  }
  o.step_factor = static_cast<std::uint64_t>(count_option(raw.step_factor, "--step-factor", 0));
  if (o.step_factor < 2) {
    throw BadInput("--step-factor: '" + raw.step_factor + "' must be an integer >= 2");
  }
  o.iters = count_option(raw.iters, "--iters", 1);
  o.warmup = count_option(raw.warmup, "--warmup", 0);
  const auto timeout = parse_seconds(raw.timeout);
  if (!timeout) {
    throw BadInput("--timeout: '" + raw.timeout + "' is not a positive number of seconds");
  }
  if (*timeout > kMaxTimeoutSeconds) {
    // Deadlines are kept in nanoseconds of the steady clock: far larger values overflow.
    throw BadInput("--timeout: '" + raw.timeout + "' is too large; the largest accepted value is " +
                   std::to_string(static_cast<long long>(kMaxTimeoutSeconds)) + " seconds (" +
                   std::to_string(static_cast<long long>(kMaxTimeoutSeconds / 86400)) + " days)");
  }
  o.timeout_s = *timeout;
}

// The options `run` and `p2p` declare alike. The size sweep and the iteration counts:
void add_sweep_options(CLI::App& command, RawCommonOptions& raw, const char* iters_help) {
  command
      .add_option("-b,--min-bytes", raw.min_bytes, "Smallest message size (K/M/G = 2^10/2^20/2^30)")
      ->capture_default_str();
  command.add_option("-e,--max-bytes", raw.max_bytes, "Largest message size")
      ->capture_default_str();
  command
      .add_option("-f,--step-factor", raw.step_factor,
                  "Size multiplier between points (integer >= 2)")
      ->capture_default_str();
  command.add_option("-n,--iters", raw.iters, iters_help)->capture_default_str();
  command.add_option("-w,--warmup", raw.warmup, "Untimed warm-up iterations per size")
      ->capture_default_str();
}

// The wait limit and the progress line:
void add_wait_options(CLI::App& command, RawCommonOptions& raw) {
  command
      .add_option("--timeout", raw.timeout, "Seconds any single wait may take before the run fails")
      ->capture_default_str();
  command
      .add_option("--progress", raw.progress,
                  "Progress line on stderr: " + progress_choices().names() +
                      " (auto: when stderr is a terminal)")
      ->capture_default_str();
}

// The results file:
void add_topology_option(CLI::App& command, RawCommonOptions& raw) {
  command.add_option("--topology", raw.topology,
                     "The fabric's description: a YAML file, or slurm:PATH for Slurm's "
                     "topology.conf (docs/TOPOLOGY.md); default: ranks grouped by host name");
}

void add_results_file_options(CLI::App& command, RawCommonOptions& raw) {
  command.add_option("--out", raw.out,
                     "HDF5 output file (default: a new file under fabricbench-results/)");
  command.add_flag("--overwrite", raw.overwrite,
                   "Let --out replace an existing fabricbench results file (never any other "
                   "file)");
}

}  // namespace fb::cli

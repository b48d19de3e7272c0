#include "harness/cli/options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "collectives/pipeline_defaults.hpp"
#include "collectives/registry.hpp"
#include "core/rate_parse.hpp"
#include "harness/cli/option_text.hpp"
#include "harness/cli/options_common.hpp"
#include "harness/cli/size_parse.hpp"
#include "transports/registry.hpp"

namespace fb {

using cli::add_p2p_subcommand;
using cli::add_results_file_options;
using cli::add_sweep_options;
using cli::add_topology_option;
using cli::add_wait_options;
using cli::BadInput;
using cli::choose;
using cli::count_option;
using cli::join;
using cli::mentions_all;
using cli::parse_list_or_all;
using cli::parse_sweep;
using cli::parse_topology;
using cli::progress_choices;
using cli::quote_command_line;
using cli::RawCommonOptions;
using cli::RawP2POptions;
using cli::size_option;
using cli::split;
using cli::usable_transports;
using cli::validate_p2p;

namespace {

// The options' enumerations (harness/cli/choice.hpp).
const ChoiceTable<RunOptions::Placement>& placement_choices() {
  using Placement = RunOptions::Placement;
  static const ChoiceTable<Placement> table{{"out-of-place", Placement::out_of_place},
                                            {"in-place", Placement::in_place},
                                            {"both", Placement::both}};
  return table;
}

}  // namespace

const ChoiceTable<RunOptions::NodePlacement>& RunOptions::node_placement_choices() {
  static const ChoiceTable<NodePlacement> table{{"first", NodePlacement::first},
                                                {"packed", NodePlacement::packed},
                                                {"spread", NodePlacement::spread}};
  return table;
}

namespace {

const ChoiceTable<TimingMethod>& timing_choices() {
  static const ChoiceTable<TimingMethod> table{
      {to_string(TimingMethod::iteration), TimingMethod::iteration},
      {to_string(TimingMethod::back_to_back), TimingMethod::back_to_back},
      {to_string(TimingMethod::window), TimingMethod::window}};
  return table;
}

// --memory names one memory or both (= host,cuda).
const ChoiceTable<std::vector<RunOptions::Memory>>& memory_choices() {
  using Memory = RunOptions::Memory;
  static const ChoiceTable<std::vector<Memory>> table{
      {"host", {Memory::host}}, {"cuda", {Memory::cuda}}, {"both", {Memory::host, Memory::cuda}}};
  return table;
}

const ChoiceTable<RunOptions::Staging>& staging_choices() {
  using Staging = RunOptions::Staging;
  static const ChoiceTable<Staging> table{
      {"auto", Staging::automatic}, {"host", Staging::host}, {"none", Staging::none}};
  return table;
}

// --memory: a comma list of memory_choices(), in the order given.
std::vector<RunOptions::Memory> parse_memory_list(const std::string& text) {
  std::vector<RunOptions::Memory> out;
  for (const auto& name : split(text)) {
    const auto memories = memory_choices().find(name);
    if (!memories) {
      throw BadInput("--memory: unknown memory '" + name + "' (known: " + memory_choices().names() +
                     ")");
    }
    for (const auto m : *memories) {
      if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    }
  }
  return out;
}

struct RawRunOptions : RawCommonOptions {
  RawRunOptions() {
    max_bytes = "64M";
    iters = "20";
    warmup = "5";
  }
  std::string collective = "allreduce";
  std::string algorithm = "ring,tree,mpi";
  std::string dtype = "float32";
  std::string op = "sum";
  // Pipeline options (pipeline_options(), in order): auto follows the transport's path.
  std::vector<std::string> pipeline =
      std::vector<std::string>(pipeline_options().size(), std::string("auto"));
  std::string placement = "out-of-place";
  std::string root = "0";
  std::string debug_corrupt;
  std::string nodes;
  std::string ranks_per_node;
  std::string node_placement;
  std::string memory = "host";
  std::string staging = "auto";
  std::string timing = "iteration";
  bool check = false;
  std::string resume;
  std::string rank_order;
};

// --rank-order rank,topology,random[:SEED]
void parse_rank_orders(const std::string& text, RunOptions& o) {
  if (text.empty()) return;
  o.rank_order_given = true;
  o.rank_orders.clear();
  for (const auto& item : split(text)) {
    topo::RankOrder order{};
    if (item == "rank") {
      order = topo::RankOrder::rank;
    } else if (item == "topology") {
      order = topo::RankOrder::topology;
    } else if (item == "random" || item.rfind("random:", 0) == 0) {
      order = topo::RankOrder::random;
      if (item.size() > 7) {
        const auto seed = parse_count(item.substr(7));
        if (!seed) throw BadInput("--rank-order: '" + item + "': the seed must be a whole number");
        o.rank_order_seed = static_cast<std::uint64_t>(*seed);
      }
    } else {
      throw BadInput("--rank-order: unknown order '" + item +
                     "' (known: rank, topology, random, random:SEED)");
    }
    if (std::find(o.rank_orders.begin(), o.rank_orders.end(), order) != o.rank_orders.end())
      throw BadInput("--rank-order: '" + item + "' is listed twice");
    o.rank_orders.push_back(order);
  }
}

// --algorithm: names the registry knows (collectives/registry.hpp), auto, or all of them.
Selection<std::string> parse_algorithms(const std::string& text) {
  Selection<std::string> out;
  out.from_all = mentions_all(text);
  const auto known = algorithm_names();
  for (const auto& name : split(text)) {
    if (name == "all") {
      for (const auto& k : known)
        out.add(k);
      continue;
    }
    if (name != kAutoAlgorithm && std::find(known.begin(), known.end(), name) == known.end()) {
      throw BadInput("unknown algorithm '" + name + "' (known: " + join(known) + ", auto, all)");
    }
    out.add(name);
  }
  return out;
}

RunOptions validate(const RawRunOptions& raw) {
  RunOptions o;
  o.collectives = parse_list_or_all<Collective>(raw.collective, "collective", parse_collective,
                                                collective_names(), all_collectives());
  o.dtypes = parse_list_or_all<DType>(raw.dtype, "dtype", parse_dtype, dtype_names(), all_dtypes());
  o.ops = parse_list_or_all<ReduceOp>(raw.op, "op", parse_op, op_names(), all_ops());
  o.transports = usable_transports(raw.transport);
  o.algorithms = parse_algorithms(raw.algorithm);
  o.placement = choose(placement_choices(), raw.placement, "--placement");
  if (raw.root == "all") {
    o.root = std::nullopt;
  } else {
    const auto root = parse_count(raw.root);
    if (!root || *root > 1'000'000'000)
      throw BadInput("--root: '" + raw.root + "' is not a rank number or 'all'");
    o.root = static_cast<int>(*root);
  }
  if (!raw.debug_corrupt.empty()) {
    const auto rank = parse_count(raw.debug_corrupt);
    if (!rank || *rank > 1'000'000'000) {
      throw BadInput("--debug-corrupt: '" + raw.debug_corrupt + "' is not a rank number");
    }
    o.debug_corrupt_rank = static_cast<int>(*rank);
  }
  if (!raw.nodes.empty()) {
    if (raw.nodes == "sweep") {
      o.node_sweep = true;
    } else {
      for (const auto& item : split(raw.nodes)) {
        const auto count = parse_count(item);
        if (!count || *count < 1 || *count > 1'000'000) {
          throw BadInput("--nodes: '" + item + "' is not a node count >= 1 (or use 'sweep')");
        }
        if (std::find(o.nodes.begin(), o.nodes.end(), static_cast<int>(*count)) == o.nodes.end())
          o.nodes.push_back(static_cast<int>(*count));
      }
      std::sort(o.nodes.begin(), o.nodes.end());
    }
  }
  if (!raw.ranks_per_node.empty()) {
    o.ranks_per_node = static_cast<int>(count_option(raw.ranks_per_node, "--ranks-per-node", 1));
  }
  if (!raw.node_placement.empty()) {
    o.node_placements.clear();
    o.node_placement_given = true;
    for (const auto& item : split(raw.node_placement)) {
      const auto p = RunOptions::node_placement_choices().find(item);
      if (!p) throw BadInput("--node-placement: '" + item + "' is not first, packed or spread");
      if (std::find(o.node_placements.begin(), o.node_placements.end(), *p) ==
          o.node_placements.end())
        o.node_placements.push_back(*p);
    }
    if (o.nodes.empty() && !o.node_sweep)
      throw BadInput(
          "--node-placement chooses the nodes of a topology sweep: give --nodes as well");
  }
  o.memory = parse_memory_list(raw.memory);
  o.staging = choose(staging_choices(), raw.staging, "--staging");
  if (o.staging != RunOptions::Staging::automatic &&
      std::find(o.memory.begin(), o.memory.end(), RunOptions::Memory::cuda) == o.memory.end())
    throw BadInput(
        "--staging chooses how cuda series reach their buffers: give --memory cuda "
        "or both as well");
  parse_sweep(raw, o);
  parse_topology(raw, o);
  parse_rank_orders(raw.rank_order, o);
  o.timing = choose(timing_choices(), raw.timing, "--timing");
  if (o.timing == TimingMethod::window && o.warmup < 1) {
    throw BadInput("--timing window sizes its windows from the warm-up: give -w 1 or more");
  }
  o.algorithm.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
  // Pipeline options: `auto` (the default) leaves the value to the transport's path
  // (collectives/pipeline_defaults.hpp); a value given here overrides it.
  auto& a = o.algorithm;
  for (std::size_t i = 0; i < pipeline_options().size(); ++i) {
    const PipelineOption& opt = pipeline_options()[i];
    const std::string& text = raw.pipeline[i];
    Tunable& t = a.*opt.field;
    t.automatic = text == "auto";
    if (t.automatic) continue;
    if (!opt.bytes) {
      t.value = static_cast<std::size_t>(
          count_option(text, opt.flag, static_cast<std::int64_t>(opt.min)));
      continue;
    }
    t.value = size_option(text, opt.flag);
    if (t.value < opt.min) {
      throw BadInput(std::string(opt.flag) + " must be at least " + std::to_string(opt.min) +
                     " bytes");
    }
  }
  o.progress = choose(progress_choices(), raw.progress, "--progress");
  for (const auto t : o.dtypes) {
    if (o.min_bytes < dtype_size(t)) {
      throw BadInput("--min-bytes (" + raw.min_bytes + ") is smaller than one " +
                     std::string(to_string(t)) + " element (" + std::to_string(dtype_size(t)) +
                     " bytes)");
    }
  }
  o.check = raw.check;
  o.out = raw.out;
  o.overwrite = raw.overwrite;
  o.resume = raw.resume;
  return o;
}

}  // namespace

ParseOutcome parse_command_line(int argc, const char* const* argv) {
  CLI::App app{"fabricbench: collective-communication and fabric benchmarks", "fabricbench"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  app.footer(
      "Verdicts from results files (fabricbench COMMAND --help; docs/ANALYSIS.md):\n"
      "  qualify                     Judge a fabric against a profile (measures under mpirun,\n"
      "                              or --from FILE.h5)\n"
      "  compare                     Is B faster than A? Per point, with intervals\n"
      "  model                       Fit cost models and predict other scales\n"
      "Results in pictures and flat files (Python package, README):\n"
      "  report                      One self-contained HTML report of one or more files\n"
      "  export                      Every table of a file as CSV or JSON");
  RawRunOptions raw;
  auto* run =
      app.add_subcommand("run", "Sweep collectives over message sizes and record the results");
  run->add_option("--collective", raw.collective,
                  "Collectives, comma separated, or all: " + join(collective_names()) +
                      " (nccl-tests spellings such as all_reduce work too)")
      ->capture_default_str();
  run->add_option("--algorithm", raw.algorithm,
                  "Algorithms, or all: " + join(algorithm_names()) +
                      " (mpi: the MPI library's own; nccl: NCCL, with --memory cuda), auto "
                      "(chosen per size)")
      ->capture_default_str();
  run->add_option("--transport", raw.transport,
                  "Transports for our algorithms, or all: " + join(transport_names()))
      ->capture_default_str();
  run->add_option("--root", raw.root,
                  "Root rank of broadcast and reduce, or all (one series per root)")
      ->capture_default_str();
  run->add_option("--placement", raw.placement,
                  placement_choices().names() + " (both: two series); in place as in MPI and NCCL")
      ->capture_default_str();
  run->add_option("--debug-corrupt", raw.debug_corrupt,
                  "Testing aid: flip one output element on this rank before each --check");
  add_sweep_options(*run, raw, "Timed iterations per size");
  run->add_option("--dtype", raw.dtype, "Datatypes, or all: " + join(dtype_names()))
      ->capture_default_str();
  run->add_option("--op", raw.op, "Reduction ops, or all: " + join(op_names()))
      ->capture_default_str();
  run->add_flag("--check", raw.check, "Validate every result (untimed extra iteration per size)");
  add_results_file_options(*run, raw);
  add_topology_option(*run, raw);
  run->add_option("--rank-order", raw.rank_order,
                  "Orders our rings and trees visit the ranks in, comma separated, one pass "
                  "each: rank, topology (hosts of one leaf together, a host's ranks together), "
                  "random or random:SEED (default: rank)");
  run->add_option("--resume", raw.resume,
                  "Continue an interrupted run: measure only the points missing from this file, "
                  "and add them to it");
  run->add_option("--nodes", raw.nodes,
                  "Topology sweep: node counts to measure on, one series each (e.g. 1,2,4), or "
                  "sweep (2, 4, 8, ... and every node); the first nodes of the job are used");
  run->add_option("--node-placement", raw.node_placement,
                  "Topology sweep: which nodes a subset takes, comma separated, one set of "
                  "subsets each: first (the job's first nodes), packed (within as few leaves "
                  "as they fit), spread (one per leaf in turn) (default: first)");
  run->add_option("--ranks-per-node", raw.ranks_per_node,
                  "Ranks to use on each node (the first ones there; default: every rank)");
  run->add_option("--memory", raw.memory,
                  "Buffers in host or cuda (device) memory, comma separated (one series each), "
                  "or both (= host,cuda)")
      ->capture_default_str();
  run->add_option("--staging", raw.staging,
                  "How our algorithms reach cuda buffers: none (run on the device buffers: "
                  "reductions on the GPU, the transport moves device memory; a transport that "
                  "cannot is skipped with its reason), host (copy through pinned host memory "
                  "around a host run), auto (none where the transport can move device memory)")
      ->capture_default_str();
  add_wait_options(*run, raw);
  run->add_option("--timing", raw.timing,
                  "How iterations are timed: iteration (a barrier before each, max over ranks), "
                  "back-to-back (as OSU and nccl-tests: batches between barriers, time / "
                  "iterations, mean over ranks), window (agreed start times on a common clock, "
                  "max over ranks)")
      ->capture_default_str();
  for (std::size_t i = 0; i < pipeline_options().size(); ++i) {
    const PipelineOption& opt = pipeline_options()[i];
    run->add_option(opt.flag, raw.pipeline[i],
                    std::string(opt.help) + ", or auto (by the transport's path)")
        ->capture_default_str();
  }

  RawP2POptions raw_p2p;
  add_p2p_subcommand(app, raw_p2p);
  ParseOutcome outcome;
  try {
    app.parse(argc, argv);
    if (app.got_subcommand("p2p")) {
      P2POptions options = validate_p2p(raw_p2p);
      options.command_line = quote_command_line(argc, argv);
      outcome.p2p = std::move(options);
      return outcome;
    }
    RunOptions options = validate(raw);
    const auto& resume = options.resume;
    if (!resume.empty() && !options.out.empty()) {
      throw BadInput("--resume adds to its own file; drop --out");
    }
    if (!resume.empty() && options.overwrite) {
      throw BadInput("--resume adds to its own file; drop --overwrite");
    }
    if (!resume.empty() && !std::filesystem::is_regular_file(resume)) {
      throw BadInput("--resume: '" + resume + "' is not a file");
    }
    options.command_line = quote_command_line(argc, argv);
    outcome.options = std::move(options);
  } catch (const CLI::CallForHelp&) {
    outcome.message = app.help("", CLI::AppFormatMode::Normal);
    if (run->parsed()) outcome.message = run->help();
    if (app.got_subcommand("p2p")) outcome.message = app.get_subcommand("p2p")->help();
  } catch (const CLI::CallForAllHelp&) {
    outcome.message = app.help("", CLI::AppFormatMode::All);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    outcome.exit_code = kExitBadInput;
    outcome.message = "fabricbench: error: " + what + " (see 'fabricbench --help-all')";
  } catch (const BadInput& e) {
    outcome.exit_code = kExitBadInput;
    outcome.message = std::string("fabricbench: error: ") + e.what();
  }
  return outcome;
}

std::vector<std::uint64_t> sweep_sizes(std::uint64_t min_bytes, std::uint64_t max_bytes,
                                       std::uint64_t step_factor) {
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t s = min_bytes; s <= max_bytes;) {
    sizes.push_back(s);
    if (s > max_bytes / step_factor) break;
    s *= step_factor;
  }
  return sizes;
}

}  // namespace fb

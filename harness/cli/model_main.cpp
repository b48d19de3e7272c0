// `fabricbench model FILE.h5...`: fits the alpha-beta and cost-formula models to results
// files and predicts other scales (docs/ANALYSIS.md, model section). No MPI.
#include "harness/cli/model_main.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/model_report.hpp"
#include "harness/cli/options.hpp"
#include "harness/cli/size_parse.hpp"
#include "results/results.hpp"

namespace fb {

namespace {

class BadModelInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    items.push_back(item);
  return items;
}

std::vector<std::int64_t> parse_ranks(const std::string& text) {
  std::vector<std::int64_t> out;
  for (const auto& item : split_list(text)) {
    const auto n = parse_count(item);
    if (!n || *n < 2)
      throw BadModelInput("--predict-ranks: '" + item + "' is not a rank count of at least 2");
    out.push_back(*n);
  }
  if (out.empty()) throw BadModelInput("--predict-ranks: no rank counts given");
  return out;
}

std::vector<std::uint64_t> parse_sizes(const std::string& text) {
  std::vector<std::uint64_t> out;
  for (const auto& item : split_list(text)) {
    std::string error;
    const auto n = parse_size(item, &error);
    if (!n) {
      std::string message = "--sizes: '";
      message += item;
      message += "': ";
      message += error;
      throw BadModelInput(message);
    }
    out.push_back(*n);
  }
  if (out.empty()) throw BadModelInput("--sizes: no sizes given");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct RawModelOptions {
  std::vector<std::string> files;
  std::string predict_ranks;
  std::string sizes;
  std::int64_t fit_nodes = 0;
  double level = 0.95;
  double break_factor = 4.0;
  std::string json_path;
  std::string astra_sim_path;
  std::int64_t export_npus = 0;
};

void write_json(const std::string& path, const nlohmann::json& doc) {
  std::ofstream out(path);
  out << doc.dump(2) << '\n';
  out.close();
  if (!out) throw std::runtime_error("--json " + path + ": could not be written");
}

}  // namespace

int model_main(int argc, char** argv) {
  CLI::App app{
      "fabricbench model: alpha-beta and cost-formula models of results files, with "
      "predictions (docs/ANALYSIS.md)",
      "fabricbench model"};
  RawModelOptions raw;
  app.add_option("files", raw.files, "Results files (HDF5) to model, together")->required();
  app.add_option("--predict-ranks", raw.predict_ranks,
                 "Predict each algorithm at these rank counts, e.g. 16,1024,100000");
  app.add_option("--sizes", raw.sizes,
                 "Sizes to predict at (K/M/G = 2^10/2^20/2^30); default: the series' sizes");
  app.add_option("--fit-nodes", raw.fit_nodes,
                 "Back-test: fit on the series of this node subset only (a --nodes sweep) and "
                 "predict the others");
  app.add_option("--level", raw.level, "Confidence level of the intervals")
      ->check(CLI::Range(0.5, 0.999))
      ->capture_default_str();
  app.add_option("--break-factor", raw.break_factor,
                 "p2p: a protocol break is accepted when two lines cut the squared relative "
                 "error by at least this factor")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  app.add_option("--json", raw.json_path, "Also write the report as JSON (results/VERDICTS.md)");
  app.add_option("--export-astra-sim", raw.astra_sim_path,
                 "Write the fitted link as an ASTRA-sim analytical network.yml");
  app.add_option("--export-npus", raw.export_npus,
                 "NPUs of the exported network (default: the largest --predict-ranks, else the "
                 "most ranks fitted)");

  analysis::ModelOptions options;
  try {
    // argv[1] is "model".
    app.parse(argc - 1, argv + 1);
    if (!raw.predict_ranks.empty()) options.predict_ranks = parse_ranks(raw.predict_ranks);
    if (!raw.sizes.empty()) options.sizes = parse_sizes(raw.sizes);
    if (app.count("--fit-nodes") > 0) {
      if (raw.fit_nodes < 1) throw BadModelInput("--fit-nodes: needs a node count of at least 1");
      options.fit_nodes = raw.fit_nodes;
    }
    if (app.count("--export-npus") > 0 && raw.export_npus < 2)
      throw BadModelInput("--export-npus: needs at least 2 NPUs");
    options.level = raw.level;
    options.break_rule.min_improvement = raw.break_factor;
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "fabricbench: error: model: %s (see 'fabricbench model --help')\n",
                 what.c_str());
    return kExitBadInput;
  } catch (const BadModelInput& e) {
    std::fprintf(stderr, "fabricbench: error: model: %s\n", e.what());
    return kExitBadInput;
  }

  std::vector<results::FileData> files;
  try {
    for (const auto& path : raw.files)
      files.push_back(results::read_file(path));
  } catch (const std::exception& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "fabricbench: error: model: %s\n", what.c_str());
    return kExitBadInput;
  }
  analysis::ModelReport report;
  try {
    report = analysis::build_model(raw.files, files, options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "fabricbench: error: model: %s\n", e.what());
    return kExitBadInput;
  }
  std::string astra_sim;
  if (!raw.astra_sim_path.empty()) {
    std::int64_t npus = raw.export_npus;
    if (npus == 0) {
      for (const auto r : options.predict_ranks)
        npus = std::max(npus, r);
      for (const auto& m : report.collectives)
        for (const auto r : m.fit.ranks_fitted)
          if (options.predict_ranks.empty()) npus = std::max(npus, r);
      npus = std::max<std::int64_t>(npus, 2);
    }
    try {
      astra_sim = analysis::astra_sim_network_yaml(report, npus);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "fabricbench: error: model: %s\n", e.what());
      return kExitBadInput;
    }
  }
  std::printf("%s", analysis::format_report(report).c_str());
  std::fflush(stdout);
  if (!astra_sim.empty()) {
    std::ofstream out(raw.astra_sim_path);
    out << astra_sim;
    out.close();
    if (!out) {
      std::fprintf(stderr,
                   "fabricbench: error: model: --export-astra-sim %s: could not be written\n",
                   raw.astra_sim_path.c_str());
      return kExitFailure;
    }
  }
  if (!raw.json_path.empty()) {
    try {
      write_json(raw.json_path, analysis::to_json(report));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fabricbench: error: model: %s\n", e.what());
      return kExitFailure;
    }
  }
  return kExitOk;
}

}  // namespace fb

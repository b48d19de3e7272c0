// Fitted parameters in a form a network simulator takes (ASTRA-sim's analytical backend).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include "analysis/model_report.hpp"

namespace fb::analysis {

namespace {

struct Link {
  double latency_us = 0;
  double beta_us_per_byte = 0;
  std::string source;
};

std::optional<Link> link_from_p2p(const ModelReport& report) {
  const P2PModel* latency = nullptr;
  const P2PModel* bandwidth = nullptr;
  for (const auto& m : report.p2p) {
    if (m.test == "latency" && latency == nullptr) latency = &m;
    if (m.test == "bandwidth" && bandwidth == nullptr) bandwidth = &m;
  }
  if (latency == nullptr && bandwidth == nullptr) return std::nullopt;
  const P2PModel& for_alpha = latency != nullptr ? *latency : *bandwidth;
  const P2PModel& for_beta = bandwidth != nullptr ? *bandwidth : *latency;
  return Link{for_alpha.fit.segments.front().alpha_us.estimate,
              for_beta.fit.segments.back().beta_us_per_byte.estimate,
              "p2p: latency from " + for_alpha.series + ", bandwidth from " + for_beta.series};
}

std::optional<Link> link_from_collectives(const ModelReport& report) {
  const CollectiveModel* chosen = nullptr;
  for (const auto& m : report.collectives) {
    if (m.fit.collective == "allreduce" && m.fit.algorithm == "ring") {
      chosen = &m;
      break;
    }
    if (chosen == nullptr) chosen = &m;
  }
  if (chosen == nullptr) return std::nullopt;
  return Link{chosen->fit.alpha_us.estimate, chosen->fit.beta_us_per_byte.estimate,
              "collective fit " + chosen->group};
}

std::string number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

}  // namespace

std::string astra_sim_network_yaml(const ModelReport& report, std::int64_t npus) {
  if (npus < 2)
    throw std::invalid_argument("ASTRA-sim export: needs at least 2 NPUs, got " +
                                std::to_string(npus));
  auto link = link_from_p2p(report);
  if (!link || !(link->beta_us_per_byte > 0)) link = link_from_collectives(report);
  if (!link || !(link->beta_us_per_byte > 0))
    throw std::invalid_argument("ASTRA-sim export: no fit gives a positive time per byte");
  const double bandwidth_GBps = 1.0 / (link->beta_us_per_byte * 1e3);
  const double latency_ns = std::max(0.0, link->latency_us) * 1e3;
  std::string out = "# ASTRA-sim analytical network configuration from fabricbench model\n";
  out += "# Hockney alpha-beta of ";
  out += link->source;
  out += "\n# (one switch dimension; alpha as the link latency, 1/beta as the link bandwidth)\n";
  out += "topology: [ Switch ]\n";
  out += "npus_count: [ " + std::to_string(npus) + " ]\n";
  out += "bandwidth: [ " + number(bandwidth_GBps) + " ]  # GB/s\n";
  out += "latency: [ " + number(latency_ns) + " ]  # ns\n";
  return out;
}

}  // namespace fb::analysis

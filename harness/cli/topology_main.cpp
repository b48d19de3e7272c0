// `fabricbench topology`: the model a description gives, as a summary or canonical JSON, and
// the comparison of two descriptions of one fabric.
#include "harness/cli/topology_main.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "topologies/topology.hpp"

namespace fb {

namespace {

std::string rate_text(double gbps) {
  if (gbps <= 0) return "rate unknown";
  char buf[64];
  if (gbps < 1)
    std::snprintf(buf, sizeof buf, "%g Mb/s", gbps * 1000);
  else
    std::snprintf(buf, sizeof buf, "%g Gb/s", gbps);
  return buf;
}

void print_summary(const topo::Topology& t) {
  std::printf("topology from %s: %zu hosts, %zu switches, %zu switch links\n", t.source.c_str(),
              t.hosts.size(), t.switches.size(), t.links.size());
  for (const auto& s : t.switches) {
    std::printf("  switch %s (tier %d)", s.name.c_str(), s.tier);
    for (const auto& l : t.links)
      if (l.lower == s.name)
        std::printf(", up to %s at %s", l.upper.c_str(), rate_text(l.rate_Gbps).c_str());
    std::printf("\n");
  }
  for (const int h : topo::host_order(t)) {
    const auto& host = t.hosts[static_cast<std::size_t>(h)];
    std::printf("  host %s:", host.name.c_str());
    for (const auto& n : host.nics)
      std::printf(" [%s rail %d, %s, %s]", n.name.empty() ? "nic" : n.name.c_str(), n.rail,
                  rate_text(n.rate_Gbps).c_str(),
                  n.switch_name.empty() ? "switch unknown" : ("on " + n.switch_name).c_str());
    std::printf("\n");
  }
  // Oversubscription per switch: the rate that can come up into it from below (hosts and
  // lower switches) against the rate it has up.
  for (const auto& s : t.switches) {
    double down = 0, up = 0;
    bool known = true;
    for (const auto& host : t.hosts)
      for (const auto& n : host.nics)
        if (n.switch_name == s.name) {
          known = known && n.rate_Gbps > 0;
          down += n.rate_Gbps;
        }
    for (const auto& l : t.links) {
      if (l.upper == s.name) {
        known = known && l.rate_Gbps > 0;
        down += l.rate_Gbps;
      }
      if (l.lower == s.name) {
        known = known && l.rate_Gbps > 0;
        up += l.rate_Gbps;
      }
    }
    if (known && up > 0)
      std::printf("  %s: %s down, %s up: %.2f:1\n", s.name.c_str(), rate_text(down).c_str(),
                  rate_text(up).c_str(), down / up);
  }
}

}  // namespace

int topology_main(int argc, char** argv) {
  CLI::App app{
      "Reads a fabric description (YAML, or Slurm's topology.conf as slurm:PATH), "
      "checks it and prints the model fabricbench uses (docs/TOPOLOGY.md)",
      "fabricbench topology"};
  std::string spec, other;
  bool json = false;
  app.add_option("description", spec, "a YAML file, or slurm:PATH for a topology.conf")->required();
  app.add_flag("--json", json, "print the model as canonical JSON");
  app.add_option("--compare", other,
                 "a second description of the same fabric: print where the two models differ "
                 "(exit 1 when they do)");
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    const auto model = topo::read_topology(spec);
    if (!other.empty()) {
      const auto second = topo::read_topology(other);
      const auto diffs = topo::compare_topologies(model, second);
      for (const auto& d : diffs)
        std::printf("%s\n", d.c_str());
      if (diffs.empty())
        std::printf("%s and %s describe the same fabric\n", model.source.c_str(),
                    second.source.c_str());
      return diffs.empty() ? 0 : 1;
    }
    if (json)
      std::printf("%s\n", topo::to_json(model).c_str());
    else
      print_summary(model);
    return 0;
  } catch (const topo::TopologyError& e) {
    std::fprintf(stderr, "fabricbench topology: %s\n", e.what());
    return 2;
  }
}

}  // namespace fb

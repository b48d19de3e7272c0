// Reading and writing the topology model (topology.hpp): the YAML description, Slurm's
// topology.conf, the flat model, canonical JSON, and the comparison of two models.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/rate_parse.hpp"
#include "topologies/topology.hpp"

namespace fb::topo {

namespace {

// Parts joined into one string (one allocation pattern, for messages built in loops).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  ((out += parts), ...);
  return out;
}

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw TopologyError(source + ": " + what);
}

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
    ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
    --b;
  return std::string(s.substr(a, b - a));
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What the readers collect before the model is checked and put in canonical order.
struct Draft {
  std::string source;
  std::vector<Host> hosts;
  std::vector<std::string> switches;  // declared order
  std::vector<Link> links;            // lower, upper (tiers not known yet)
};

// Checks names and references, derives the tiers and sorts everything canonically.
Topology finish(Draft d) {
  Topology t;
  t.source = d.source;
  std::set<std::string> switch_names;
  for (const auto& s : d.switches) {
    if (s.empty()) fail(d.source, "a switch has an empty name");
    if (!switch_names.insert(s).second) fail(d.source, "switch '" + s + "' is named twice");
  }
  std::set<std::string> host_names;
  for (const auto& h : d.hosts) {
    if (h.name.empty()) fail(d.source, "a host has an empty name");
    if (!host_names.insert(h.name).second) fail(d.source, "host '" + h.name + "' is named twice");
    if (h.nics.empty()) fail(d.source, "host '" + h.name + "' has no NIC");
    std::set<std::string> nic_names;
    for (const auto& nic : h.nics) {
      if (!nic.name.empty() && !nic_names.insert(nic.name).second)
        fail(d.source, "host '" + h.name + "' has NIC '" + nic.name + "' twice");
      if (!nic.switch_name.empty() && switch_names.count(nic.switch_name) == 0)
        fail(d.source, "host '" + h.name + "' is cabled to switch '" + nic.switch_name +
                           "', which is not described");
      if (nic.rail < 0) fail(d.source, "host '" + h.name + "' has a negative rail");
    }
  }
  std::map<std::string, std::vector<std::string>> below;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& l : d.links) {
    for (const auto* end : {&l.lower, &l.upper})
      if (switch_names.count(*end) == 0)
        fail(d.source, "a link names switch '" + *end + "', which is not described");
    if (l.lower == l.upper) fail(d.source, "switch '" + l.lower + "' links to itself");
    const auto key = std::minmax(l.lower, l.upper);
    if (!pairs.insert(key).second)
      fail(d.source, "switches '" + l.lower + "' and '" + l.upper + "' are linked twice");
    below[l.upper].push_back(l.lower);
  }
  // Tier: 0 without switches below, else 1 + the highest below; a cycle has no tier.
  std::map<std::string, int> tier;
  std::set<std::string> open;
  const std::function<int(const std::string&)> tier_of = [&](const std::string& s) -> int {
    if (auto it = tier.find(s); it != tier.end()) return it->second;
    if (!open.insert(s).second)
      fail(d.source, "the links between switches form a cycle at '" + s + "'");
    int t_ = 0;
    for (const auto& child : below[s])
      t_ = std::max(t_, tier_of(child) + 1);
    open.erase(s);
    return tier[s] = t_;
  };
  for (const auto& s : d.switches)
    t.switches.push_back({s, tier_of(s)});
  std::sort(t.switches.begin(), t.switches.end(), [](const Switch& a, const Switch& b) {
    return a.tier != b.tier ? a.tier < b.tier : natural_less(a.name, b.name);
  });
  t.hosts = std::move(d.hosts);
  std::sort(t.hosts.begin(), t.hosts.end(),
            [](const Host& a, const Host& b) { return natural_less(a.name, b.name); });
  t.links = std::move(d.links);
  std::sort(t.links.begin(), t.links.end(), [](const Link& a, const Link& b) {
    if (a.lower != b.lower) return natural_less(a.lower, b.lower);
    return natural_less(a.upper, b.upper);
  });
  return t;
}

double yaml_rate(const YAML::Node& node, const std::string& source, const std::string& where) {
  if (!node) return 0;
  const auto text = node.as<std::string>();
  std::string error;
  const auto rate = parse_rate_Gbps(text, &error);
  if (!rate) fail(source, where + ": rate '" + text + "': " + error);
  return *rate;
}

void check_keys(const YAML::Node& node, std::initializer_list<const char*> known,
                const std::string& source, const std::string& where) {
  if (!node.IsMap()) fail(source, where + " must be a mapping");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      std::string list;
      for (const char* k : known)
        list += cat(list.empty() ? "" : ", ", k);
      fail(source, cat(where, ": unknown key '", key, "' (known: ", list, ")"));
    }
  }
}

std::string required_name(const YAML::Node& node, const std::string& source,
                          const std::string& where) {
  if (!node["name"] || !node["name"].IsScalar()) fail(source, where + " needs a name");
  return node["name"].as<std::string>();
}

}  // namespace

namespace {
// A host or switch list in a description: its errors name the description.
std::vector<std::string> expand_in(std::string_view list, const std::string& source) {
  try {
    return expand_hostlist(list);
  } catch (const TopologyError& e) {
    fail(source, e.what());
  }
}
}  // namespace

std::vector<std::string> expand_hostlist(std::string_view list) {
  std::vector<std::string> out;
  // Split at commas outside brackets.
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  for (const char c : list) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0) throw TopologyError("host list '" + std::string(list) + "': unbalanced ']'");
    if (c == ',' && depth == 0) {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) throw TopologyError("host list '" + std::string(list) + "': unbalanced '['");
  items.push_back(cur);
  for (auto& raw : items) {
    const auto item = trim(raw);
    if (item.empty()) throw TopologyError("host list '" + std::string(list) + "': empty name");
    const auto open = item.find('[');
    if (open == std::string::npos) {
      out.push_back(item);
      continue;
    }
    const auto close = item.find(']', open);
    const std::string prefix = item.substr(0, open);
    const std::string body = item.substr(open + 1, close - open - 1);
    const std::string rest = item.substr(close + 1);
    const auto tails = rest.empty() ? std::vector<std::string>{""} : expand_hostlist(rest);
    std::stringstream ranges(body);
    std::string range;
    while (std::getline(ranges, range, ',')) {
      range = trim(range);
      const auto dash = range.find('-');
      const std::string lo_s = range.substr(0, dash);
      const std::string hi_s = dash == std::string::npos ? lo_s : range.substr(dash + 1);
      const auto digits = [](const std::string& s) {
        return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
      };
      if (!digits(lo_s) || !digits(hi_s))
        throw TopologyError("host list '" + std::string(list) + "': bad range '" + range + "'");
      const long lo = std::stol(lo_s), hi = std::stol(hi_s);
      if (hi < lo || hi - lo > 100000)
        throw TopologyError("host list '" + std::string(list) + "': bad range '" + range + "'");
      const std::size_t width = lo_s.size() > 1 && lo_s[0] == '0' ? lo_s.size() : 0;
      for (long v = lo; v <= hi; ++v) {
        std::string num = std::to_string(v);
        if (num.size() < width) num.insert(0, width - num.size(), '0');
        for (const auto& tail : tails)
          out.push_back(cat(prefix, num, tail));
      }
    }
  }
  return out;
}

Topology parse_yaml_topology(std::string_view text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    fail(source, std::string("not YAML: ") + e.what());
  }
  try {
    check_keys(root, {"version", "name", "switches", "hosts"}, source, "the description");
    if (root["version"] && root["version"].as<int>() != 1)
      fail(source, "version " + root["version"].as<std::string>() + " (this build reads 1)");
    Draft d;
    d.source = source;
    if (const auto switches = root["switches"]) {
      if (!switches.IsSequence()) fail(source, "'switches' must be a list");
      for (const auto& sw : switches) {
        const std::string name = required_name(sw, source, "a switch");
        const std::string where = "switch '" + name + "'";
        check_keys(sw, {"name", "uplinks"}, source, where);
        for (const auto& n : expand_in(name, source)) {
          d.switches.push_back(n);
          if (const auto up = sw["uplinks"]) {
            if (!up.IsSequence()) fail(source, where + ": 'uplinks' must be a list");
            for (const auto& u : up) {
              check_keys(u, {"to", "rate"}, source, where + " uplink");
              if (!u["to"]) fail(source, where + ": an uplink needs 'to'");
              d.links.push_back(
                  {n, u["to"].as<std::string>(), yaml_rate(u["rate"], source, where)});
            }
          }
        }
      }
    }
    const auto hosts = root["hosts"];
    if (!hosts || !hosts.IsSequence() || hosts.size() == 0)
      fail(source, "'hosts' must be a list of at least one host");
    for (const auto& h : hosts) {
      const std::string name = required_name(h, source, "a host");
      const std::string where = "host '" + name + "'";
      check_keys(h, {"name", "nics", "switch", "rate"}, source, where);
      std::vector<Nic> nics;
      if (const auto list = h["nics"]) {
        if (h["switch"] || h["rate"])
          fail(source, where + ": give 'switch' and 'rate' per NIC when 'nics' is listed");
        if (!list.IsSequence() || list.size() == 0)
          fail(source, where + ": 'nics' must be a non-empty list");
        for (const auto& n : list) {
          check_keys(n, {"name", "switch", "rate", "rail"}, source, where + " NIC");
          Nic nic;
          nic.name = n["name"] ? n["name"].as<std::string>() : "";
          nic.switch_name = n["switch"] ? n["switch"].as<std::string>() : "";
          nic.rate_Gbps = yaml_rate(n["rate"], source, where);
          nic.rail = n["rail"] ? n["rail"].as<int>() : static_cast<int>(nics.size());
          nics.push_back(nic);
        }
      } else {
        Nic nic;
        nic.switch_name = h["switch"] ? h["switch"].as<std::string>() : "";
        nic.rate_Gbps = yaml_rate(h["rate"], source, where);
        nics.push_back(nic);
      }
      for (const auto& n : expand_in(name, source))
        d.hosts.push_back({n, nics});
    }
    return finish(std::move(d));
  } catch (const YAML::Exception& e) {
    fail(source, std::string("bad value: ") + e.what());
  }
}

Topology parse_slurm_topology(std::string_view text, const std::string& source) {
  Draft d;
  d.source = source;
  std::map<std::string, std::vector<std::string>> children;
  std::map<std::string, std::vector<std::string>> nodes;
  // Logical lines: comments stripped, a trailing backslash continues the line.
  std::vector<std::pair<int, std::string>> lines;
  {
    std::stringstream in{std::string(text)};
    std::string line, pending;
    int number = 0, start = 0;
    while (std::getline(in, line)) {
      ++number;
      if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
      if (pending.empty()) start = number;
      line = trim(line);
      if (!line.empty() && line.back() == '\\') {
        pending += line.substr(0, line.size() - 1) + " ";
        continue;
      }
      pending += line;
      if (!trim(pending).empty()) lines.emplace_back(start, pending);
      pending.clear();
    }
    if (!trim(pending).empty()) lines.emplace_back(start, pending);
  }
  for (const auto& [number, line] : lines) {
    const std::string where = "line " + std::to_string(number);
    std::stringstream words(line);
    std::string word, name;
    std::vector<std::string> below, hosts;
    while (words >> word) {
      const auto eq = word.find('=');
      if (eq == std::string::npos) fail(source, cat(where, ": '", word, "' is not KEY=VALUE"));
      const auto key = lower(word.substr(0, eq));
      const auto value = word.substr(eq + 1);
      if (key == "switchname") {
        name = value;
      } else if (key == "switches") {
        below = expand_in(value, source);
      } else if (key == "nodes") {
        hosts = expand_in(value, source);
      } else if (key == "linkspeed") {
        // Slurm's units are arbitrary and it does not use them; neither do we.
      } else if (key == "blockname" || key == "blocksizes") {
        fail(source, where + ": block topologies are not supported (only the tree form)");
      } else {
        fail(source, where + ": unknown key '" + word.substr(0, eq) + "'");
      }
    }
    if (name.empty()) fail(source, where + ": no SwitchName");
    for (const auto& n : expand_in(name, source)) {
      d.switches.push_back(n);
      for (const auto& c : below)
        d.links.push_back({c, n, 0});
      for (const auto& h : hosts)
        d.hosts.push_back({h, {Nic{"", 0, 0, n}}});
    }
  }
  if (d.hosts.empty()) fail(source, "no switch lists any Nodes");
  return finish(std::move(d));
}

Topology read_topology(const std::string& spec) {
  const bool slurm = spec.rfind("slurm:", 0) == 0;
  const std::string path = slurm ? spec.substr(6) : spec;
  std::ifstream in(path);
  if (!in) throw TopologyError(path + ": cannot read the topology description");
  std::stringstream text;
  text << in.rdbuf();
  return slurm ? parse_slurm_topology(text.str(), "slurm:" + path)
               : parse_yaml_topology(text.str(), "yaml:" + path);
}

Topology flat_topology(const std::vector<std::string>& hostnames) {
  Draft d;
  d.source = "flat";
  std::set<std::string> seen;
  for (const auto& h : hostnames)
    if (seen.insert(h).second) d.hosts.push_back({h, {Nic{}}});
  return finish(std::move(d));
}

std::string to_json(const Topology& t, int indent) {
  nlohmann::ordered_json j;
  j["format"] = "fabricbench-topology";
  j["version"] = 1;
  j["source"] = t.source;
  j["hosts"] = nlohmann::ordered_json::array();
  for (const auto& h : t.hosts) {
    nlohmann::ordered_json host;
    host["name"] = h.name;
    host["nics"] = nlohmann::ordered_json::array();
    for (const auto& n : h.nics)
      host["nics"].push_back({{"name", n.name},
                              {"rail", n.rail},
                              {"rate_gbps", n.rate_Gbps},
                              {"switch", n.switch_name}});
    j["hosts"].push_back(host);
  }
  j["switches"] = nlohmann::ordered_json::array();
  for (const auto& s : t.switches)
    j["switches"].push_back({{"name", s.name}, {"tier", s.tier}});
  j["links"] = nlohmann::ordered_json::array();
  for (const auto& l : t.links)
    j["links"].push_back({{"a", l.lower}, {"b", l.upper}, {"rate_gbps", l.rate_Gbps}});
  return j.dump(indent);
}

std::vector<std::string> compare_topologies(const Topology& a, const Topology& b) {
  std::vector<std::string> diffs;
  const auto rate_text = [](double g) { return std::to_string(g) + " Gb/s"; };
  const auto knows_nics = [](const Host& h) {
    return !(h.nics.size() == 1 && h.nics[0].name.empty() && h.nics[0].rate_Gbps == 0);
  };
  for (const auto& ha : a.hosts) {
    const auto it = std::find_if(b.hosts.begin(), b.hosts.end(),
                                 [&](const Host& h) { return h.name == ha.name; });
    if (it == b.hosts.end()) {
      diffs.push_back("host " + ha.name + " is only in " + a.source);
      continue;
    }
    const Host& hb = *it;
    if (!knows_nics(ha) || !knows_nics(hb)) {
      const auto& sa = ha.nics[0].switch_name;
      const auto& sb = hb.nics[0].switch_name;
      if (!sa.empty() && !sb.empty() && sa != sb)
        diffs.push_back(cat("host ", ha.name, " hangs from ", sa, " in ", a.source, " but from ",
                            sb, " in ", b.source));
      continue;
    }
    if (ha.nics.size() != hb.nics.size()) {
      diffs.push_back("host " + ha.name + " has " + std::to_string(ha.nics.size()) + " NICs in " +
                      a.source + " but " + std::to_string(hb.nics.size()) + " in " + b.source);
      continue;
    }
    for (std::size_t k = 0; k < ha.nics.size(); ++k) {
      const Nic& na = ha.nics[k];
      const Nic& nb = hb.nics[k];
      const std::string what = "host " + ha.name + " NIC " + std::to_string(k);
      if (!na.name.empty() && !nb.name.empty() && na.name != nb.name)
        diffs.push_back(what + " is " + na.name + " in " + a.source + " but " + nb.name + " in " +
                        b.source);
      if (na.rail != nb.rail)
        diffs.push_back(what + " is on rail " + std::to_string(na.rail) + " in " + a.source +
                        " but rail " + std::to_string(nb.rail) + " in " + b.source);
      if (na.rate_Gbps > 0 && nb.rate_Gbps > 0 && na.rate_Gbps != nb.rate_Gbps)
        diffs.push_back(what + " runs at " + rate_text(na.rate_Gbps) + " in " + a.source + " but " +
                        rate_text(nb.rate_Gbps) + " in " + b.source);
      if (!na.switch_name.empty() && !nb.switch_name.empty() && na.switch_name != nb.switch_name)
        diffs.push_back(what + " is cabled to " + na.switch_name + " in " + a.source + " but to " +
                        nb.switch_name + " in " + b.source);
    }
  }
  for (const auto& hb : b.hosts)
    if (std::none_of(a.hosts.begin(), a.hosts.end(),
                     [&](const Host& h) { return h.name == hb.name; }))
      diffs.push_back("host " + hb.name + " is only in " + b.source);
  for (const auto& sa : a.switches) {
    const int s = b.find_switch(sa.name);
    if (s < 0) {
      diffs.push_back("switch " + sa.name + " is only in " + a.source);
    } else if (b.switches[static_cast<std::size_t>(s)].tier != sa.tier) {
      diffs.push_back("switch " + sa.name + " is on tier " + std::to_string(sa.tier) + " in " +
                      a.source + " but tier " +
                      std::to_string(b.switches[static_cast<std::size_t>(s)].tier) + " in " +
                      b.source);
    }
  }
  for (const auto& sb : b.switches)
    if (a.find_switch(sb.name) < 0)
      diffs.push_back("switch " + sb.name + " is only in " + b.source);
  const auto find_link = [](const Topology& t, const Link& l) -> const Link* {
    for (const auto& x : t.links)
      if (x.lower == l.lower && x.upper == l.upper) return &x;
    return nullptr;
  };
  for (const auto& la : a.links) {
    const Link* lb = find_link(b, la);
    if (lb == nullptr) {
      diffs.push_back("link " + la.lower + " - " + la.upper + " is only in " + a.source);
    } else if (la.rate_Gbps > 0 && lb->rate_Gbps > 0 && la.rate_Gbps != lb->rate_Gbps) {
      diffs.push_back("link " + la.lower + " - " + la.upper + " runs at " +
                      rate_text(la.rate_Gbps) + " in " + a.source + " but " +
                      rate_text(lb->rate_Gbps) + " in " + b.source);
    }
  }
  for (const auto& lb : b.links)
    if (find_link(a, lb) == nullptr)
      diffs.push_back("link " + lb.lower + " - " + lb.upper + " is only in " + b.source);
  return diffs;
}

}  // namespace fb::topo

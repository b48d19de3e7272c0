// Profiles: the shipped files parse, every malformed case is one line naming file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "analysis/qualify_profile.hpp"

namespace fb::analysis {
namespace {

const char* kGood = R"(profile: test
description: a test profile
link:
  line_rate: 400 Gb/s
  nics_per_node: 8
  pcie_cap: 504 Gb/s
rules:
  - name: bw
    test: p2p_bandwidth
    sizes: [1M, 4M]
    unit: line_rate
    warn: 0.975
    fail: 0.95
    iterations: 50
    budget: 200
  - name: lat
    test: p2p_latency
    size: 8
    statistic: p99
    unit: us
    warn: 3.0
    fail: 4.2
  - name: bibw
    test: p2p_bibw
    size: 1M
    unit: GB/s
    direction: one
    warn: 48
    fail: 45
  - name: busbw
    test: collective
    collective: allreduce
    sizes: [256M, 1G]
    unit: line_rate
    warn: 0.94
    fail: 0.92
)";

std::string error_of(const std::string& text) {
  try {
    parse_profile(text, "p.yaml");
  } catch (const ProfileError& e) {
    return e.what();
  }
  return "(no error)";
}

// Replaces the first occurrence of `from` in the good profile.
std::string good_with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(QualifyProfile, ParsesEveryField) {
  const auto p = parse_profile(kGood, "p.yaml");
  EXPECT_EQ(p.name, "test");
  EXPECT_DOUBLE_EQ(p.link.line_rate_Gbps, 400);
  EXPECT_EQ(p.link.nics_per_node, 8);
  ASSERT_TRUE(p.link.pcie_cap_Gbps);
  EXPECT_DOUBLE_EQ(*p.link.pcie_cap_Gbps, 504);
  ASSERT_EQ(p.rules.size(), 4U);
  const auto& bw = p.rules[0];
  EXPECT_EQ(bw.test, QualifyTest::p2p_bandwidth);
  EXPECT_EQ(bw.min_bytes, 1U << 20);
  EXPECT_EQ(bw.max_bytes, 4U << 20);
  EXPECT_DOUBLE_EQ(bw.quantile, 0.5);
  EXPECT_EQ(bw.iterations, 50);
  EXPECT_EQ(bw.budget, 200);
  EXPECT_EQ(bw.source_line, 8);
  const auto& lat = p.rules[1];
  EXPECT_EQ(lat.min_bytes, 8U);
  EXPECT_EQ(lat.max_bytes, 8U);
  EXPECT_DOUBLE_EQ(lat.quantile, 0.99);
  EXPECT_EQ(lat.unit, ThresholdUnit::us);
  EXPECT_EQ(p.rules[2].direction, Direction::one);
  EXPECT_EQ(p.rules[3].collective, "allreduce");
  EXPECT_EQ(p.rules[3].algorithm, "ring");
}

TEST(QualifyProfile, ThresholdsInTheMeasuredUnit) {
  const auto p = parse_profile(kGood, "p.yaml");
  // 0.95 x 400 Gb/s = 380 Gb/s = 47.5 GB/s, one direction.
  EXPECT_DOUBLE_EQ(threshold_in_measured_unit(p.rules[0], p.link, 0.95), 47.5);
  EXPECT_DOUBLE_EQ(threshold_in_measured_unit(p.rules[1], p.link, 4.2), 4.2);
  // 45 GB/s per direction: 90 GB/s for both directions summed.
  EXPECT_DOUBLE_EQ(threshold_in_measured_unit(p.rules[2], p.link, 45), 90);
  // Bus bandwidth: 0.92 x 8 NICs x 400 Gb/s / 8 = 368 GB/s.
  EXPECT_DOUBLE_EQ(threshold_in_measured_unit(p.rules[3], p.link, 0.92), 368);
  // The PCIe cap limits what a NIC can reach.
  LinkModel capped{800, 1, 504};
  EXPECT_DOUBLE_EQ(threshold_in_measured_unit(p.rules[0], capped, 1.0), 63);
}

TEST(QualifyProfile, LineRateOverride) {
  const auto p = parse_profile(kGood, "p.yaml", 200.0);
  EXPECT_DOUBLE_EQ(p.link.line_rate_Gbps, 200);
}

TEST(QualifyProfile, ShippedProfilesParse) {
  const std::filesystem::path dir = std::filesystem::path(FB_SOURCE_DIR) / "profiles";
  int count = 0;
  for (const char* name :
       {"hdr200", "ndr400", "xdr800", "roce100", "roce200", "roce400", "roce800"}) {
    const auto file = find_profile(name, {dir});
    ASSERT_TRUE(file) << name;
    const auto p = load_profile(*file);
    EXPECT_EQ(p.name, name);
    EXPECT_FALSE(p.rules.empty());
    ++count;
  }
  EXPECT_EQ(count, 7);
  EXPECT_DOUBLE_EQ(load_profile(dir / "ndr400.yaml").link.line_rate_Gbps, 400);
  EXPECT_DOUBLE_EQ(load_profile(dir / "xdr800.yaml").link.pcie_cap_Gbps.value(), 1008);
}

TEST(QualifyProfile, Generic) {
  const auto p = generic_profile(1.0);
  EXPECT_EQ(p.name, "generic");
  EXPECT_DOUBLE_EQ(p.link.line_rate_Gbps, 1.0);
  ASSERT_EQ(p.rules.size(), 2U);
  EXPECT_EQ(p.rules[1].test, QualifyTest::link_matrix);
}

TEST(QualifyProfile, YamlSyntaxError) {
  EXPECT_EQ(error_of("profile: x\nlink: [1, 2\n"),
            "p.yaml:3: YAML syntax error: end of sequence flow not found");
}

TEST(QualifyProfile, UnknownKeys) {
  EXPECT_EQ(error_of(good_with("    budget: 200\n", "    budget: 200\n    colour: red\n")),
            "p.yaml:16: unknown key 'colour' in a rule (known: algorithm, budget, collective, "
            "direction, dtype, fail, iterations, level, name, size, sizes, statistic, test, "
            "unit, warn)");
  EXPECT_EQ(error_of(good_with("  nics_per_node: 8\n", "  nic_count: 8\n")),
            "p.yaml:5: unknown key 'nic_count' in link (known: line_rate, nics_per_node, "
            "pcie_cap)");
  EXPECT_EQ(error_of(good_with("description:", "descripton:")),
            "p.yaml:2: unknown key 'descripton' in the profile (known: description, link, "
            "profile, rules)");
}

TEST(QualifyProfile, MissingFields) {
  EXPECT_EQ(error_of(good_with("    fail: 0.95\n", "")), "p.yaml:8: rule 'bw' has no 'fail'");
  EXPECT_EQ(error_of(good_with("  line_rate: 400 Gb/s\n", "")),
            "p.yaml:4: link has no 'line_rate'");
  EXPECT_EQ(error_of(good_with("    unit: us\n", "")), "p.yaml:16: rule 'lat' has no 'unit'");
  EXPECT_EQ(error_of(good_with("    sizes: [1M, 4M]\n", "")), "p.yaml:8: rule 'bw' has no 'sizes'");
  EXPECT_EQ(error_of("profile: x\nlink:\n  line_rate: 1 Gb/s\n"),
            "p.yaml:1: the profile has no 'rules'");
}

TEST(QualifyProfile, BadUnits) {
  EXPECT_EQ(error_of(good_with("400 Gb/s", "400 Gbit/ss")),
            "p.yaml:4: line_rate '400 Gbit/ss' is not a rate with a unit (e.g. 400 Gb/s or 50 "
            "GB/s; b = bits, B = bytes)");
  EXPECT_EQ(error_of(good_with("    unit: GB/s\n", "    unit: GiB/s\n")),
            "p.yaml:26: rule 'bibw': unknown unit 'GiB/s' (line_rate, Gb/s, GB/s or us)");
  EXPECT_EQ(error_of(good_with("    unit: us\n", "    unit: line_rate\n")),
            "p.yaml:20: rule 'lat': latency levels are absolute, in us");
  EXPECT_EQ(error_of(good_with("    unit: line_rate\n", "    unit: us\n")),
            "p.yaml:11: rule 'bw': unit us is for latency; rates take line_rate, Gb/s or GB/s");
  EXPECT_EQ(error_of(good_with("    direction: one\n", "")),
            "p.yaml:26: rule 'bibw': say whether the level is per direction or the sum of both "
            "(direction: one or both)");
  EXPECT_EQ(error_of(good_with("    warn: 0.975\n", "    warn: 1.5\n")),
            "p.yaml:12: rule 'bw': warn is a fraction of the line rate, at most 1");
  EXPECT_EQ(error_of(good_with("sizes: [1M, 4M]", "sizes: [1M, 4Q]")),
            "p.yaml:10: sizes '4Q' is not a size (e.g. 8, 64K, 1M)");
  EXPECT_EQ(error_of(good_with("test: p2p_bandwidth", "test: p2p_bw")),
            "p.yaml:9: rule 'bw': unknown test 'p2p_bw' (known: p2p_latency, p2p_bandwidth, "
            "p2p_bibw, link_matrix, collective)");
}

TEST(QualifyProfile, WarnAndFailInTheWrongOrder) {
  EXPECT_EQ(error_of(good_with("    warn: 0.975\n", "    warn: 0.9\n")),
            "p.yaml:12: rule 'bw': warn (0.9) must be at least fail (0.95) for a rate: warn is "
            "the stricter level");
  EXPECT_EQ(error_of(good_with("    warn: 3.0\n", "    warn: 5.0\n")),
            "p.yaml:21: rule 'lat': warn (5.0) must not exceed fail (4.2) for latency: warn is "
            "the stricter level");
}

TEST(QualifyProfile, OtherMistakes) {
  EXPECT_EQ(error_of(good_with("  - name: lat\n", "  - name: bw\n")),
            "p.yaml:16: a second rule named 'bw'");
  EXPECT_EQ(error_of(good_with("sizes: [1M, 4M]", "sizes: [4M, 1M]")),
            "p.yaml:10: rule 'bw': sizes must be [MIN, MAX] with MIN <= MAX");
  EXPECT_EQ(error_of(good_with("statistic: p99", "statistic: mean")),
            "p.yaml:19: rule 'lat': unknown statistic 'mean' (median, p90, p99, ...)");
  EXPECT_EQ(error_of(good_with("    iterations: 50\n", "    iterations: 2.5\n")),
            "p.yaml:14: iterations must be a whole number of at least 1");
}

TEST(QualifyProfile, MessagesAreOneLine) {
  for (const auto& bad : {good_with("    fail: 0.95\n", ""), std::string("rules: [\n"),
                          good_with("    warn: 0.975\n", "    warn: 0.9\n")}) {
    const auto message = error_of(bad);
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind("p.yaml:", 0), 0U) << message;
  }
}

TEST(QualifyProfile, FindProfile) {
  const std::filesystem::path dir = std::filesystem::path(FB_SOURCE_DIR) / "profiles";
  EXPECT_EQ(find_profile("ndr400", {"/nonexistent", dir}), dir / "ndr400.yaml");
  EXPECT_FALSE(find_profile("nonexistent", {dir}));
  EXPECT_FALSE(find_profile("/nonexistent/x.yaml", {dir}));
  EXPECT_THROW(load_profile("/nonexistent/x.yaml"), ProfileError);
}

TEST(QualifyProfile, Rates) {
  EXPECT_DOUBLE_EQ(parse_rate_text_Gbps("400 Gb/s").value(), 400);
  EXPECT_DOUBLE_EQ(parse_rate_text_Gbps("50GB/s").value(), 400);
  EXPECT_DOUBLE_EQ(parse_rate_text_Gbps("1.6 Tb/s").value(), 1600);
  EXPECT_DOUBLE_EQ(parse_rate_text_Gbps("100 Mbps").value(), 0.1);
  EXPECT_FALSE(parse_rate_text_Gbps("400"));
  EXPECT_FALSE(parse_rate_text_Gbps("400 GiB/s"));
  EXPECT_EQ(parse_size_text_bytes("4MiB").value(), 4U << 20);
  EXPECT_EQ(parse_size_text_bytes("64K").value(), 64U << 10);
  EXPECT_EQ(parse_size_text_bytes("8").value(), 8U);
  EXPECT_FALSE(parse_size_text_bytes("1.5"));
}

}  // namespace
}  // namespace fb::analysis

#include "transports/verbs/verbs_options.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace fb {

namespace {

constexpr int kMaxDepth = 1 << 15;
constexpr int kMaxInlineBytes = 1024;
constexpr int kMaxEagerBytes = 1 << 20;
constexpr int kMaxQpsPerPeer = 64;

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("verbs options: " + message);
}

int parse_int(std::string_view key, std::string_view value) {
  int parsed = 0;
  const auto* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
  if (value.empty() || ec != std::errc{} || ptr != end) {
    fail(std::string(key) + "=" + std::string(value) + ": expected an integer");
  }
  return parsed;
}

void check_range(const char* key, int value, int low, int high) {
  if (value < low || value > high) {
    fail(std::string(key) + "=" + std::to_string(value) + ": out of range " + std::to_string(low) +
         ".." + std::to_string(high));
  }
}

bool parse_flag(std::string_view key, std::string_view value) {
  if (value == "1") return true;
  if (value == "0") return false;
  fail(std::string(key) + "=" + std::string(value) + ": expected 0 or 1");
}

// "mlx5_0[:port]+mlx5_1[:port]+..."
std::vector<VerbsDeviceChoice> parse_device_list(std::string_view value) {
  std::vector<VerbsDeviceChoice> devices;
  std::string_view rest = value;
  while (true) {
    const auto plus = rest.find('+');
    const auto item = rest.substr(0, plus);
    const auto colon = item.find(':');
    VerbsDeviceChoice choice;
    choice.name = std::string(item.substr(0, colon));
    if (choice.name.empty()) {
      fail("device=" + std::string(value) + ": expected name[:port]+name[:port]...");
    }
    if (colon != std::string_view::npos) {
      choice.port = parse_int("device port", item.substr(colon + 1));
      check_range("device port", choice.port, 1, 255);
    }
    devices.push_back(choice);
    if (plus == std::string_view::npos) break;
    rest = rest.substr(plus + 1);
  }
  return devices;
}

void set_field(VerbsOptions& options, std::string_view key, std::string_view value) {
  if (key == "device") {
    options.devices = parse_device_list(value);
  } else if (key == "tclass") {
    options.tclass = parse_int(key, value);
  } else if (key == "sl") {
    options.sl = parse_int(key, value);
  } else if (key == "pkey_index") {
    options.pkey_index = parse_int(key, value);
  } else if (key == "relaxed_ordering") {
    options.relaxed_ordering = parse_flag(key, value);
  } else if (key == "srq") {
    options.srq = parse_flag(key, value);
  } else if (key == "srq_depth") {
    options.srq_depth = parse_int(key, value);
  } else if (key == "gid_index") {
    options.gid_index = value == "auto" ? std::nullopt : std::optional<int>(parse_int(key, value));
  } else if (key == "port") {
    options.port = parse_int(key, value);
  } else if (key == "mtu") {
    options.mtu = parse_int(key, value);
  } else if (key == "tx_depth") {
    options.tx_depth = parse_int(key, value);
  } else if (key == "rx_depth") {
    options.rx_depth = parse_int(key, value);
  } else if (key == "cq_moderation") {
    options.cq_moderation = parse_int(key, value);
  } else if (key == "inline_threshold") {
    options.inline_threshold = parse_int(key, value);
  } else if (key == "eager_threshold") {
    options.eager_threshold = parse_int(key, value);
  } else if (key == "qps_per_peer") {
    options.qps_per_peer = parse_int(key, value);
  } else if (key == "min_rnr_timer") {
    options.min_rnr_timer = parse_int(key, value);
  } else if (key == "timeout") {
    options.timeout = parse_int(key, value);
  } else if (key == "retry_cnt") {
    options.retry_cnt = parse_int(key, value);
  } else if (key == "rnr_retry") {
    options.rnr_retry = parse_int(key, value);
  } else {
    fail("unknown key '" + std::string(key) +
         "' (known: device, port, gid_index, mtu, tx_depth, rx_depth, cq_moderation, "
         "inline_threshold, eager_threshold, qps_per_peer, min_rnr_timer, timeout, retry_cnt, "
         "rnr_retry, tclass, sl, pkey_index, relaxed_ordering, srq, srq_depth)");
  }
}

}  // namespace

void validate(const VerbsOptions& options) {
  check_range("port", options.port, 0, 255);
  if (options.gid_index) check_range("gid_index", *options.gid_index, -1, 255);
  if (options.mtu != 0 && options.mtu != 256 && options.mtu != 512 && options.mtu != 1024 &&
      options.mtu != 2048 && options.mtu != 4096) {
    fail("mtu=" + std::to_string(options.mtu) +
         ": expected 0 (port's), 256, 512, 1024, 2048 "
         "or 4096");
  }
  check_range("tx_depth", options.tx_depth, 1, kMaxDepth);
  check_range("rx_depth", options.rx_depth, 1, kMaxDepth);
  check_range("cq_moderation", options.cq_moderation, 1, kMaxDepth);
  if (options.cq_moderation > options.tx_depth) {
    fail("cq_moderation=" + std::to_string(options.cq_moderation) + " exceeds tx_depth=" +
         std::to_string(options.tx_depth) + " (no completion would ever free the queue)");
  }
  check_range("inline_threshold", options.inline_threshold, 0, kMaxInlineBytes);
  check_range("eager_threshold", options.eager_threshold, 0, kMaxEagerBytes);
  check_range("qps_per_peer", options.qps_per_peer, 1, kMaxQpsPerPeer);
  check_range("min_rnr_timer", options.min_rnr_timer, 0, 31);
  check_range("timeout", options.timeout, 0, 31);
  check_range("retry_cnt", options.retry_cnt, 0, 7);
  check_range("rnr_retry", options.rnr_retry, 0, 7);
  check_range("tclass", options.tclass, 0, 255);
  check_range("sl", options.sl, 0, 15);
  check_range("pkey_index", options.pkey_index, 0, 65535);
  check_range("srq_depth", options.srq_depth, 1, kMaxDepth);
}

VerbsOptions parse_verbs_options(const std::string& spec) {
  VerbsOptions options;
  std::string_view rest = spec;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.empty()) continue;  // tolerate "a=1,,b=2" and a trailing comma
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) {
      // Appending (not "'" + std::string) sidesteps a GCC 12 -Wrestrict false positive.
      fail(std::string(1, '\'').append(item).append("': expected key=value"));
    }
    set_field(options, item.substr(0, equals), item.substr(equals + 1));
  }
  validate(options);
  return options;
}

VerbsOptions verbs_options_from_environment() {
  const char* spec = std::getenv("FB_VERBS_OPTIONS");  // NOLINT(concurrency-mt-unsafe)
  auto options = spec == nullptr ? VerbsOptions{} : parse_verbs_options(spec);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read at start-up, before any thread
  const char* nic = std::getenv("FB_TOPOLOGY_NIC_NAME");
  if (nic != nullptr && *nic != '\0') {
    const auto list = parse_device_list(nic);
    if (list.size() == 1) options.topology_nic = list.front();
  }
  return options;
}

}  // namespace fb

// Link rate of an RDMA port from ibv_port_attr's active_speed and active_width codes.
//
// Per-lane signalling rate and line encoding (IBTA; RoCE drivers report the nearest code):
//   code  name   signalling Gb/s  encoding                         data Gb/s per lane
//   1     SDR    2.5              8b/10b                           2.0
//   2     DDR    5                8b/10b                           4.0
//   4     QDR    10               8b/10b                           8.0
//   8     FDR10  10.3125          64b/66b                          10.0
//   16    FDR    14.0625          64b/66b                          13.636...
//   32    EDR    25.78125         64b/66b                          25.0
//   64    HDR    53.125           256b/257b + RS(544,514) FEC      50.0
//   128   NDR    106.25           256b/257b + RS(544,514) FEC      100.0
// Widths: 1 -> 1x, 2 -> 4x, 4 -> 8x, 8 -> 12x, 16 -> 2x.
//
// The figure compared with measured bandwidth is the data rate (after encoding), so that is
// what verbs_line_rate_Gbps returns; the signalling rate is available for reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fb {

struct LinkRate {
  double signalling_Gbps = 0;  // lanes x per-lane signalling rate
  double data_Gbps = 0;        // after line encoding and FEC: what payload can use
};

// nullopt for a speed or width code not in the table above.
std::optional<LinkRate> ib_link_rate(std::uint8_t active_speed, std::uint8_t active_width);

// Data rate of `port` on `device` in Gb/s (1e9 bits per second); nullopt when the device
// or port cannot be queried or reports an unknown code.
std::optional<double> verbs_line_rate_Gbps(const std::string& device, int port);

}  // namespace fb

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
//   256   XDR    212.5            256b/257b + RS(544,514) FEC      200.0  (active_speed_ex)
// Widths: 1 -> 1x, 2 -> 4x, 4 -> 8x, 8 -> 12x, 16 -> 2x.
//
// Ethernet (RoCE) ports report the nearest InfiniBand code for their Ethernet speed (mlx5:
// 10GbE as 1x QDR, 40GbE as 4x QDR, 25GbE as 1x EDR, 50GbE as 2x EDR or 1x HDR, 100GbE as
// 4x EDR, 2x HDR or 1x NDR, 200GbE as 4x HDR or 2x NDR, 400GbE as 8x HDR or 4x NDR, 800GbE
// as 8x NDR). Their data rate is the Ethernet rate: lanes x {SDR 1, DDR 5, QDR 10, FDR10 10,
// FDR 14, EDR 25, HDR 50, NDR 100, XDR 200} Gb/s, never the InfiniBand 8b/10b figure.
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
std::optional<LinkRate> ib_link_rate(std::uint32_t active_speed, std::uint8_t active_width);

// The rate for a port of `link_layer` (IBV_LINK_LAYER_*): the InfiniBand table, or the
// Ethernet rates above on an Ethernet port.
std::optional<LinkRate> link_rate(std::uint32_t speed, std::uint8_t active_width,
                                  std::uint8_t link_layer);

// Data rate in Gb/s (1e9 bits per second) of the port the verbs transport would give local
// rank `local_rank` with the options of FB_VERBS_OPTIONS; nullopt when there is no such port
// or it reports an unknown code.
std::optional<double> verbs_line_rate_Gbps(int local_rank);

}  // namespace fb

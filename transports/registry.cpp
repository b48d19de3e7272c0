#include "transports/registry.hpp"

#include <stdexcept>

#include "transports/mpi_bootstrap.hpp"
#include "transports/mpi_transport.hpp"
#include "transports/ucx_transport.hpp"
#include "transports/verbs/verbs_resources.hpp"
#include "transports/verbs/verbs_transport.hpp"

namespace fb {

namespace {

std::unique_ptr<Transport> make_mpi(Bootstrap& bootstrap) {
  const auto* mpi = dynamic_cast<const MpiBootstrap*>(&bootstrap);
  if (mpi == nullptr) {
    throw std::runtime_error("mpi transport: needs the MPI bootstrap (launch with mpirun or srun)");
  }
  return std::make_unique<MpiTransport>(*mpi);
}

std::unique_ptr<Transport> make_ucx(Bootstrap& bootstrap) {
  return std::make_unique<UcxTransport>(bootstrap);
}

}  // namespace

const std::vector<TransportEntry>& transport_registry() {
  static const std::vector<TransportEntry> entries = {
      {"ucx", "UCX tagged messages (UCP worker per rank)", make_ucx},
      {"mpi", "MPI point-to-point (MPI_Isend/MPI_Irecv)", make_mpi},
      {"verbs", "raw libibverbs RDMA (RC queue pairs)", make_verbs_transport,
       verbs_unavailable_reason},
  };
  return entries;
}

const TransportEntry* find_transport(const std::string& name) {
  for (const auto& entry : transport_registry()) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::vector<std::string> available_transport_names() {
  std::vector<std::string> names;
  for (const auto& entry : transport_registry()) {
    if (!entry.unavailable_reason()) names.push_back(entry.name);
  }
  return names;
}

std::vector<std::string> transport_names() {
  std::vector<std::string> names;
  for (const auto& entry : transport_registry())
    names.push_back(entry.name);
  return names;
}

}  // namespace fb

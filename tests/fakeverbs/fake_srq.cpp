// Shared receive queues: receives posted once, taken by whichever attached RC queue pair a
// message arrives on (its qp_num in the completion). As on mlx5: the depth is granted as the
// next power of two above the request, less one; requests above the device's max_srq_wr or
// max_srq_sge, or of depth 0, are refused (EINVAL); the depth cannot be changed (IBV_SRQ_MAX_WR:
// EINVAL); IBV_SRQ_LIMIT arms the limit, and when the receives left in the queue drop below it the
// device raises IBV_EVENT_SRQ_LIMIT_REACHED once and disarms. A receive's slot is free again
// when its completion is polled. An SRQ with queue pairs attached cannot be destroyed (EBUSY).
#include <algorithm>
#include <cerrno>
#include <string>

#include "tests/fakeverbs/fake_state.hpp"

using namespace fakeverbs;  // NOLINT(google-build-using-namespace): the C ABI wraps it

namespace fakeverbs {

int post_srq_recv(ibv_srq* handle, ibv_recv_wr* wr, ibv_recv_wr** bad) {
  auto* srq = state_of<Srq>(handle);
  auto& context = *srq->context;
  std::lock_guard lock(context.mutex);
  for (; wr != nullptr; wr = wr->next) {
    int error = 0;
    if (wr->num_sge < 0 || static_cast<std::uint32_t>(wr->num_sge) > srq->max_sge) error = EINVAL;
    if (error == 0 && srq->outstanding >= srq->max_wr) error = ENOMEM;
    if (error != 0) {
      *bad = wr;
      return fail(error);
    }
    RecvWr entry = posted_receive(context, *wr);
    ++srq->outstanding;
    if (starve_next_receive()) {
      release(entry.mrs);
      continue;  // lost on the way to the device
    }
    srq->queue.push_back(std::move(entry));
  }
  return 0;
}

void srq_consumed(Srq& srq) {
  if (!srq.armed || srq.queue.size() >= srq.limit) return;
  srq.armed = false;
  ibv_async_event event{};
  event.event_type = IBV_EVENT_SRQ_LIMIT_REACHED;
  event.element.srq = &srq.shell.c;
  raise_async(*srq.context, event);
}

}  // namespace fakeverbs

extern "C" {

ibv_srq* ibv_create_srq(ibv_pd* handle, ibv_srq_init_attr* init) {
  auto* pd = state_of<Pd>(handle);
  auto* context = pd->context;
  const auto& c = config();
  const auto asked = init->attr.max_wr;
  int error = 0;
  if (asked == 0 || asked > static_cast<std::uint32_t>(c.max_srq_wr) ||
      init->attr.max_sge > static_cast<std::uint32_t>(c.max_sge)) {
    error = EINVAL;
  }
  trace("create_srq max_wr=" + std::to_string(asked) + " rc=" + std::to_string(error));
  if (error != 0) {
    errno = error;
    return nullptr;
  }
  std::lock_guard lock(context->mutex);
  auto srq = std::make_unique<Srq>();
  srq->context = context;
  srq->pd = pd;
  std::uint32_t granted = 1;
  while (granted < asked + 1)
    granted *= 2;
  srq->max_wr = std::max(asked, std::min(granted - 1, static_cast<std::uint32_t>(c.max_srq_wr)));
  srq->max_sge = std::max<std::uint32_t>(init->attr.max_sge, 1);
  srq->limit = init->attr.srq_limit;  // kept, not armed: only ibv_modify_srq arms it
  init->attr.max_wr = srq->max_wr;
  init->attr.max_sge = srq->max_sge;
  srq->shell.self = srq.get();
  auto& s = srq->shell.c;
  s.context = handle->context;
  s.srq_context = init->srq_context;
  s.pd = handle;
  s.handle = static_cast<std::uint32_t>(context->srqs.size() + 1);
  ++pd->children;
  auto* raw = srq.get();
  context->srqs[raw] = std::move(srq);
  return &raw->shell.c;
}

int ibv_modify_srq(ibv_srq* handle, ibv_srq_attr* attr, int mask) {
  auto* srq = state_of<Srq>(handle);
  std::lock_guard lock(srq->context->mutex);
  if ((mask & ~(IBV_SRQ_MAX_WR | IBV_SRQ_LIMIT)) != 0) return fail(EINVAL);
  if ((mask & IBV_SRQ_MAX_WR) != 0) return fail(EINVAL);  // mlx5 cannot resize
  if ((mask & IBV_SRQ_LIMIT) != 0) {
    if (attr->srq_limit > srq->max_wr) return fail(EINVAL);
    srq->limit = attr->srq_limit;
    srq->armed = attr->srq_limit > 0;
  }
  return 0;
}

int ibv_query_srq(ibv_srq* handle, ibv_srq_attr* attr) {
  auto* srq = state_of<Srq>(handle);
  std::lock_guard lock(srq->context->mutex);
  attr->max_wr = srq->max_wr;
  attr->max_sge = srq->max_sge;
  attr->srq_limit = srq->limit;
  return 0;
}

int ibv_destroy_srq(ibv_srq* handle) {
  auto* srq = state_of<Srq>(handle);
  auto* context = srq->context;
  std::lock_guard lock(context->mutex);
  if (srq->users > 0) {
    trace_refused("ibv_destroy_srq", EBUSY);
    return fail(EBUSY);
  }
  for (auto& wr : srq->queue)
    release(wr.mrs);
  --srq->pd->children;
  context->srqs.erase(srq);
  return 0;
}

}  // extern "C"

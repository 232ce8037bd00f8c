// SlowRequestGuard (see slow_request_guard.h).
#include "slow_request_guard.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "connection_sockets.h"

namespace taskqueue::http {
namespace {

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SlowRequestGuard::SlowRequestGuard(std::chrono::milliseconds deadline) : deadline_(deadline) {}

SlowRequestGuard::~SlowRequestGuard() { Stop(); }

void SlowRequestGuard::Start(int port) {
  port_ = port;
  thread_ = std::thread([this] { Run(); });
}

void SlowRequestGuard::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::function<void()> SlowRequestGuard::Track(std::function<void()> job) {
  return [this, job = std::move(job)] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++open_;
    }
    cv_.notify_all();
    job();
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
  };
}

void SlowRequestGuard::HeadersRead(const std::string& peer_address, int peer_port, bool has_body) {
  std::lock_guard<std::mutex> lock(mu_);
  Waiting& w = peers_[{peer_address, peer_port}];
  w.exempt = !has_body;
  // A body gets the time the headers left (not more: a body sent a byte at
  // a time would hold the worker as headers would).
  if (w.since_ms == 0) w.since_ms = SteadyMillis();
}

void SlowRequestGuard::Answered(const std::string& peer_address, int peer_port) {
  std::lock_guard<std::mutex> lock(mu_);
  peers_[{peer_address, peer_port}] = Waiting{false, SteadyMillis()};
}

void SlowRequestGuard::Run() {
  // Four looks per deadline: a slow request is closed within 1.25 deadlines.
  const auto period = std::max(deadline_ / 4, std::chrono::milliseconds(10));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (open_ == 0) {
      peers_.clear();
      cv_.wait(lock, [this] { return stopping_ || open_ > 0; });
      continue;
    }
    cv_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    // The listing reads /proc: not while the workers wait for the lock.
    lock.unlock();
    const std::vector<AcceptedConnection> connections = ConnectionsOnPort(port_);
    lock.lock();
    Sweep(connections, SteadyMillis());
  }
}

void SlowRequestGuard::Sweep(const std::vector<AcceptedConnection>& connections, int64_t now_ms) {
  std::set<Peer> open;
  for (const AcceptedConnection& c : connections) {
    const Peer peer{c.peer_address, c.peer_port};
    open.insert(peer);
    Waiting& w = peers_[peer];
    if (w.since_ms == 0) w.since_ms = now_ms;  // first seen: its first request
    if (w.exempt || now_ms - w.since_ms <= deadline_.count()) continue;
    spdlog::warn("http: closing the connection from {}:{}: no whole request within {} ms",
                 c.peer_address, c.peer_port, deadline_.count());
    ShutdownConnection(c, SHUT_RDWR);
    peers_.erase(peer);
  }
  // Connections closed since: their ports may come back as new clients.
  for (auto it = peers_.begin(); it != peers_.end();) {
    it = open.count(it->first) ? std::next(it) : peers_.erase(it);
  }
}

}  // namespace taskqueue::http

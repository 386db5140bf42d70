#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace evni {

// Runs periodic background tasks (station model, statistics, housekeeping) on one thread of its
// own, one task at a time. Each task runs first `first_delay` after Start(), then every `interval`
// after the previous run ended. A task that throws is logged and runs again at its next time.
//
// `claim` (optional) decides whether this node runs a task now: with several nodes on one database it
// takes a lease so that one node runs each singleton task (see docs/architecture.md).
class Scheduler {
  public:
    using Task = std::function<void()>;
    using Claim = std::function<bool(const std::string& name, std::chrono::milliseconds interval)>;

    Scheduler() = default;
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Registers a task; call before Start().
    void Every(std::string name, std::chrono::milliseconds interval, Task task,
               std::chrono::milliseconds first_delay = std::chrono::seconds(5));
    void SetClaim(Claim claim) { claim_ = std::move(claim); }
    void Start();
    // Wakes the thread, waits for a running task to end, joins. Idempotent.
    void Stop();
    // Runs the named task now on the caller's thread (tests, admin commands); false when unknown.
    bool RunNow(const std::string& name);

  private:
    struct Entry {
        std::string name;
        std::chrono::milliseconds interval;
        Task task;
        std::chrono::steady_clock::time_point next;
        std::chrono::milliseconds first_delay;
    };
    void Loop();
    void RunEntry(Entry& e);

    std::vector<Entry> entries_;
    Claim claim_;
    std::mutex mu_;
    std::mutex run_mu_;  // one task at a time, also against RunNow
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace evni

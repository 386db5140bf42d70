#include "util/scheduler.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace evni {

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Every(std::string name, std::chrono::milliseconds interval, Task task,
                      std::chrono::milliseconds first_delay) {
    std::lock_guard lock(mu_);
    entries_.push_back(Entry{std::move(name), interval, std::move(task), {}, first_delay});
}

void Scheduler::Start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable() || entries_.empty()) return;
    const auto now = std::chrono::steady_clock::now();
    for (auto& e : entries_) e.next = now + e.first_delay;
    stopping_ = false;
    thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool Scheduler::RunNow(const std::string& name) {
    for (auto& e : entries_) {
        if (e.name == name) {
            RunEntry(e);
            return true;
        }
    }
    return false;
}

void Scheduler::RunEntry(Entry& e) {
    std::lock_guard run(run_mu_);
    try {
        if (claim_ && !claim_(e.name, e.interval)) return;
        const auto t0 = std::chrono::steady_clock::now();
        e.task();
        const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        spdlog::info("scheduled task {} ran in {:.1f} ms", e.name, ms);
    } catch (const std::exception& ex) {
        spdlog::error("scheduled task {} failed: {}", e.name, ex.what());
    }
}

void Scheduler::Loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        auto next = std::chrono::steady_clock::time_point::max();
        for (const auto& e : entries_) next = std::min(next, e.next);
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) break;
        const auto now = std::chrono::steady_clock::now();
        for (auto& e : entries_) {
            if (e.next > now) continue;
            lock.unlock();
            RunEntry(e);
            lock.lock();
            e.next = std::chrono::steady_clock::now() + e.interval;
            if (stopping_) break;
        }
    }
}

}  // namespace evni

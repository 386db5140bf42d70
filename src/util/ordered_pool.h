#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace evni {

// Runs pure work items on a few threads of its own while the caller goes on, and hands the results back in
// the order the items were submitted: the caller keeps ownership of everything that must stay on its thread
// (a database transaction) and offloads the rest (parsing, decoding). At most `window` items are in flight;
// Submit() blocks the caller by consuming the oldest result when the window is full.
template <typename Result>
class OrderedPool {
  public:
    // `consume` runs on the caller's thread, in submission order.
    OrderedPool(unsigned threads, std::size_t window, std::function<void(Result&&)> consume)
        : window_(window), consume_(std::move(consume)) {
        for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
    }
    ~OrderedPool() {
        {
            std::lock_guard g(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& t : threads_) t.join();
    }
    OrderedPool(const OrderedPool&) = delete;
    OrderedPool& operator=(const OrderedPool&) = delete;

    void Submit(std::function<Result()> work) {
        std::packaged_task<Result()> task(std::move(work));
        in_flight_.push_back(task.get_future());
        {
            std::lock_guard g(mutex_);
            queue_.push_back(std::move(task));
        }
        cv_.notify_one();
        while (in_flight_.size() > window_) ConsumeOldest();
    }

    // Consumes every result still in flight.
    void Drain() {
        while (!in_flight_.empty()) ConsumeOldest();
    }

  private:
    void ConsumeOldest() {
        auto f = std::move(in_flight_.front());
        in_flight_.pop_front();
        consume_(f.get());  // rethrows what the work threw
    }

    void Work() {
        for (;;) {
            std::packaged_task<Result()> task;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
                if (queue_.empty()) return;  // stopping and nothing left
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();
        }
    }

    const std::size_t window_;
    std::function<void(Result&&)> consume_;
    std::deque<std::future<Result>> in_flight_;  // the caller's thread only
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::packaged_task<Result()>> queue_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace evni

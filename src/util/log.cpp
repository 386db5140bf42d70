#include "util/log.h"

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace evni::log {

namespace {

// Log lines collected in memory and written to stderr in one write(2) when 64 KiB have gathered,
// every 100 ms, at every warning or error, and at exit. An asynchronous logger wakes its thread
// for every line (the access log writes one per request); this costs the request a mutex and a
// copy. A crash loses at most the last 100 ms of info lines.
class StderrBuffer {
  public:
    static constexpr std::size_t kWriteAt = 64 * 1024;

    StderrBuffer() : flusher_([this](std::stop_token stop) { FlushEvery(stop); }) {}
    ~StderrBuffer() {
        flusher_.request_stop();
        flusher_.join();
        Flush();
    }
    StderrBuffer(const StderrBuffer&) = delete;
    StderrBuffer& operator=(const StderrBuffer&) = delete;

    void Append(const char* data, std::size_t size) {
        std::lock_guard g(mutex_);
        pending_.append(data, size);
        if (pending_.size() >= kWriteAt) WriteLocked();
    }

    void Flush() {
        std::lock_guard g(mutex_);
        WriteLocked();
    }

  private:
    void WriteLocked() {
        std::size_t done = 0;
        while (done < pending_.size()) {
            const ssize_t n = ::write(STDERR_FILENO, pending_.data() + done, pending_.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // stderr closed or full disk: logging must not stop the service
            done += static_cast<std::size_t>(n);
        }
        pending_.clear();
    }

    void FlushEvery(std::stop_token stop) {
        std::mutex m;
        std::condition_variable_any wake;
        std::unique_lock lock(m);
        while (!wake.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; })) {
            if (stop.stop_requested()) return;
            Flush();
        }
    }

    std::mutex mutex_;
    std::string pending_;
    std::jthread flusher_;
};

// One sink per logger (each has its own pattern), all appending to the same buffer.
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit BufferedStderrSink(std::shared_ptr<StderrBuffer> buffer) : buffer_(std::move(buffer)) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        buffer_->Append(line.data(), line.size());
    }
    void flush_() override { buffer_->Flush(); }

  private:
    std::shared_ptr<StderrBuffer> buffer_;
};

std::shared_ptr<StderrBuffer> SharedBuffer() {
    static auto buffer = std::make_shared<StderrBuffer>();
    return buffer;
}

std::shared_ptr<spdlog::logger> MakeLogger(std::string name) {
    auto logger =
        std::make_shared<spdlog::logger>(std::move(name), std::make_shared<BufferedStderrSink>(SharedBuffer()));
    logger->flush_on(spdlog::level::warn);
    return logger;
}

}  // namespace

void Init(std::string_view level) {
    auto logger = MakeLogger("evni");
    // Messages logged through spdlog::info etc. become JSON lines; the message itself is escaped
    // by the callers that use the JSON helpers below, or is a plain human text.
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(std::string(level)));
    spdlog::set_default_logger(logger);
}

void JsonLine(std::string_view json_object) {
    // The "raw" logger writes the line as is (it is already a complete JSON object).
    static auto raw = [] {
        auto l = MakeLogger("raw");
        l->set_pattern("%v");
        return l;
    }();
    raw->info(json_object);
}

std::string JsonEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

}  // namespace evni::log

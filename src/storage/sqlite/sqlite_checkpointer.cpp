#include "storage/sqlite/sqlite_checkpointer.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {

WalCheckpointer::WalCheckpointer(std::string path, Connection& writer, int start_pages)
    : path_(std::move(path)), writer_(writer), start_pages_(start_pages) {
    sqlite3_wal_hook(writer_.Handle(), &WalCheckpointer::OnCommit, this);
    thread_ = std::thread([this] { Loop(); });
}

WalCheckpointer::~WalCheckpointer() {
    sqlite3_wal_hook(writer_.Handle(), nullptr, nullptr);
    {
        std::lock_guard g(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

int WalCheckpointer::OnCommit(void* self, sqlite3*, const char*, int pages) {
    auto* c = static_cast<WalCheckpointer*>(self);
    bool wake = false;
    {
        std::lock_guard g(c->mutex_);
        if (pages < c->copied_) c->copied_ = 0;  // the log started over
        wake = !c->due_ && pages - c->copied_ >= c->start_pages_;
        c->due_ = c->due_ || wake;
        c->pages_ = pages;
    }
    if (wake) c->wake_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::Loop() {
    std::unique_ptr<Connection> conn;
    std::unique_lock lock(mutex_);
    while (true) {
        // The timeout also copies the rest of the log back while the store is idle.
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || due_; });
        if (stop_) return;
        const int pages = pages_;
        due_ = false;
        if (pages <= copied_) continue;
        lock.unlock();
        int copied = 0;
        try {
            if (!conn) {
                conn = std::make_unique<Connection>(path_, false);
                // A new connection learns that the database is in WAL mode when it first reads it; until
                // then a checkpoint is a no-op.
                conn->Exec("SELECT count(*) FROM sqlite_schema");
            }
            int log = 0;
            const int mode = pages >= kRestartPages ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
            const int rc = sqlite3_wal_checkpoint_v2(conn->Handle(), nullptr, mode, &log, &copied);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
                spdlog::warn("sqlite checkpoint of {} failed: {}", path_, sqlite3_errstr(rc));
            }
        } catch (const std::exception& e) {
            spdlog::warn("sqlite checkpoint of {} failed: {}", path_, e.what());
        }
        lock.lock();
        // Frames up to `copied` are in the database file; the next wake-up is start_pages_ further on (or after
        // the log started over, which the hook notices).
        if (copied > 0 && pages_ >= copied) copied_ = copied;
    }
}

}  // namespace evni::storage::sqlite

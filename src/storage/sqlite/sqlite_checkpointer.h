#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace evni::storage::sqlite {

class Connection;

// Copies the write-ahead log back into the database file on a thread of its own. SQLite's automatic checkpoint
// runs inside the COMMIT that crosses its threshold, on the writer connection and under the store's write lock, so
// every writer queued behind it waits for the copy and its fsync. Here the writer only counts WAL pages (the WAL
// hook, after each commit) and wakes this thread, which checkpoints PASSIVE from a connection of its own:
// concurrently with further commits, never blocking them. Should the WAL still grow past a hard limit (a reader
// pinning an old snapshot for long), a RESTART checkpoint waits for readers and lets the log start over.
class WalCheckpointer {
  public:
    // WAL pages after which a checkpoint starts (16 MiB of 4 KiB pages), and after which it waits for readers.
    static constexpr int kStartPages = 4000;
    static constexpr int kRestartPages = 64000;

    // Installs the hook on `writer` (replacing SQLite's automatic checkpoint) and starts the thread.
    WalCheckpointer(std::string path, Connection& writer, int start_pages = kStartPages);
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  private:
    static int OnCommit(void* self, sqlite3* db, const char* schema, int pages);
    void Loop();

    std::string path_;
    Connection& writer_;
    const int start_pages_;
    std::mutex mutex_;
    std::condition_variable wake_;
    // Guarded by mutex_: WAL pages at the last commit, pages of the log already copied to the database file, a
    // checkpoint was asked for, the thread is to end.
    int pages_ = 0;
    int copied_ = 0;
    bool due_ = false;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace evni::storage::sqlite

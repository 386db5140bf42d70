#include "storage/sqlite/sqlite_checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/sqlite/sqlite_db.h"

namespace evni::storage::sqlite {
namespace {

namespace fs = std::filesystem;

std::int64_t Count(Connection& c) {
    auto s = c.Prepare("SELECT count(*) FROM t");
    s.Step();
    return s.Int(0);
}

class WalCheckpointerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("evni-ckpt-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "t.db").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Commits `n` rows of 8 KiB each (three WAL pages a row) one transaction at a time.
    static void Write(Connection& c, int n) {
        const std::string blob(8192, 'x');
        for (int i = 0; i < n; ++i) {
            c.Exec("BEGIN IMMEDIATE");
            c.Prepare("INSERT INTO t (data) VALUES (?1)").Bind(1, blob).Run();
            c.Exec("COMMIT");
        }
    }

    fs::path dir_;
    std::string path_;
};

TEST_F(WalCheckpointerTest, CopiesTheLogIntoTheDatabaseFileOffTheWriter) {
    Connection writer(path_, false);
    writer.Exec("PRAGMA journal_mode=WAL");
    writer.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)");
    const auto empty_size = fs::file_size(path_);
    {
        WalCheckpointer checkpointer(path_, writer, /*start_pages=*/50);
        Write(writer, 40);  // ~120 pages: past the threshold
        // The checkpoint runs on the checkpointer's thread; the database file grows once it has copied.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (fs::file_size(path_) < empty_size + 40 * 8192 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        EXPECT_GE(fs::file_size(path_), empty_size + 40 * 8192);
        Write(writer, 40);  // the writer goes on while and after it copied
    }
    EXPECT_EQ(Count(writer), 80);
    Connection reader(path_, true);
    EXPECT_EQ(Count(reader), 80);
}

}  // namespace
}  // namespace evni::storage::sqlite

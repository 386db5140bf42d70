#include "util/time.h"

#include <date/date.h>

#include <chrono>

namespace evni {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        char c = s[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

std::optional<EpochMs> DaysToMs(int y, int m, int d) {
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1) return std::nullopt;
    date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)}, date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    auto days = date::sys_days{ymd}.time_since_epoch().count();
    return static_cast<EpochMs>(days) * 86'400'000LL;
}

std::optional<EpochMs> ParseDate(std::string_view s) {
    int y, m, d;
    if (s.size() < 10 || !Digits(s, 0, 4, y) || s[4] != '-' || !Digits(s, 5, 2, m) || s[7] != '-' ||
        !Digits(s, 8, 2, d))
        return std::nullopt;
    return DaysToMs(y, m, d);
}

}  // namespace

std::optional<EpochMs> ParseIsoDateTime(std::string_view s) {
    auto day = ParseDate(s);
    if (!day || s.size() < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return std::nullopt;
    int hh, mm, ss;
    if (!Digits(s, 11, 2, hh) || s[13] != ':' || !Digits(s, 14, 2, mm) || s[16] != ':' || !Digits(s, 17, 2, ss))
        return std::nullopt;
    // 24:00:00 and leap seconds are not valid meter timestamps.
    if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
    size_t pos = 19;
    EpochMs frac_ms = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        size_t start = pos;
        int scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            frac_ms += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start || pos - start > 9) return std::nullopt;
    }
    EpochMs offset_ms = 0;
    if (pos < s.size()) {
        char c = s[pos];
        if ((c == 'Z' || c == 'z') && pos + 1 == s.size()) {
            pos += 1;
        } else if (c == '+' || c == '-') {
            int oh, om;
            if (!Digits(s, pos + 1, 2, oh)) return std::nullopt;
            size_t mpos = pos + 3;
            if (mpos < s.size() && s[mpos] == ':') ++mpos;
            if (!Digits(s, mpos, 2, om) || mpos + 2 != s.size() || oh > 23 || om > 59) return std::nullopt;
            offset_ms = (oh * 60 + om) * 60'000LL * (c == '+' ? 1 : -1);
            pos = s.size();
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) return std::nullopt;
    return *day + ((hh * 60 + mm) * 60 + ss) * 1000LL + frac_ms - offset_ms;
}

std::optional<EpochMs> ParseDateBound(std::string_view text, bool end_of_day) {
    if (text.size() == 10) {
        auto day = ParseDate(text);
        if (!day) return std::nullopt;
        return end_of_day ? *day + 86'400'000LL - 1 : *day;
    }
    return ParseIsoDateTime(text);
}

std::string FormatIsoDateTime(EpochMs ms) {
    using namespace std::chrono;
    sys_time<milliseconds> tp{milliseconds{ms}};
    auto day = floor<days>(tp);
    date::year_month_day ymd{day};
    auto tod = date::hh_mm_ss<milliseconds>{tp - day};
    char buf[40];
    int y = static_cast<int>(ymd.year());
    unsigned mo = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
    long h = tod.hours().count(), mi = tod.minutes().count(), sec = static_cast<long>(tod.seconds().count());
    long milli = static_cast<long>(tod.subseconds().count());
    int n;
    if (milli != 0) {
        n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", y, mo, d, h, mi, sec, milli);
    } else {
        n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", y, mo, d, h, mi, sec);
    }
    return std::string(buf, static_cast<size_t>(n));
}

EpochMs SystemClock::NowMs() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace evni

#include "api/llm_provider.h"

#include <curl/curl.h>

#include <boost/json.hpp>
#include <mutex>

namespace evni::api {
namespace json = boost::json;
namespace {

// Responses larger than this are not a chat answer we would use.
constexpr std::size_t kMaxResponseBytes = 1 << 20;

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
    auto* out = static_cast<std::string*>(user);
    const std::size_t n = size * count;
    if (out->size() + n > kMaxResponseBytes) return 0;  // aborts the transfer
    out->append(data, n);
    return n;
}

class OpenAiCompatibleProvider final : public LlmProvider {
  public:
    explicit OpenAiCompatibleProvider(LlmConfig config) : config_(std::move(config)) {
        endpoint_ = config_.url;
        while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
        if (endpoint_.size() < 17 || endpoint_.compare(endpoint_.size() - 17, 17, "/chat/completions") != 0) {
            endpoint_ += "/chat/completions";
        }
    }

    Result<std::string> Complete(const LlmPrompt& prompt) override {
        const json::object request{
            {"model", config_.model},
            {"temperature", 0},
            {"max_tokens", prompt.max_tokens},
            {"stream", false},
            {"messages", json::array{json::object{{"role", "system"}, {"content", prompt.system}},
                                     json::object{{"role", "user"}, {"content", prompt.user}}}}};
        const std::string body = json::serialize(request);

        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
        if (!curl) return Fail(Error::Unavailable("LLM: cannot create an HTTP handle"));
        curl_slist* headers = nullptr;
        headers = curl_slist_append(headers, "Content-Type: application/json");
        headers = curl_slist_append(headers, "Accept: application/json");
        std::string auth;
        if (!config_.key.empty()) {
            auth = "Authorization: Bearer " + config_.key;
            headers = curl_slist_append(headers, auth.c_str());
        }
        std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers, &curl_slist_free_all);
        std::string response;
        CURL* h = curl.get();
        curl_easy_setopt(h, CURLOPT_URL, endpoint_.c_str());
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without signals (worker threads)
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        const CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) return Fail(Error::Unavailable(std::string("LLM: ") + curl_easy_strerror(rc)));
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) return Fail(Error::Unavailable("LLM: HTTP status " + std::to_string(status)));

        boost::system::error_code ec;
        auto v = json::parse(response, ec);
        if (ec || !v.is_object()) return Fail(Error::Unavailable("LLM: the response is not a JSON object"));
        const auto* choices = v.get_object().if_contains("choices");
        if (!choices || !choices->is_array() || choices->get_array().empty() ||
            !choices->get_array().front().is_object()) {
            return Fail(Error::Unavailable("LLM: the response has no choices"));
        }
        const auto* message = choices->get_array().front().get_object().if_contains("message");
        if (!message || !message->is_object()) return Fail(Error::Unavailable("LLM: the choice has no message"));
        const auto* content = message->get_object().if_contains("content");
        if (!content || !content->is_string()) return Fail(Error::Unavailable("LLM: the message has no content"));
        return std::string(content->get_string());
    }

  private:
    LlmConfig config_;
    std::string endpoint_;
};

}  // namespace

void InitHttpClient() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::unique_ptr<LlmProvider> MakeOpenAiCompatibleProvider(LlmConfig config) {
    InitHttpClient();
    return std::make_unique<OpenAiCompatibleProvider>(std::move(config));
}

}  // namespace evni::api

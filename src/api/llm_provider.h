#pragma once

// The optional LLM provider of explain and ask (docs/explain.md): an OpenAI-compatible
// /chat/completions endpoint (Ollama, llama.cpp server, vLLM or a hosted one). It is a seam: the
// explain service only sees LlmProvider, so tests and benchmarks run without a network.

#include <chrono>
#include <memory>
#include <string>

#include "util/error.h"

namespace evni::api {

struct LlmConfig {
    std::string url;    // base URL (".../v1") or the full ".../chat/completions" URL
    std::string model;  // e.g. "llama3.1:8b"
    std::string key;    // bearer token; empty: no Authorization header (local servers)
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{20000};  // whole request
    bool Enabled() const { return !url.empty() && !model.empty(); }
};

struct LlmPrompt {
    std::string system;
    std::string user;
    int max_tokens = 700;
};

class LlmProvider {
  public:
    virtual ~LlmProvider() = default;
    // The assistant message's text, or an error (unreachable, timeout, HTTP status, malformed JSON).
    virtual Result<std::string> Complete(const LlmPrompt& prompt) = 0;
};

// The provider over libcurl; thread-safe (one easy handle per call).
std::unique_ptr<LlmProvider> MakeOpenAiCompatibleProvider(LlmConfig config);

// Calls curl_global_init once; call before threads start.
void InitHttpClient();

}  // namespace evni::api

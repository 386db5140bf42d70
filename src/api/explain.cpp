// Explain and ask resources: GET/POST /v1/sessions/{session_id}/explain, POST /v1/sessions/{session_id}/ask.
#include "api/explain_service.h"
#include "api/handlers.h"
#include "api/json_util.h"

namespace evni::api {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxQuestionChars = 2000;

std::string LangList() { return "'en', 'pl', 'de', 'nl', 'fr' or 'es'"; }

std::optional<explain::Lang> DecodeLang(std::optional<std::string_view> raw, const Loc& loc, FieldErrors& errors) {
    if (!raw) return std::nullopt;
    auto lang = explain::ParseLang(*raw);
    if (!lang) errors.Add(loc, "Input should be " + LangList(), "enum");
    return lang;
}

std::optional<explain::Style> DecodeStyle(std::optional<std::string_view> raw, const Loc& loc, FieldErrors& errors) {
    if (!raw) return std::nullopt;
    auto style = explain::ParseStyle(*raw);
    if (!style) errors.Add(loc, "Input should be 'short', 'detailed' or 'technical'", "enum");
    return style;
}

json::object ExplanationObject(const ExplainResult& r) {
    return json::object{{"sessionId", r.session_id},
                        {"explanation", r.explanation},
                        {"cached", r.cached},
                        {"lang", explain::LangCode(r.lang)},
                        {"style", explain::StyleName(r.style)},
                        {"provider", r.provider},
                        {"analysisVersion", r.analysis_version},
                        {"generatedAt", FormatIsoDateTime(r.generated_at)}};
}

// The route table is also built without services (e.g. `evni openapi`, the role table test).
Error NotConfigured() { return Error::Unavailable("Explain is not available on this server"); }

bool BlankBody(std::string_view body) { return body.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

void AddExplainRoutes(std::vector<Route>& routes, const ApiContext& ctx) {
    ExplainService* svc = ctx.explain;
    using domain::Role;

    routes.push_back(
        {"GET", "/v1/sessions/{session_id}/explain", Role::kViewer, 0, "Get a session's explanation",
         [svc](Request& req) -> Result<Response> {
             if (!svc) return Fail(NotConfigured());
             FieldErrors errors;
             ExplainRequest r;
             r.session_id = req.path_params.at("session_id");
             if (auto l = DecodeLang(req.Query("lang"), {std::string("query"), std::string("lang")}, errors))
                 r.lang = *l;
             if (auto s = DecodeStyle(req.Query("style"), {std::string("query"), std::string("style")}, errors))
                 r.style = *s;
             r.force = QueryBool(req.Query("refresh"), "refresh", errors).value_or(false);
             if (!errors.Empty()) return Fail(errors.ToError());
             auto out = svc->Explain(*req.principal, r);
             if (!out) return Fail(std::move(out.error()));
             return JsonResponse(ExplanationObject(*out));
         }});

    routes.push_back({"POST", "/v1/sessions/{session_id}/explain", Role::kViewer, 4 * 1024,
                      "Explain a session's verdict", [svc](Request& req) -> Result<Response> {
                          if (!svc) return Fail(NotConfigured());
                          ExplainRequest r;
                          r.session_id = req.path_params.at("session_id");
                          if (!BlankBody(req.body)) {
                              auto arena = BodyArena(req.body);
                              auto body = ParseObjectBody(req.body, arena);
                              if (!body) return Fail(std::move(body.error()));
                              FieldErrors errors;
                              const Loc base{std::string("body")};
                              auto lang = errors.OptionalString(*body, "lang", base, 16);
                              auto style = errors.OptionalString(*body, "style", base, 16);
                              auto regenerate = errors.OptionalBool(*body, "regenerate", base);
                              if (lang.value) {
                                  if (auto l = DecodeLang(*lang.value, At(base, std::string("lang")), errors))
                                      r.lang = *l;
                              }
                              if (style.value) {
                                  if (auto s = DecodeStyle(*style.value, At(base, std::string("style")), errors))
                                      r.style = *s;
                              }
                              r.force = regenerate.value.value_or(false);
                              if (!errors.Empty()) return Fail(errors.ToError());
                          }
                          auto out = svc->Explain(*req.principal, r);
                          if (!out) return Fail(std::move(out.error()));
                          return JsonResponse(ExplanationObject(*out));
                      }});

    routes.push_back({"POST", "/v1/sessions/{session_id}/ask", Role::kViewer, 16 * 1024,
                      "Ask a question about a session", [svc](Request& req) -> Result<Response> {
                          if (!svc) return Fail(NotConfigured());
                          auto arena = BodyArena(req.body);
                          auto body = ParseObjectBody(req.body, arena);
                          if (!body) return Fail(std::move(body.error()));
                          FieldErrors errors;
                          const Loc base{std::string("body")};
                          AskRequest r;
                          r.session_id = req.path_params.at("session_id");
                          auto question = errors.RequiredString(*body, "question", base, kMaxQuestionChars * 4);
                          auto lang = errors.OptionalString(*body, "lang", base, 16);
                          if (question) {
                              std::size_t chars = 0;
                              for (unsigned char c : *question) chars += (c & 0xC0) != 0x80;
                              if (question->find('\0') != std::string::npos) {
                                  errors.Add(At(base, std::string("question")),
                                             "The question should not contain NUL characters",
                                             "string_pattern_mismatch");
                              } else if (question->find_first_not_of(" \t\r\n") == std::string::npos) {
                                  errors.Add(At(base, std::string("question")), "The question must not be empty",
                                             "string_too_short");
                              } else if (chars > kMaxQuestionChars) {
                                  errors.Add(At(base, std::string("question")),
                                             "The question may have at most 2000 characters", "string_too_long");
                              } else {
                                  r.question = *question;
                              }
                          }
                          if (lang.value) r.lang = DecodeLang(*lang.value, At(base, std::string("lang")), errors);
                          if (!errors.Empty()) return Fail(errors.ToError());
                          auto out = svc->Ask(*req.principal, r);
                          if (!out) return Fail(std::move(out.error()));
                          return JsonResponse(json::object{{"sessionId", out->session_id},
                                                           {"answer", out->answer},
                                                           {"lang", explain::LangCode(out->lang)},
                                                           {"answered", out->answered},
                                                           {"provider", out->provider}});
                      }});
}

}  // namespace evni::api

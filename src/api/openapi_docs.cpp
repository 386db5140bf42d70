// Documentation of the documentation routes (docs.cpp).
#include "api/openapi.h"

namespace evni::api::openapi {
namespace json = boost::json;

void DocumentDocsRoutes(DocRegistry& r) {
    r.Add({
        .method = "GET",
        .pattern = "/openapi.json",
        .operation_id = "getOpenApiDocument",
        .tag = "Documentation",
        .summary = "OpenAPI document",
        .description = "This OpenAPI 3.1 document, built from the server's own route table.",
        .replies = {{200, "The OpenAPI 3.1 document", Schema::Object("An OpenAPI 3.1 document").FreeForm()}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/docs",
        .operation_id = "getDocsPage",
        .tag = "Documentation",
        .summary = "Documentation page",
        .description = "A readable rendering of `/openapi.json` (Swagger UI served by evni itself: the page loads "
                       "nothing from the internet). When the viewer was not installed at build time, a short page "
                       "links to `/openapi.json` and `/llms.txt` instead.",
        .replies = {{200, "An HTML page", Schema::String(), nullptr, "text/html"}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/docs/{file}",
        .operation_id = "getDocsAsset",
        .tag = "Documentation",
        .summary = "Documentation viewer file",
        .description = "A script, style sheet or icon of the documentation viewer.",
        .params = {Param::Path("file", "File name: swagger-ui-bundle.js, swagger-ui.css or favicon-32x32.png")},
        .replies = {{200, "The file", Schema::String(), nullptr, "application/octet-stream"}},
        .errors = {{404, "Unknown file, or the viewer is not installed"}},
    });
    r.Add({
        .method = "GET",
        .pattern = "/llms.txt",
        .operation_id = "getLlmsTxt",
        .tag = "Documentation",
        .summary = "Guide for language models",
        .description = "A plain-text guide for language models and humans: what evni is, authentication, the "
                       "main flows with curl examples, the anomaly categories and the limits.",
        .replies = {{200, "The guide", Schema::String(), nullptr, "text/plain"}},
    });
}

}  // namespace evni::api::openapi

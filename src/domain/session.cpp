#include "domain/session.h"

namespace evni::domain {

std::string_view RoleName(Role role) {
    switch (role) {
        case Role::kViewer:
            return "viewer";
        case Role::kMember:
            return "member";
        case Role::kAdmin:
            return "admin";
        case Role::kSuperAdmin:
            return "super_admin";
    }
    return "viewer";
}

std::string_view ClientStatusText(ClientStatus status) {
    switch (status) {
        case ClientStatus::kCompleted:
            return "completed";
        case ClientStatus::kInvalid:
            return "invalid";
        case ClientStatus::kNone:
            break;
    }
    return "";
}

ClientStatus ParseClientStatus(const std::optional<std::string>& text) {
    if (text == "completed") return ClientStatus::kCompleted;
    if (text == "invalid") return ClientStatus::kInvalid;
    return ClientStatus::kNone;
}

std::optional<Role> ParseRole(std::string_view name) {
    if (name == "viewer") return Role::kViewer;
    if (name == "member") return Role::kMember;
    if (name == "admin") return Role::kAdmin;
    if (name == "super_admin") return Role::kSuperAdmin;
    return std::nullopt;
}

std::string_view SessionStatusName(ClientStatus client, bool analyzed, bool analysis_failed) {
    if (client == ClientStatus::kCompleted) return "completed";
    if (client == ClientStatus::kInvalid) return "invalid";
    if (analysis_failed) return "failed";
    return analyzed ? "active" : "pending";
}

}  // namespace evni::domain

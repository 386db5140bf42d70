#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/analyzer.h"
#include "analysis/connector_limits.h"
#include "analysis/soc_prior.h"
#include "domain/meter_value.h"
#include "domain/organization.h"
#include "domain/session.h"
#include "storage/anomaly_store.h"
#include "storage/batches.h"
#include "storage/explanations.h"
#include "storage/jobs.h"
#include "storage/models.h"
#include "storage/station_repository.h"
#include "storage/table_io.h"
#include "storage/webhooks.h"

namespace evni::storage {

// Thrown by a store when a transaction lost a race with another one (serialization failure,
// deadlock, a unique key inserted concurrently): the whole unit of work may be retried.
class TransientConflict : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Runs `work` (which begins and commits its own transaction) again while it throws
// TransientConflict, at most `attempts` times.
template <typename F>
auto WithRetry(F&& work, int attempts = 5) -> decltype(work()) {
    for (int i = 1;; ++i) {
        try {
            return work();
        } catch (const TransientConflict&) {
            if (i >= attempts) throw;
        }
    }
}

// A stored charging session: identity, client fields and the latest analysis summary.
struct SessionRecord {
    std::int64_t pk = 0;
    std::string tenant_id;
    std::string session_id;
    std::string station_id;
    std::optional<std::string> connector_id;
    std::optional<std::string> evse_id;
    std::optional<std::string> metadata_json;  // a JSON object, serialised
    domain::ClientStatus client_status = domain::ClientStatus::kNone;
    std::optional<std::string> stop_reason;
    domain::EpochMs created_at = 0;
    domain::EpochMs updated_at = 0;
    std::optional<domain::EpochMs> started_at;  // earliest meter value timestamp
    std::optional<domain::EpochMs> ended_at;    // latest meter value timestamp
    std::int64_t value_count = 0;
    std::int64_t next_chunk = 0;  // sequence number of the next meter value chunk

    // Latest analysis.
    std::optional<domain::EpochMs> analyzed_at;
    bool analysis_failed = false;
    std::optional<std::string> message;
    std::optional<bool> is_anomaly;
    std::optional<double> anomaly_score;
    std::optional<double> anomaly_confidence;
    std::optional<bool> is_incident;
    std::optional<bool> is_recurring;
    std::int64_t anomaly_count = 0;  // distinct categories
    std::int64_t analysis_version = 0;
    std::vector<analysis::Anomaly> anomalies;  // filled by Find
    std::vector<std::uint8_t> analysis_state;  // IncrementalAnalyzer state
};

struct SessionFilter {
    std::int64_t page = 1;
    std::int64_t page_size = 50;
    std::optional<std::string> station_id;
    std::optional<std::string> evse_id;
    std::optional<bool> is_anomaly;
    std::optional<double> min_score;
    std::optional<double> min_confidence;
    std::optional<domain::EpochMs> date_from;
    std::optional<domain::EpochMs> date_to;
};

struct SessionPage {
    std::vector<SessionRecord> items;
    std::int64_t total_count = 0;
};

class TenantRepository {
  public:
    virtual ~TenantRepository() = default;
    virtual void Insert(const domain::Tenant& tenant) = 0;
    virtual std::optional<domain::Tenant> Find(const std::string& tenant_id) = 0;
    virtual std::int64_t Count() = 0;
};

class ApiKeyRepository {
  public:
    virtual ~ApiKeyRepository() = default;
    virtual void Insert(const domain::ApiKey& key) = 0;
    // Lookup by the public prefix, across tenants (authentication happens before the tenant is known).
    virtual std::optional<domain::ApiKey> FindByPrefix(const std::string& prefix) = 0;
    virtual std::vector<domain::ApiKey> List(const std::string& tenant_id) = 0;
    // Sets revoked_at; false when no such key exists in the tenant.
    virtual bool Revoke(const std::string& tenant_id, const std::string& key_id, domain::EpochMs at) = 0;
    virtual void TouchLastUsed(const std::string& tenant_id, const std::string& key_id, domain::EpochMs at) = 0;
    // Revokes every live key of a member (when the member is removed); returns their ids.
    virtual std::vector<std::string> RevokeMemberKeys(const std::string& tenant_id, const std::string& member_id,
                                                      domain::EpochMs at) = 0;
};

class OrganizationRepository {
  public:
    virtual ~OrganizationRepository() = default;
    virtual std::optional<domain::Organization> Find(const std::string& tenant_id) = 0;
    // Inserts or replaces the tenant's organization row.
    virtual void Save(const domain::Organization& organization) = 0;
};

class MemberRepository {
  public:
    virtual ~MemberRepository() = default;
    virtual std::vector<domain::Member> List(const std::string& tenant_id) = 0;
    virtual std::optional<domain::Member> Find(const std::string& tenant_id, const std::string& user_id) = 0;
    virtual std::optional<domain::Member> FindByEmail(const std::string& tenant_id, const std::string& email) = 0;
    virtual void Insert(const domain::Member& member) = 0;
    virtual void UpdateRole(const std::string& tenant_id, const std::string& user_id, domain::Role role) = 0;
    virtual void Delete(const std::string& tenant_id, const std::string& user_id) = 0;
    // Members whose role is admin or super_admin.
    virtual std::int64_t CountAdmins(const std::string& tenant_id) = 0;

    virtual void InsertInvitation(const domain::Invitation& invitation) = 0;
    // Pending (not accepted, not revoked) invitations, expired ones included.
    virtual std::vector<domain::Invitation> PendingInvitations(const std::string& tenant_id) = 0;
    // Lookup by token hash, across tenants (the token is the credential).
    virtual std::optional<domain::Invitation> FindInvitationByTokenHash(const std::string& token_hash) = 0;
    virtual void MarkInvitationAccepted(const std::string& invitation_id, domain::EpochMs at) = 0;
    // Revokes pending invitations of `email` in the tenant (a new invitation replaces them).
    virtual void RevokePendingInvitations(const std::string& tenant_id, const std::string& email,
                                          domain::EpochMs at) = 0;
};

struct AuditPage {
    std::vector<domain::AuditEntry> items;
    std::int64_t total_count = 0;
};

class AuditRepository {
  public:
    virtual ~AuditRepository() = default;
    virtual void Append(const domain::AuditEntry& entry) = 0;
    // Newest first.
    virtual AuditPage List(const std::string& tenant_id, std::int64_t page, std::int64_t page_size) = 0;
};

class SessionRepository {
  public:
    virtual ~SessionRepository() = default;
    // The session with its anomalies (not its meter values).
    virtual std::optional<SessionRecord> Find(const std::string& tenant_id, const std::string& session_id) = 0;
    // Inserts the session row; sets record.pk.
    virtual void Insert(SessionRecord& record) = 0;
    // Writes every mutable column of the row (client fields, counters, analysis summary and state), and queues the
    // session for the statistics.data_quality job (sessions_to_measure). A new session is inserted, then updated.
    virtual void Update(const SessionRecord& record) = 0;
    // Stores `values` as one new chunk (sequence record.next_chunk); the caller bumps the counters.
    virtual void AppendChunk(const SessionRecord& record, std::int64_t seq,
                             std::span<const domain::MeterValue> values) = 0;
    virtual void DeleteChunks(const SessionRecord& record) = 0;
    // Every stored meter value, in the order received (chunk by chunk).
    virtual domain::MeterValues LoadValues(const SessionRecord& record) = 0;
    // The values of the most recent chunk only (empty when there is none).
    virtual domain::MeterValues LoadLastChunk(const SessionRecord& record) = 0;
    // Replaces the session's anomaly rows with `anomalies`.
    virtual void ReplaceAnomalies(const SessionRecord& record, std::span<const analysis::Anomaly> anomalies,
                                  domain::EpochMs detected_at) = 0;
    // Number of other sessions on the same station and connector with an anomaly of `category`
    // starting in [from, to].
    virtual std::int64_t CountOtherSessionsWithCategory(const SessionRecord& record, const std::string& category,
                                                        domain::EpochMs from, domain::EpochMs to) = 0;
    // [first, last meter value] of the other sessions on the same station and connector that started in
    // [started_from, to] and end at or after `from` (for SESSION_OVERLAP: their spans meet [from, to]), at most
    // `limit` of them, earliest first. An index range over (tenant, station, connector, started_at).
    virtual std::vector<analysis::SessionSpan> OtherSessionSpans(const SessionRecord& record,
                                                                 domain::EpochMs started_from, domain::EpochMs from,
                                                                 domain::EpochMs to, std::int64_t limit) = 0;
    virtual SessionPage List(const std::string& tenant_id, const SessionFilter& filter) = 0;
    // Registers the station and connector a session names (no-op when known).
    virtual void RegisterStation(const SessionRecord& record, domain::EpochMs at) = 0;
};

// Battery capacity estimates of past sessions, per connector: the history behind the SoC reconstruction's prior
// (analysis/soc_prior.h, docs/soc_prior.md). One row per session that yielded an estimate.
struct SocObservationRecord {
    std::string tenant_id;
    std::int64_t session_pk = 0;
    std::string station_id;
    std::string connector_id;  // "" when the session names no connector
    analysis::PriorObservation observation;
    domain::EpochMs updated_at = 0;
};

class SocPriorRepository {
  public:
    virtual ~SocPriorRepository() = default;
    // Inserts the session's observation, or replaces it (station and connector included).
    virtual void Upsert(const SocObservationRecord& record) = 0;
    // Removes the session's observation; no-op when there is none.
    virtual void Delete(const std::string& tenant_id, std::int64_t session_pk) = 0;
    virtual bool Exists(const std::string& tenant_id, std::int64_t session_pk) = 0;
    // Moves the session's observation to another station/connector; no-op when there is none.
    virtual void Move(const std::string& tenant_id, std::int64_t session_pk, const std::string& station_id,
                      const std::string& connector_id) = 0;
    // The newest `limit` observations on the connector, newest first, without session `exclude_pk`.
    virtual std::vector<analysis::PriorObservation> ForConnector(const std::string& tenant_id,
                                                                 const std::string& station_id,
                                                                 const std::string& connector_id,
                                                                 std::int64_t exclude_pk, std::int64_t limit) = 0;
    // The newest `limit` observations on all the station's connectors, newest first, without session `exclude_pk`.
    virtual std::vector<analysis::PriorObservation> ForStation(const std::string& tenant_id,
                                                               const std::string& station_id, std::int64_t exclude_pk,
                                                               std::int64_t limit) = 0;
    // The newest `limit` observations of the tenant's other connectors, newest first, without `exclude_pk`.
    virtual std::vector<analysis::PriorObservation> ForOtherConnectors(const std::string& tenant_id,
                                                                       const std::string& station_id,
                                                                       const std::string& connector_id,
                                                                       std::int64_t exclude_pk, std::int64_t limit) = 0;
};

// What each session showed about its connector's power, per connector: the history behind the learned rating
// (analysis/connector_limits.h, docs/analysis.md). One row per session with enough charging minutes.
struct PowerObservationRecord {
    std::string tenant_id;
    std::int64_t session_pk = 0;
    std::string station_id;
    std::string connector_id;  // "" when the session names no connector
    analysis::PowerObservation observation;
    domain::EpochMs updated_at = 0;
};

// One session's observation as the learned rating reads it.
struct ConnectorPowerEntry {
    std::int64_t session_pk = 0;
    analysis::PowerObservation observation;
};

class ConnectorLimitRepository {
  public:
    virtual ~ConnectorLimitRepository() = default;
    // Inserts the session's observation, or replaces it (station and connector included).
    virtual void Upsert(const PowerObservationRecord& record) = 0;
    // Removes the session's observation; no-op when there is none.
    virtual void Delete(const std::string& tenant_id, std::int64_t session_pk) = 0;
    // Moves the session's observation to another station/connector; no-op when there is none.
    virtual void Move(const std::string& tenant_id, std::int64_t session_pk, const std::string& station_id,
                      const std::string& connector_id) = 0;
    // The newest `limit` observations on the connector, newest first, without session `exclude_pk` (0: none).
    virtual std::vector<ConnectorPowerEntry> ForConnector(const std::string& tenant_id, const std::string& station_id,
                                                          const std::string& connector_id, std::int64_t exclude_pk,
                                                          std::int64_t limit) = 0;
};

// One unit of work. Destroying it without Commit() rolls back.
class Transaction {
  public:
    virtual ~Transaction() = default;
    virtual TenantRepository& Tenants() = 0;
    virtual ApiKeyRepository& ApiKeys() = 0;
    virtual SessionRepository& Sessions() = 0;
    virtual OrganizationRepository& Organizations() = 0;
    virtual MemberRepository& Members() = 0;
    virtual AuditRepository& Audit() = 0;
    virtual SocPriorRepository& SocPriors() = 0;
    virtual ConnectorLimitRepository& ConnectorLimits() = 0;
    virtual ExplanationRepository& Explanations() = 0;
    virtual AnomalyRepository& Anomalies() = 0;
    virtual JobRepository& Jobs() = 0;
    virtual BatchRepository& Batches() = 0;
    virtual WebhookRepository& Webhooks() = 0;
    virtual StationRepository& Stations() = 0;
    virtual ModelRepository& Models() = 0;
    virtual void Commit() = 0;

    // Runs `fn` after Commit() succeeded (e.g. waking this node's job workers for a job enqueued in
    // the transaction); dropped when the transaction rolls back. `fn` must not throw.
    void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }

  protected:
    // Called by the backends at the end of a successful Commit().
    void RunAfterCommit() {
        auto fns = std::move(after_commit_);
        after_commit_.clear();
        for (auto& fn : fns) fn();
    }

  private:
    std::vector<std::function<void()>> after_commit_;
};

enum class TxMode { kRead, kWrite };

// A database holding every tenant's data. Thread-safe: each thread begins its own transactions.
class Store {
  public:
    virtual ~Store() = default;
    virtual std::unique_ptr<Transaction> Begin(TxMode mode) = 0;
    // Runs pending migrations; returns the number applied.
    virtual int Migrate() = 0;
    // True when the database answers and every known migration is applied.
    virtual bool Ready() = 0;
    // The newest migration this binary has for the backend (the schema CopyTables() describes).
    virtual int KnownSchemaVersion() const = 0;
    // Bulk access for `evni store copy` (storage/copy.h): a read-only snapshot of every table (it
    // does not block writers), and a writer that upserts and deletes rows by key.
    virtual std::unique_ptr<TableReader> ReadTables() = 0;
    virtual std::unique_ptr<TableWriter> WriteTables() = 0;
};

// Observer for transaction durations (seconds), e.g. a metrics histogram.
using TxObserver = std::function<void(TxMode mode, double seconds)>;

}  // namespace evni::storage

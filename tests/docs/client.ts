// A small evni client written only against the types that openapi-typescript generates from
// /openapi.json (evni-api.ts). tests/docs/check_openapi.sh compiles it with `tsc --strict`: when the
// document changes in a way that breaks a client of the main flows, this stops compiling.
import type { components, operations, paths } from "./evni-api";

type Schemas = components["schemas"];
export type Session = Schemas["Session"];
export type SessionDetail = Schemas["SessionDetail"];
export type AnomalyCategory = Schemas["AnomalyCategory"];
type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;

export type CreateSessionBody = Json<paths["/v1/sessions"]["post"]["requestBody"]>;
export type AppendBody = Json<NonNullable<operations["updateSession"]["requestBody"]>>;
export type ListQuery = NonNullable<operations["listSessions"]["parameters"]["query"]>;
export type SessionPage = Json<operations["listSessions"]["responses"][200]>;
export type ApiKeyCreated = Json<operations["createApiKey"]["responses"][200]>;
export type ApiError = Schemas["Error"] | Schemas["ValidationError"];

export class EvniError extends Error {
    constructor(public readonly status: number, public readonly body: ApiError) {
        super(`evni ${status}: ${typeof body.detail === "string" ? body.detail : body.detail.map((d) => d.msg).join("; ")}`);
    }
}

export class EvniClient {
    constructor(private readonly baseUrl: string, private readonly apiKey: string) {}

    private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
        const response = await fetch(this.baseUrl + path, {
            method,
            headers: { Authorization: `Bearer ${this.apiKey}`, "Content-Type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json: unknown = await response.json();
        if (!response.ok) throw new EvniError(response.status, json as ApiError);
        return json as T;
    }

    createSession(body: CreateSessionBody): Promise<Session> {
        return this.call("POST", "/v1/sessions", body);
    }

    appendMeterValues(sessionId: string, body: AppendBody): Promise<Session> {
        return this.call("PATCH", `/v1/sessions/${encodeURIComponent(sessionId)}`, body);
    }

    getSession(sessionId: string): Promise<SessionDetail> {
        return this.call("GET", `/v1/sessions/${encodeURIComponent(sessionId)}`);
    }

    listSessions(query: ListQuery = {}): Promise<SessionPage> {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
        return this.call("GET", `/v1/sessions?${params}`);
    }

    createApiKey(name: string, role: Schemas["Role"]): Promise<ApiKeyCreated> {
        return this.call("POST", "/v1/api-keys", { name, role, expiresInDays: 30 });
    }
}

// The main flow: push a session, stream one more reading, read the verdict.
export async function example(client: EvniClient): Promise<AnomalyCategory[]> {
    const created = await client.createSession({
        sessionId: "sess-abc-001",
        chargingStationId: "CP-NL-AMS-0042",
        connectorId: "1",
        meterValues: [
            { timestamp: "2026-02-27T10:00:00Z", value: 0, measurand: "Energy.Active.Import.Register", unit: "kWh" },
            { timestamp: "2026-02-27T10:15:00Z", value: "5.5", measurand: "Energy.Active.Import.Register", unit: "kWh" },
            { timestamp: "2026-02-27T10:30:00Z", value: 11.1, measurand: "Energy.Active.Import.Register", unit: "kWh" },
        ],
        metadata: { maxPowerKw: 22, currentType: "AC" },
    });
    const status: Schemas["SessionStatus"] = created.status;
    await client.appendMeterValues(created.sessionId, {
        meterValues: [{ timestamp: "2026-02-27T10:45:00Z", value: 16.5 }],
        status: "completed",
    });
    const detail = await client.getSession(created.sessionId);
    const score: number | null = detail.anomalyScore;
    const firstBucket: number | undefined = detail.anomalies[0]?.bucketRange?.startUnit;
    const page = await client.listSessions({ isAnomaly: true, minScore: 0.5, pageSize: 100 });
    const total: number = page.pagination.totalCount;
    void [status, score, firstBucket, total];
    return detail.anomalies.map((a) => a.category);
}

// The enums are real enums, not plain strings.
export const known: AnomalyCategory = "ENERGY_PIT";
// @ts-expect-error: not an anomaly category
export const unknown: AnomalyCategory = "NOT_A_CATEGORY";
// @ts-expect-error: a client cannot set a derived status
export const badStatus: AppendBody["status"] = "active";

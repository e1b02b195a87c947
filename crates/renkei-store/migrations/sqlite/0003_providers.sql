-- Every provider: connection kinds, thread keys, OAuth clients, browser flows (OAuth consent,
-- LINE Login) and absences mirrored into calendars. Keep in step with ../postgres/0003_providers.sql.

-- 'token', 'oauth', 'webhook' or 'bot': a webhook posts only where it was made.
ALTER TABLE connections ADD COLUMN kind TEXT NOT NULL DEFAULT 'token';
-- Related notices share a thread where the tool has threads (Google Chat).
ALTER TABLE events ADD COLUMN thread_key TEXT;

-- An OAuth client the tenant registered at the provider (Chatwork): its secret is sealed.
CREATE TABLE oauth_clients (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    provider TEXT NOT NULL,
    client_id TEXT NOT NULL,
    secret BLOB NOT NULL,
    secret_hint TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, provider)
);

-- A browser flow under way: the state parameter maps back to who started it and the
-- PKCE verifier or nonce (sealed). Used once, then deleted; stale ones expire.
CREATE TABLE auth_flows (
    state TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- A member's absence, mirrored as an event in their LINE WORKS default calendar. The
-- calendar event ID is chosen by renkei, so a change updates and a removal deletes it.
CREATE TABLE absences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    external_id TEXT NOT NULL,
    calendar_event_id TEXT NOT NULL,
    -- The LINE WORKS user whose calendar holds the event (kept: a later identity change
    -- must not send the removal to someone else's calendar).
    calendar_user TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    all_day BIGINT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    -- The sync event that carries the latest change (its deliveries show the outcome).
    last_event_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, member_id, external_id)
);

-- People who added a LINE official account as a friend (follow webhook), or removed it.
-- A LINE user is reachable by push only while following.
CREATE TABLE line_followers (
    connection_id BIGINT NOT NULL REFERENCES connections(id),
    user_id TEXT NOT NULL,
    following BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (connection_id, user_id)
);

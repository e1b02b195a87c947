-- Browser access (issue 9): single-use sign-in links minted for a person the product already
-- signed in, the sessions they turn into, and the audit log of changes. Tokens and session IDs
-- are stored as SHA-256 hashes: a copy of the database opens no console. Keep in step with
-- the other backend's 0007_web.sql.
CREATE TABLE web_links (
    token_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,                -- console | member | client
    subject_id BIGINT,                 -- members.id or clients.id; NULL for the console
    actor TEXT,                        -- who the product says this is (shown in the audit log)
    return_to TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX web_links_expiry ON web_links(expires_at);

CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    subject_id BIGINT,
    actor TEXT,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,               -- "console: <actor>", "member: <ext>", "API key", "CLI"
    action TEXT NOT NULL,              -- machine-readable, e.g. connection.create
    target TEXT,                       -- what was changed, e.g. "connection 3", "group dev"
    detail TEXT                        -- a short human summary; never a secret
);
CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id);

-- The console's home page counts the last 24 hours of deliveries by status (from the
-- index alone, one range per status).
CREATE INDEX deliveries_tenant_status_created ON deliveries(tenant_id, status, created_at);

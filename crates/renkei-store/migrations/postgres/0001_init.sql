-- renkei schema, PostgreSQL flavour. Times are Unix milliseconds (BIGINT) so that the same
-- queries read them on both backends. Keep in step with ../sqlite/0001_init.sql.
CREATE TABLE tenants (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    api_key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    rooms TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);

CREATE TABLE tenant_groups (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES tenant_groups(id),
    rooms TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);

CREATE TABLE members (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    client_id BIGINT REFERENCES clients(id),
    identities TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);

-- Ordered: position 0 is the member's primary group.
CREATE TABLE member_groups (
    member_id BIGINT NOT NULL REFERENCES members(id),
    group_id BIGINT NOT NULL REFERENCES tenant_groups(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (member_id, group_id)
);
CREATE INDEX member_groups_group ON member_groups(group_id);

CREATE TABLE connections (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    provider TEXT NOT NULL,
    owner_kind TEXT NOT NULL,          -- tenant | client | member
    owner_id BIGINT,                   -- clients.id or members.id
    room TEXT,
    status TEXT NOT NULL,              -- connected | broken | deleted
    status_reason TEXT,
    account_id TEXT,
    account_name TEXT,
    default_room TEXT,                 -- Chatwork: the owner's My Chat
    secret BYTEA,                       -- AES-256-GCM sealed credentials; NULL once deleted
    secret_hint TEXT,                  -- last 4 characters, for display
    paused_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX connections_tenant ON connections(tenant_id, status);

CREATE TABLE event_types (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    delivery TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, key)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    type TEXT NOT NULL,
    idempotency_key TEXT,
    targets TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, idempotency_key)
);

CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events(id),
    target TEXT NOT NULL,
    provider TEXT,
    connection_id BIGINT,
    room TEXT,
    mentions TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    reason_code TEXT,
    reason TEXT,
    reasons TEXT NOT NULL DEFAULT '[]',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    first_attempt_at BIGINT,
    message_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_pending ON deliveries(connection_id, id) WHERE status = 'pending';

CREATE TABLE attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES deliveries(id),
    started_at BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    http_status BIGINT,
    outcome TEXT NOT NULL,
    error TEXT,
    node TEXT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts(delivery_id);

-- Which node sends for which credential. One lane per connection, so per-token rate
-- limits hold even with several nodes.
CREATE TABLE lane_leases (
    connection_id BIGINT PRIMARY KEY,
    node_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

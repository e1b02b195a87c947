-- Routing: switchable connections, per-type defaults and link lifetimes, member preferences,
-- delivery warnings, bulk sends, confirmation links. Keep in step with ../postgres/0002_routing.sql.
ALTER TABLE connections ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;
ALTER TABLE event_types ADD COLUMN provider_defaults TEXT NOT NULL DEFAULT '{}';
-- Confirmation-link lifetime in days for this type; NULL = the tenant's setting.
ALTER TABLE event_types ADD COLUMN link_ttl_days BIGINT;
-- The tenant's confirmation-link lifetime in days; NULL = no link (the default).
ALTER TABLE tenants ADD COLUMN link_ttl_days BIGINT;
ALTER TABLE deliveries ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
-- 'event' (routed) or 'bulk_send' (one message to rooms picked by hand).
ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT 'event';
ALTER TABLE events ADD COLUMN link_expires_at BIGINT;

CREATE TABLE preferences (
    tenant_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    event_type TEXT NOT NULL,
    provider TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (member_id, event_type, provider)
);

CREATE TABLE clicks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    delivery_id BIGINT NOT NULL REFERENCES deliveries(id),
    at BIGINT NOT NULL,
    user_agent TEXT
);
CREATE INDEX clicks_delivery ON clicks(delivery_id);

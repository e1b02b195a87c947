-- The admin console: the tenant's time zone and language, and indexes for its lists.
-- Keep in step with ../sqlite/0006_console.sql.

ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Tokyo';
ALTER TABLE tenants ADD COLUMN language TEXT NOT NULL DEFAULT 'ja';

-- The delivery log: a tenant's events newest first (created_at in the index so a time
-- window is checked without reading each row), and per event type.
CREATE INDEX events_tenant ON events(tenant_id, id, created_at);
CREATE INDEX events_tenant_type ON events(tenant_id, type, id, created_at);
-- Events with a delivery in a given state, newest first. Delivered rows, the bulk of the
-- table, stay out: events with one are found at once by walking the events instead.
CREATE INDEX deliveries_tenant_status ON deliveries(tenant_id, status, event_id) WHERE status <> 'delivered';
-- Events with a delivery for one member or client (target `member:<ext>`, `client:<ext>`).
CREATE INDEX deliveries_tenant_target ON deliveries(tenant_id, target, event_id);
-- Members of a client (the members list's filter, and a client's deletion).
CREATE INDEX members_client ON members(client_id);

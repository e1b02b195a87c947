-- Confirmation links count people, not robots: opening a link is a view (unfurlers and HEAD
-- excluded), pressing the page's button is the confirmation, recorded once per delivery.
-- Rows of the old `clicks` table were openings by anyone (link previews included), so they
-- become views, never confirmations. Keep in step with ../postgres/0005_link_confirmations.sql.

ALTER TABLE clicks RENAME TO link_views;

CREATE TABLE link_confirmations (
    delivery_id BIGINT PRIMARY KEY REFERENCES deliveries(id),
    tenant_id BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    user_agent TEXT
);
CREATE INDEX link_confirmations_event ON link_confirmations(event_id);
CREATE INDEX link_views_event ON link_views(event_id);

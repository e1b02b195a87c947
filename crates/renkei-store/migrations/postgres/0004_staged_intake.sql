-- Large events are written in several transactions so other requests get through: the event
-- is 'writing' and its deliveries 'staged' (invisible to lanes) until every row is stored,
-- then the event becomes 'accepted' and its deliveries 'pending'. A 'writing' event left by
-- a crash was never acknowledged and is removed at the next start.
ALTER TABLE events ADD COLUMN state TEXT NOT NULL DEFAULT 'accepted';
CREATE INDEX events_writing ON events(state) WHERE state = 'writing';
CREATE INDEX deliveries_staged ON deliveries(event_id, id) WHERE status = 'staged';

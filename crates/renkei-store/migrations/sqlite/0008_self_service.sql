-- Self-service pages (issue 10): the origins allowed to show a tenant's member and client
-- pages in a frame (`Content-Security-Policy: frame-ancestors`), as a JSON array of
-- origins such as ["https://app.example.com"]; empty: the pages cannot be framed. Keep in
-- step with the other backend's 0008_self_service.sql.
ALTER TABLE tenants ADD COLUMN frame_origins TEXT NOT NULL DEFAULT '[]';

# event_types

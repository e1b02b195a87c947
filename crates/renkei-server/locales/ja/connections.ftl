# connections

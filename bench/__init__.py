"""The benchmark: seed PostgreSQL at scale, serve with production settings, drive with wrk."""

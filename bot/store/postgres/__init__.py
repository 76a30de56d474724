"""The PostgreSQL backend (asyncpg, a connection pool): for deployments past one machine.

Many `newsbot run` processes, on one machine or many, share one database: work is claimed with
`FOR UPDATE SKIP LOCKED` (claims.py), migrations run under an advisory lock (migrate.py), and search uses
a weighted tsvector with a GIN index in the story's own language (search.py).
"""

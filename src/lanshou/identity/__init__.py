"""Who is asking and what they may see: accounts and sessions, the tenant scope, tasks."""

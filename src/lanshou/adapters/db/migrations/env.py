"""Alembic environment: the engine is handed over by lanshou.adapters.db.migrate."""

from alembic import context

from lanshou.adapters.db.migrate import compared
from lanshou.adapters.db.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=compared,
    )
    context.run_migrations()

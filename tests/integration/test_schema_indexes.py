"""An index a projection gains later reaches databases whose tables already exist."""

from sqlalchemy import Column, Index, MetaData, String, Table, inspect, text

from shared import eventstore
from shared.db import make_engine


def test_create_schema_adds_a_missing_index_to_an_existing_table(database_url):
    engine = make_engine(database_url)
    try:
        before = MetaData()
        Table("things", before, Column("id", String(10), primary_key=True), Column("kind", String))
        eventstore.create_schema(engine, before)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO things (id, kind) VALUES ('a', 'x')"))

        after = MetaData()
        things = Table(
            "things", after, Column("id", String(10), primary_key=True), Column("kind", String)
        )
        Index("ix_things_kind", things.c.kind)
        eventstore.create_schema(engine, after)
        eventstore.create_schema(engine, after)  # and again: nothing to do, no error

        names = {index["name"] for index in inspect(engine).get_indexes("things")}
        assert "ix_things_kind" in names
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM things")).scalar_one() == 1
    finally:
        engine.dispose()

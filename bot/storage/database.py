"""One database, both stores: `SqlDatabase` composes the `EnquiryStore` and the `LearningLog`
over one engine (one SQLite connection, or one PostgreSQL pool).

Why two objects over one engine rather than one class with every method: each caller is typed
by the interface it needs (the hand-off sees `EnquiryStore`, learning sees `LearningLog`), each
half stays one concern of readable size, and both share the connection, so `/forget` can still
delete from the tables of both in one transaction.
"""

from __future__ import annotations

from bot.storage.engine import Engine, Tx
from bot.storage.migrations import USER_TABLES
from bot.storage.sql_enquiries import SqlEnquiryStore
from bot.storage.sql_instances import SqlInstances
from bot.storage.sql_learning import SqlLearningLog


class SqlDatabase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._enquiries = SqlEnquiryStore(engine)
        self._learning = SqlLearningLog(engine)
        self._instances = SqlInstances(engine)

    @property
    def enquiries(self) -> SqlEnquiryStore:
        return self._enquiries

    @property
    def learning(self) -> SqlLearningLog:
        return self._learning

    @property
    def instances(self) -> SqlInstances:
        return self._instances

    @property
    def description(self) -> str:
        return self.engine.description

    def forget_user(self, user_id: int) -> dict[str, int]:
        hashed = self._learning.user_hash(user_id)  # before the transaction: may create the salt

        def work(tx: Tx) -> dict[str, int]:
            deleted: dict[str, int] = {}
            for table in USER_TABLES:
                key: int | str = hashed if table.hashed else user_id
                n = tx.run(f"DELETE FROM {table.table} WHERE {table.user_column} = ?", (key,))
                deleted[table.label] = deleted.get(table.label, 0) + n
            return deleted

        return self.engine.run(work)

    def schema_version(self) -> int:
        return self.engine.schema_version()

    def close(self) -> None:
        self.engine.close()

"""Per-user cut-off times: every token of a user issued before one is void."""

import peewee


def up(database, migrator):
    """Create the append-only log of user cut-offs."""

    class UserCutoff(peewee.Model):
        username = peewee.CharField(max_length=150, index=True)
        not_before = peewee.DoubleField()
        expires_at = peewee.DoubleField(index=True)

        class Meta:
            table_name = "sim2l_user_cutoff"

    with database.bind_ctx([UserCutoff]):
        database.create_tables([UserCutoff], safe=True)

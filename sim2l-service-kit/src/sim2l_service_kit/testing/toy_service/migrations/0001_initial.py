"""The notes table."""

import peewee


def up(database, migrator):
    """Create the notes table."""

    class Note(peewee.Model):
        key = peewee.CharField(unique=True, max_length=200)
        text = peewee.TextField()

        class Meta:
            table_name = "toy_note"

    with database.bind_ctx([Note]):
        database.create_tables([Note], safe=True)

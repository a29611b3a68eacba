"""Users, revoked sessions and login attempts."""

import peewee


def up(database, migrator):
    """Create the three tables and their indexes."""

    class User(peewee.Model):
        username = peewee.CharField(max_length=150, unique=True)
        email = peewee.CharField(max_length=320, null=True)
        role = peewee.CharField(max_length=32)
        password_hash = peewee.CharField(max_length=100)
        created_at = peewee.DoubleField()
        password_changed_at = peewee.DoubleField()

        class Meta:
            table_name = "sim2l_user"

    class RevokedSession(peewee.Model):
        token_id = peewee.CharField(max_length=64, unique=True)
        expires_at = peewee.DoubleField(index=True)
        revoked_at = peewee.DoubleField()

        class Meta:
            table_name = "sim2l_revoked_session"

    class LoginAttempt(peewee.Model):
        key = peewee.CharField(max_length=400)
        window = peewee.BigIntegerField()
        failures = peewee.IntegerField(default=0)

        class Meta:
            table_name = "sim2l_login_attempt"
            indexes = ((("key", "window"), True),)

    with database.bind_ctx([User, RevokedSession, LoginAttempt]):
        database.create_tables([User, RevokedSession, LoginAttempt], safe=True)

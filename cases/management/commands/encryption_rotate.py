"""`manage.py encryption_rotate`: re-encrypt every identity field with the newest key and
recompute every identifier's keyed hash with the current hash key.

Rotation: put a new key in front of HOTLINE_ENCRYPTION_KEYS (old keys stay, to decrypt), run
this, then drop the old keys. For a new HOTLINE_HASH_KEY, set it and run this at once: until it
finishes, identifiers written before do not match those written after.

It first reads every stored value and stops, changing nothing, if any of them cannot be
decrypted with the keys given: re-encrypting a value it cannot read would bury it for good.
"""

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases.models import Identifier
from hotline.crypto import encrypted_fields_of, fernet, keyed_hash

BATCH = 1000


def stored_values(model, column):
    """(pk, token) of every non-empty stored value of `column`, as it is in the table."""
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''"
        )
        return cursor.fetchall()


class Command(BaseCommand):
    help = "Re-encrypt identity fields with the newest key and recompute identifier hashes."

    def handle(self, *args, **options):
        keys = fernet()
        columns = [
            (model, field.column)
            for model in apps.get_models()
            for field in encrypted_fields_of(model)
        ]
        unreadable = []
        for model, column in columns:
            for pk, token in stored_values(model, column):
                try:
                    keys.decrypt(token.encode())
                except InvalidToken:
                    unreadable.append(f"{model._meta.label}.{column} #{pk}")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} stored values cannot be decrypted with HOTLINE_ENCRYPTION_KEYS "
                f"(first: {', '.join(unreadable[:5])}). Nothing was changed: add the key that "
                "encrypted them (after the new one) and run this again."
            )
        for model, column in columns:
            rows = stored_values(model, column)
            table, pk = model._meta.db_table, model._meta.pk.column
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",
                        [(keys.rotate(token.encode()).decode(), row_pk) for row_pk, token in batch],
                    )
            self.stdout.write(f"{model._meta.label}.{column}: {len(rows):,} values re-encrypted")
        hashed = 0
        for start in range(0, Identifier.objects.count(), BATCH):
            with transaction.atomic():
                batch = list(Identifier.objects.order_by("pk")[start : start + BATCH])
                for identifier in batch:
                    identifier.value_hash = keyed_hash(identifier.normalised)
                Identifier.objects.bulk_update(batch, ["value_hash"])
            hashed += len(batch)
        self.stdout.write(f"cases.Identifier: {hashed:,} hashes recomputed")
